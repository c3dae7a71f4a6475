"""Helpers for tests anywhere in the project: a controllable clock and the sandbox over real HTTP.

with live_sandbox(tmp_path) as sandbox:
    token = sandbox.token()["access_token"]
    httpx.get(f"{sandbox.api_url}/customers", headers={"Authorization": f"Bearer {token}"})
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from fastapi import FastAPI

from fakturabro.sandbox.app import create_sandbox_app
from fakturabro.sandbox.state import SandboxState


class FakeClock:
    """A clock tests move by hand; pass it as `clock=` to `create_sandbox_app`."""

    def __init__(self, start: datetime | None = None) -> None:
        self.current = start or datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.current

    def advance(self, seconds: float) -> None:
        self.current += timedelta(seconds=seconds)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass
class LiveSandbox:
    app: FastAPI
    base_url: str

    @property
    def state(self) -> SandboxState:
        state: SandboxState = self.app.state.sandbox
        return state

    @property
    def api_url(self) -> str:
        return f"{self.base_url}/v2"

    def token(self, **body: Any) -> dict[str, Any]:
        """`POST /_sandbox/token` (body: optional company_id, scopes, client_id)."""
        response = httpx.post(f"{self.base_url}/_sandbox/token", json=body or None, timeout=10)
        response.raise_for_status()
        answer: dict[str, Any] = response.json()
        return answer


@contextmanager
def serve_in_thread(app: FastAPI, host: str = "127.0.0.1") -> Iterator[str]:
    """Serve an ASGI app with uvicorn in a background thread; yields its base URL."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host=host, port=port, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, name=f"uvicorn-{port}", daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the sandbox server did not start")
        time.sleep(0.01)
    try:
        yield f"http://{host}:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@contextmanager
def live_sandbox(data_dir: Path | None = None, **options: Any) -> Iterator[LiveSandbox]:
    """A fresh sandbox (options as for `create_sandbox_app`) over real HTTP on a free loopback port."""
    app = create_sandbox_app(data_dir, **options)
    with serve_in_thread(app) as base_url:
        yield LiveSandbox(app=app, base_url=base_url)
