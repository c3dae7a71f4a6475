"""The Visma client against the real sandbox, over real HTTP (uvicorn in a thread on a free loopback port)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
import uvicorn
from visma_fakes import FakeClock


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def sandbox_clock() -> FakeClock:
    """The sandbox's clock, and ours in these tests: advanced by hand instead of waiting."""
    return FakeClock(datetime.now(UTC).replace(microsecond=0))


@pytest.fixture
def sandbox_url(tmp_path: Path, sandbox_clock: FakeClock) -> Iterator[str]:
    from fakturabro.sandbox.app import create_sandbox_app

    port = _free_port()
    app = create_sandbox_app(tmp_path, clock=sandbox_clock)
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the sandbox did not start")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture
def control(sandbox_url: str) -> Iterator[httpx.Client]:
    """The sandbox's test-only control API (`/_sandbox/...`)."""
    with httpx.Client(base_url=f"{sandbox_url}/_sandbox", timeout=10) as client:
        yield client
