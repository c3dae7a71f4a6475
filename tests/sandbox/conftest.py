"""Fixtures for the sandbox tests (part A and part B use them).

- `clock`: a `FakeClock` the app reads (token expiry, ModifiedUtc); `clock.advance(seconds)`.
- `app` / `client`: a fresh sandbox with a tmp data dir, and a `TestClient` for it.
- `token` / `headers`: an access token for the seeded company (all scopes) and the matching headers.
- `get_token(client, **body)`: a token via `POST /_sandbox/token` (company_id, scopes, client_id).
- `live`: the sandbox over real HTTP (uvicorn in a thread on a free loopback port).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from fakturabro.sandbox.app import create_sandbox_app
from fakturabro.sandbox.seed import SEED_COMPANY_ID
from fakturabro.sandbox.state import SandboxState
from fakturabro.sandbox.testing import FakeClock, LiveSandbox, live_sandbox


def get_token(client: TestClient, **body: Any) -> dict[str, Any]:
    response = client.post("/_sandbox/token", json=body or None)
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


def bearer(token: str | dict[str, Any]) -> dict[str, str]:
    value = token["access_token"] if isinstance(token, dict) else token
    return {"Authorization": f"Bearer {value}"}


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "sandbox-data"


@pytest.fixture
def app(data_dir: Path, clock: FakeClock) -> FastAPI:
    return create_sandbox_app(data_dir, clock=clock)


@pytest.fixture
def state(app: FastAPI) -> SandboxState:
    sandbox: SandboxState = app.state.sandbox
    return sandbox


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture
def token(client: TestClient) -> dict[str, Any]:
    return get_token(client)


@pytest.fixture
def headers(token: dict[str, Any]) -> dict[str, str]:
    return bearer(token)


@pytest.fixture
def company_id() -> str:
    return SEED_COMPANY_ID


@pytest.fixture
def live(tmp_path: Path) -> Iterator[LiveSandbox]:
    with live_sandbox(tmp_path / "live-data") as sandbox:
        yield sandbox
