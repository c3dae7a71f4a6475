"""Keep tokens, secrets and personnummer out of every log line.

Two nets: by key (a value logged under a name like ``refresh_token`` or ``personal_number`` is replaced whatever
it looks like) and by shape (a string anywhere in the event — the message, an exception's text, a URL — has
bearer tokens, JWTs, ``code=``/``token=`` query values and anything shaped like a personnummer or
samordningsnummer masked). The shape net is deliberately greedy: a ten- or twelve-digit number in a log line is
masked even if it was an invoice total in öre; a log line loses a number, never leaks an identity.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, MutableMapping
from typing import Any

REDACTED = "[redacted]"

_SECRET_KEY_PARTS = (
    "token",
    "secret",
    "password",
    "passwd",
    "authorization",
    "cookie",
    "personal_number",
    "personnummer",
    "code_verifier",
    "api_key",
    "fernet",
)
# Keys that contain a secret-looking word but hold no secret (a count, a grant type, an expiry).
_SAFE_KEYS = frozenset({"grant_type", "token_type", "tokens", "token_refreshes", "expires_at"})

_PATTERNS = (
    # "Bearer <token>" / "Basic <credentials>" in a header dump or an error text.
    re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]{6,}"),
    # JWTs (Visma's access tokens are JWTs): three base64url parts starting with a JSON header.
    re.compile(r"\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*"),
    # Secrets in query strings or form bodies: code=, token=, refresh_token=, client_secret=, password=...
    re.compile(r"(?i)\b(code|[a-z_]*token|[a-z_]*secret|password|code_verifier)=[^&\s\"']+"),
    # Personnummer / samordningsnummer: YYYYMMDD-NNNN, YYMMDD-NNNN, YYMMDD+NNNN, or the bare 10/12 digits.
    # Letters around the digits make a hex id (a request id, a UUID), not a personnummer.
    re.compile(r"(?<![0-9A-Za-z])(?:[0-9]{2})?[0-9]{6}[-+ ]?[0-9]{4}(?![0-9A-Za-z])"),
)


def redact_text(text: str) -> str:
    for pattern in _PATTERNS:
        text = pattern.sub(_mask, text)
    return text


def _mask(match: re.Match[str]) -> str:
    found = match.group(0)
    if "=" in found and not found.lower().startswith(("bearer", "basic")):
        return found.split("=", 1)[0] + "=" + REDACTED
    if match.re is _PATTERNS[0]:
        return found.split(None, 1)[0] + " " + REDACTED
    return REDACTED


def is_secret_key(key: str) -> bool:
    lowered = key.lower()
    if lowered in _SAFE_KEYS:
        return False
    return any(part in lowered for part in _SECRET_KEY_PARTS)


def redact_value(value: Any) -> Any:
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, Mapping):
        return {k: REDACTED if isinstance(k, str) and is_secret_key(k) else redact_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [redact_value(item) for item in value]
    if isinstance(value, int | float | bool) or value is None:
        return value
    return redact_text(str(value))


def redact_event(_logger: Any, _method: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """The structlog processor: runs last before rendering, after exceptions were turned into text."""
    for key in list(event):
        if is_secret_key(key):
            event[key] = REDACTED
        else:
            event[key] = redact_value(event[key])
    return event
