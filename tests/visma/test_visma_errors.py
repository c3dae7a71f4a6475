import httpx
import pytest

from fakturabro.visma.errors import (
    OAuthError,
    VismaConflict,
    VismaError,
    VismaForbidden,
    VismaNotFound,
    VismaRateLimited,
    VismaTimeoutAfterSend,
    VismaUnauthorized,
    VismaUnavailable,
    VismaValidationError,
    error_from_response,
    error_from_transport,
)

VISMA_429 = {
    "ErrorCode": 4010,
    "DeveloperErrorMessage": "API calls quota exceeded! maximum admitted 600 per Minute. Try again in 17 seconds.",
    "ErrorId": "7f0c6a3e-0d6c-4bb4-9a55-0c1d6b7c1a11",
}


def answer(status: int, body: object = None, method: str = "GET", headers: dict[str, str] | None = None):
    request = httpx.Request(method, "https://visma.test/v2/customers")
    if body is None:
        return httpx.Response(status, request=request, headers=headers)
    return httpx.Response(status, json=body, request=request, headers=headers)


@pytest.mark.parametrize(
    ("status", "kind", "retriable"),
    [
        (400, VismaValidationError, False),
        (401, VismaUnauthorized, False),
        (403, VismaForbidden, False),
        (404, VismaNotFound, False),
        (409, VismaConflict, False),
        (422, VismaValidationError, False),
        (429, VismaRateLimited, True),
        (500, VismaUnavailable, True),
        (502, VismaUnavailable, True),
        (503, VismaUnavailable, True),
    ],
)
def test_each_status_maps_to_its_error(status: int, kind: type[VismaError], retriable: bool) -> None:
    error = error_from_response(answer(status, {"ErrorCode": 1, "ErrorId": "abc"}), path="/customers")
    assert type(error) is kind
    assert error.retriable is retriable
    assert error.status == status
    assert error.error_id == "abc"
    assert error.path == "/customers"


def test_visma_429_body_gives_the_delay_to_wait() -> None:
    error = error_from_response(answer(429, VISMA_429))
    assert isinstance(error, VismaRateLimited)
    assert error.retry_after_seconds == 17
    assert error.error_code == 4010
    assert error.error_id == VISMA_429["ErrorId"]
    assert not error.may_have_executed


def test_retry_after_header_is_the_fallback() -> None:
    error = error_from_response(answer(429, {"ErrorCode": 4010}, headers={"Retry-After": "3"}))
    assert isinstance(error, VismaRateLimited)
    assert error.retry_after_seconds == 3


def test_validation_details_are_kept() -> None:
    body = {
        "ErrorCode": 4002,
        "DeveloperErrorMessage": "Mandatory field missing",
        "ErrorId": "e1",
        "Errors": [{"Field": "InvoiceCity", "ErrorCode": "4002", "Message": "Required", "Key": None}],
    }
    error = error_from_response(answer(400, body, method="POST"))
    assert isinstance(error, VismaValidationError)
    assert error.error_code == 4002
    assert error.errors[0].field == "InvoiceCity"
    assert "Mandatory field missing" in str(error)
    assert "ErrorId=e1" in str(error)


def test_server_error_on_a_write_may_have_executed_but_not_on_a_read() -> None:
    assert error_from_response(answer(500, None, method="POST")).may_have_executed
    assert not error_from_response(answer(500, None, method="GET")).may_have_executed


def test_personnummer_in_visma_message_is_redacted() -> None:
    body = {"ErrorCode": 4000, "DeveloperErrorMessage": "Invalid Ssn 19121212-1212 for person"}
    error = error_from_response(answer(400, body, method="POST"))
    assert "1212" not in str(error)
    assert "1212" not in (error.developer_message or "")


def test_non_json_error_body_still_maps() -> None:
    request = httpx.Request("GET", "https://visma.test/v2/x")
    error = error_from_response(httpx.Response(502, text="<html>Bad gateway</html>", request=request))
    assert isinstance(error, VismaUnavailable)
    assert error.error_code is None


def test_connect_error_never_reached_visma() -> None:
    error = error_from_transport(httpx.ConnectError("refused"), method="POST", path="/customers")
    assert type(error) is VismaUnavailable
    assert error.retriable
    assert not error.may_have_executed


def test_read_timeout_on_a_write_may_have_executed() -> None:
    error = error_from_transport(httpx.ReadTimeout("slow"), method="POST", path="/customerinvoicedrafts")
    assert isinstance(error, VismaTimeoutAfterSend)
    assert error.may_have_executed
    assert error.retriable


def test_read_timeout_on_a_read_is_plain_unavailable() -> None:
    error = error_from_transport(httpx.ReadTimeout("slow"), method="GET", path="/customers")
    assert type(error) is VismaUnavailable
    assert not error.may_have_executed


@pytest.mark.parametrize(("code", "reconnect"), [("invalid_grant", True), ("invalid_request", False)])
def test_oauth_error_tells_when_the_user_must_reconnect(code: str, reconnect: bool) -> None:
    assert OAuthError("x", oauth_error=code).needs_reconnect is reconnect
    assert not OAuthError("x", oauth_error=code).retriable
