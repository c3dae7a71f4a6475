"""Log lines are JSON with request id and company id, and never carry a secret or a personnummer."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

import pytest
import structlog

from fakturabro.observability.logging import RequestContext, begin_request, configure_logging, end_request
from fakturabro.observability.redaction import REDACTED, redact_text


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    """configure_logging changes process-wide state; later tests in this process expect the defaults."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    structlog.reset_defaults()
    root.handlers[:] = handlers
    root.setLevel(level)


SECRETS = [
    "19121212-1212",
    "191212121212",
    "121212-1212",
    "1212121212",
    "121212+1212",
    "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxMjMifQ.c2lnbmF0dXJl",
]


@pytest.mark.parametrize("secret", SECRETS)
def test_a_personnummer_or_a_jwt_is_masked_in_any_text(secret: str) -> None:
    assert secret not in redact_text(f"kunden {secret} hittades inte")
    assert REDACTED in redact_text(f"kunden {secret} hittades inte")


def test_secrets_in_query_strings_and_headers_are_masked() -> None:
    text = redact_text("GET /cb?code=abc123&state=s1 Authorization: Bearer tok_ABCDEF123 refresh_token=r-9")
    for secret in ("abc123", "tok_ABCDEF123", "r-9"):
        assert secret not in text
    assert "state=s1" in text


def test_dates_amounts_and_ids_stay_readable() -> None:
    text = "invoice 10042 total 1250.00 at 2026-11-24T09:00:00+00:00 id 3fa85f64-5717-4562-b3fc-2c963f66afa6"
    text += " request 80e17d0792e1234567890ba37ed6d03f"
    assert redact_text(text) == text


def test_every_line_is_json_with_request_and_company_and_no_secret(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging(level="INFO", json=True)
    capsys.readouterr()
    log = structlog.get_logger("fakturabro.test")
    token = begin_request(RequestContext(request_id="req-12345678"))
    try:
        log.info("customer.created", personal_number="19121212-1212", company_id=7)
        log.info("visma.token", access_token="eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxMjMifQ.c2ln", client_secret="s3cr3t")
        logging.getLogger("httpx").info("HTTP Request: POST https://x/connect/token?code=abcdef1234 for 121212-1212")
        try:
            raise ValueError("personnummer 191212121212 ogiltigt")
        except ValueError:
            log.exception("failed")
    finally:
        end_request(token)
    log.info("outside a request")
    err = capsys.readouterr().err
    parsed = [json.loads(line) for line in err.splitlines() if line.strip()]
    assert len(parsed) == 5
    assert all("request_id" in line and "company_id" in line for line in parsed)
    assert parsed[0]["request_id"] == "req-12345678"
    assert parsed[0]["company_id"] == 7
    assert parsed[-1]["request_id"] is None
    for secret in ("19121212-1212", "191212121212", "121212-1212", "eyJhbGciOiJSUzI1NiJ9", "s3cr3t", "abcdef1234"):
        assert secret not in err, secret
