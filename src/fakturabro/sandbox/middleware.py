"""What happens around every sandbox request: the request log, Visma's rate limit, injected faults, saving.

Rate limit and faults apply to `/v2` only (Visma's API); OAuth and `/_sandbox` are never faulted. The order
for a `/v2` call: rate limit (a rejected call does not count) → latency → injected 5xx (the call is not
processed) → the handler → for a successful write, maybe withhold the answer (`timeout_after_commit_rate`).
"""

from __future__ import annotations

import asyncio
import functools
import math
import re
import time
from collections.abc import Awaitable, Callable

from fastapi import Request, Response
from fastapi.responses import JSONResponse
from starlette.routing import compile_path

from fakturabro.sandbox import spec
from fakturabro.sandbox.deps import app_path, bearer_token
from fakturabro.sandbox.errors import INTERNAL_ERROR, QUOTA_EXCEEDED, error_body
from fakturabro.sandbox.state import RequestLogEntry, SandboxState

CallNext = Callable[[Request], Awaitable[Response]]
WRITE_METHODS = {"POST", "PUT", "DELETE", "PATCH"}
RATE_WINDOW_SECONDS = 60.0


@functools.cache
def _api_templates() -> tuple[tuple[re.Pattern[str], str], ...]:
    """`/v2` path templates from the spec, literal segments before parameters (so `.../withvoucher` wins)."""
    templates = sorted({f"/v2{path}" for _, path in spec.served_operations()}, key=lambda t: (t.count("{"), t))
    return tuple((compile_path(template)[0], template) for template in templates)


def path_template(path: str) -> str:
    """The spec's path template for an app-relative path (e.g. `/v2/customers/{customerId}`), else the path;
    document links log as `/documents/{token}.pdf` (the token is a credential)."""
    if path.startswith("/v2/"):
        for pattern, template in _api_templates():
            if pattern.match(path):
                return template
    if path.startswith("/documents/"):
        return "/documents/{token}.pdf"
    return path


def client_key(state: SandboxState, request: Request) -> str:
    token = bearer_token(request)
    if token is not None:
        with state.lock:
            record = state.access_tokens.get(token)
        if record is not None:
            return f"client:{record['client_id']}"
    host = request.client.host if request.client else "unknown"
    return f"anonymous:{host}"


def _rate_limited(state: SandboxState, key: tuple[str, str]) -> int | None:
    """Record a call in the sliding minute window; the seconds to wait when over the limit, else None."""
    limit = state.faults.rate_limit_per_minute
    if limit <= 0:
        return None
    now = state.now().timestamp()
    with state.lock:
        window = [moment for moment in state.rate_windows.get(key, []) if moment > now - RATE_WINDOW_SECONDS]
        if len(window) >= limit:
            state.rate_windows[key] = window
            return max(1, math.ceil(window[0] + RATE_WINDOW_SECONDS - now))
        window.append(now)
        state.rate_windows[key] = window
        return None


def quota_exceeded(limit: int, retry_after: int) -> JSONResponse:
    message = f"API calls quota exceeded! maximum admitted {limit} per Minute. Try again in {retry_after} seconds."
    return JSONResponse(error_body(QUOTA_EXCEEDED, message), status_code=429, headers={"Retry-After": str(retry_after)})


def _draw(state: SandboxState, rate: float) -> bool:
    if rate <= 0:
        return False
    with state.lock:
        return state.rng.random() < rate


async def _answer_v2(state: SandboxState, request: Request, template: str, call_next: CallNext) -> Response:
    faults = state.faults
    retry_after = _rate_limited(state, (client_key(state, request), template))
    if retry_after is not None:
        return quota_exceeded(faults.rate_limit_per_minute, retry_after)
    if faults.latency_ms > 0:
        await asyncio.sleep(faults.latency_ms / 1000)
    if _draw(state, faults.error_rate):
        body = error_body(INTERNAL_ERROR, "Injected fault: internal server error (sandbox error_rate).")
        return JSONResponse(body, status_code=500)
    response = await call_next(request)
    if request.method in WRITE_METHODS and response.status_code < 300:
        state.save()
        if _draw(state, faults.timeout_after_commit_rate):
            # The write is committed and saved; the answer comes far too late for any sane read timeout.
            await asyncio.sleep(faults.timeout_after_commit_ms / 1000)
    return response


async def sandbox_middleware(request: Request, call_next: CallNext) -> Response:
    state: SandboxState = request.app.state.sandbox
    path = app_path(request)
    template = path_template(path)
    started = time.perf_counter()
    if path.startswith("/v2/") or path == "/v2":
        response = await _answer_v2(state, request, template, call_next)
    else:
        response = await call_next(request)
        if request.method in WRITE_METHODS and response.status_code < 500:
            state.save()
    if not path.startswith("/_sandbox"):
        record = state.access_tokens.get(bearer_token(request) or "")
        state.log_request(
            RequestLogEntry(
                method=request.method,
                path=template if template.startswith("/documents/") else path,
                path_template=template,
                status=response.status_code,
                time=state.timestamp(),
                client_id=record["client_id"] if record else None,
                duration_ms=round((time.perf_counter() - started) * 1000, 3),
            )
        )
    return response
