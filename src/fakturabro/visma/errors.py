"""One hierarchy of errors for everything that can go wrong talking to Visma.

Every failure the adapter raises is a `VismaError`. Two properties tell the caller what to do next:

- `retriable`: trying the same call later can succeed (rate limit, 5xx, network trouble). Validation, auth and
  "not found" are not retriable: the request itself must change, or the user must reconnect.
- `may_have_executed`: the request may have been carried out by Visma even though we saw no success (a write whose
  answer was lost, or a 5xx on a write). Visma has no idempotency keys, so such a write must be reconciled (looked
  up by our own marker) before it is sent again.

Messages never carry the Authorization header, tokens, or anything that looks like a personnummer.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

import httpx

# 10 or 12 digits with an optional separator: personnummer, samordningsnummer, organisationsnummer. Visma's
# validation messages can echo the value of a field (e.g. a person's Ssn on a ROT invoice); we redact them all.
_IDENTITY_NUMBER = re.compile(r"\b(?:\d{2})?\d{6}[-+]?\d{4}\b")
_TRY_AGAIN = re.compile(r"try again in (\d+(?:\.\d+)?) seconds?", re.IGNORECASE)
_MAX_MESSAGE = 500


def redact(text: str) -> str:
    """Remove identity numbers from text that may end up in a log line or an error message."""
    return _IDENTITY_NUMBER.sub("[redacted]", text)


@dataclass(frozen=True)
class FieldError:
    """One item of Visma's validation details (`CommonError`)."""

    field: str | None
    error_code: str | None
    message: str | None


