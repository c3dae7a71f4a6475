"""Fakes for pure transport tests: a Visma Connect token endpoint and an API that checks bearer tokens."""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs

import httpx


class FakeClock:
    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime(2026, 11, 24, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


class FakeConnect:
    """A token endpoint with single-use refresh tokens, like Visma Connect."""

    def __init__(self, *, slow_refresh: float = 0.0) -> None:
        self._counter = itertools.count(1)
        self.valid_refresh_tokens: set[str] = {"refresh-0"}
        self.valid_access_tokens: set[str] = {"access-0"}
        self.refresh_calls = 0
        self.forms: list[dict[str, str]] = []
        self.slow_refresh = slow_refresh
        self.revoked = False
        self._lock = threading.Lock()

    def handle(self, request: httpx.Request) -> httpx.Response:
        form = {k: v[0] for k, v in parse_qs(request.content.decode()).items()}
        self.forms.append(form)
        if form["grant_type"] == "refresh_token":
            if self.slow_refresh:
                time.sleep(self.slow_refresh)
            with self._lock:
                self.refresh_calls += 1
                if self.revoked or form["refresh_token"] not in self.valid_refresh_tokens:
                    return httpx.Response(400, json={"error": "invalid_grant"})
                self.valid_refresh_tokens.discard(form["refresh_token"])
                return self._issue()
        if form["grant_type"] == "authorization_code":
            if form.get("code") != "good-code":
                return httpx.Response(400, json={"error": "invalid_grant"})
            return self._issue()
        return httpx.Response(400, json={"error": "unsupported_grant_type"})

    def _issue(self) -> httpx.Response:
        n = next(self._counter)
        self.valid_access_tokens = {f"access-{n}"}  # older access tokens stop working
        self.valid_refresh_tokens.add(f"refresh-{n}")
        body = {
            "access_token": f"access-{n}",
            "refresh_token": f"refresh-{n}",
            "expires_in": 3600,
            "token_type": "Bearer",
            "scope": "ea:api offline_access ea:sales",
        }
        return httpx.Response(200, json=body)


def api_handler(
    connect: FakeConnect, on_api: Callable[[httpx.Request], httpx.Response] | None = None
) -> Callable[[httpx.Request], httpx.Response]:
    def handle(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/connect/token":
            return connect.handle(request)
        token = request.headers.get("Authorization", "").removeprefix("Bearer ")
        if token not in connect.valid_access_tokens:
            return httpx.Response(401, json={"ErrorCode": 401, "DeveloperErrorMessage": "Unauthorized"})
        if on_api is not None:
            return on_api(request)
        return httpx.Response(200, content=json.dumps({"token": token, "body": request.content.decode()}))

    return handle