class VismaError(Exception):
    """Base of all errors from the Visma adapter."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        error_code: int | None = None,
        developer_message: str | None = None,
        error_id: str | None = None,
        errors: tuple[FieldError, ...] = (),
        method: str | None = None,
        path: str | None = None,
        may_have_executed: bool = False,
    ) -> None:
        super().__init__(redact(message))
        self.status = status
        self.error_code = error_code
        self.developer_message = redact(developer_message) if developer_message else None
        self.error_id = error_id
        self.errors = errors
        self.method = method
        self.path = path
        self.may_have_executed = may_have_executed

    @property
    def retriable(self) -> bool:
        return False

    def __str__(self) -> str:
        parts = [self.args[0] if self.args else type(self).__name__]
        if self.status is not None:
            parts.append(f"status={self.status}")
        if self.error_code is not None:
            parts.append(f"ErrorCode={self.error_code}")
        if self.error_id:
            parts.append(f"ErrorId={self.error_id}")
        return " ".join(parts)


class VismaValidationError(VismaError):
    """400/422: Visma rejected the content; the request must change (e.g. ErrorCode 4002, missing field)."""


class VismaUnauthorized(VismaError):
    """401 after a refresh-and-replay: the token is not accepted."""


class VismaForbidden(VismaError):
    """403: e.g. the company has not activated the "Visma Integration" app, or the scope is missing."""


class VismaNotFound(VismaError):
    """404."""


class VismaConflict(VismaError):
    """409."""


class VismaRateLimited(VismaError):
    """429: over Visma's quota (600 requests per minute per client and endpoint). The request did not execute."""

    def __init__(self, message: str, *, retry_after_seconds: float | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.retry_after_seconds = retry_after_seconds

    @property
    def retriable(self) -> bool:
        return True


class VismaUnavailable(VismaError):
    """5xx, timeouts and connection failures: Visma could not be reached or failed on its side."""

    @property
    def retriable(self) -> bool:
        return True


class VismaTimeoutAfterSend(VismaUnavailable):
    """The request was sent but its answer never came: a write may have been committed. Reconcile first."""


class VismaPaginationError(VismaError):
    """A list endpoint paged inconsistently (same page twice, a page number ignored, no end in sight)."""


class VismaProtocolError(VismaError):
    """A 2xx answer we cannot understand (not JSON, not the documented shape)."""


class OAuthError(VismaError):
    """Visma Connect refused a token request.

    `needs_reconnect` is true when only the user can fix it by connecting again: the refresh token is revoked,
    expired or already used (`invalid_grant`), or our client credentials are refused (`invalid_client`).
    """

    def __init__(self, message: str, *, oauth_error: str | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.oauth_error = oauth_error

    @property
    def needs_reconnect(self) -> bool:
        return self.oauth_error in {"invalid_grant", "invalid_client", "unauthorized_client"}


_BY_STATUS: dict[int, type[VismaError]] = {
    400: VismaValidationError,
    401: VismaUnauthorized,
    403: VismaForbidden,
    404: VismaNotFound,
    409: VismaConflict,
    422: VismaValidationError,
    429: VismaRateLimited,
}

_WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def _json_body(response: httpx.Response) -> dict[str, Any]:
    try:
        body = json.loads(response.content or b"null")
    except (ValueError, UnicodeDecodeError):
        return {}
    return body if isinstance(body, dict) else {}


def _field_errors(body: dict[str, Any]) -> tuple[FieldError, ...]:
    raw = body.get("Errors") or []
    if not isinstance(raw, list):
        return ()
    return tuple(
        FieldError(
            field=item.get("Field"),
            error_code=None if item.get("ErrorCode") is None else str(item.get("ErrorCode")),
            message=redact(str(item["Message"])) if item.get("Message") is not None else None,
        )
        for item in raw
        if isinstance(item, dict)
    )


def parse_retry_after(response: httpx.Response, developer_message: str | None) -> float | None:
    """Seconds to wait, from Visma's "Try again in N seconds." or else a numeric Retry-After header."""
    if developer_message:
        match = _TRY_AGAIN.search(developer_message)
        if match:
            return float(match.group(1))
    header = response.headers.get("Retry-After", "").strip()
    try:
        return float(header) if header else None
    except ValueError:
        return None  # an HTTP-date; Visma is not known to send one


def error_from_response(response: httpx.Response, *, path: str | None = None) -> VismaError:
    """The one place an unsuccessful HTTP answer from the API becomes a typed exception."""
    status = response.status_code
    method = response.request.method
    body = _json_body(response)
    error_code = body.get("ErrorCode")
    developer_message = body.get("DeveloperErrorMessage")
    common: dict[str, Any] = {
        "status": status,
        "error_code": error_code if isinstance(error_code, int) else None,
        "developer_message": str(developer_message)[:_MAX_MESSAGE] if developer_message else None,
        "error_id": str(body["ErrorId"]) if body.get("ErrorId") else None,
        "errors": _field_errors(body),
        "method": method,
        "path": path,
    }
    summary = f"Visma {method} {path or ''} failed"
    if common["developer_message"]:
        summary = f"{summary}: {common['developer_message']}"
    if status == 429:
        retry_after = parse_retry_after(response, common["developer_message"])
        return VismaRateLimited(summary, retry_after_seconds=retry_after, **common)
    if status >= 500:
        # A server error on a write gives no proof that nothing was committed.
        return VismaUnavailable(summary, may_have_executed=method in _WRITE_METHODS, **common)
    kind = _BY_STATUS.get(status, VismaValidationError if 400 <= status < 500 else VismaProtocolError)
    return kind(summary, **common)


def error_from_transport(exc: httpx.TransportError, *, method: str, path: str) -> VismaUnavailable:
    """A network failure becomes `VismaUnavailable`, or `VismaTimeoutAfterSend` when a write may have landed.

    Connect errors and pool timeouts happen before a byte of the request leaves us; anything later (a read
    timeout, a connection dropped mid-answer) may hide a committed write.
    """
    not_sent = isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout | httpx.PoolTimeout)
    message = f"Visma {method} {path} failed: {type(exc).__name__}"
    if not_sent or method not in _WRITE_METHODS:
        return VismaUnavailable(message, method=method, path=path)
    return VismaTimeoutAfterSend(message, method=method, path=path, may_have_executed=True)
