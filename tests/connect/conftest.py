"""Connecting to Visma against the real sandbox over real HTTP (uvicorn in a thread) and a real database."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from connect_support import (
    REDIRECT_URI,
    Clock,
    Company,
    SandboxClock,
    free_port,
    migrated_database,
    serve,
)
from cryptography.fernet import Fernet
from tests.company_details import create_company_with_details

from fakturabro.store.database import Database, make_engine
from fakturabro.sync.connection import VismaSetup, activate


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def sandbox_clock(clock: Clock) -> SandboxClock:
    return SandboxClock(clock)


@pytest.fixture
def sandbox_app(tmp_path: Path, sandbox_clock: SandboxClock) -> Any:
    from fakturabro.sandbox.app import create_sandbox_app

    return create_sandbox_app(tmp_path / "sandbox", clock=sandbox_clock)


@pytest.fixture
def sandbox_url(sandbox_app: Any) -> Iterator[str]:
    with serve(sandbox_app, free_port()) as url:
        yield url


@pytest.fixture
def control(sandbox_url: str) -> Iterator[httpx.Client]:
    """The sandbox's test-only control API (`/_sandbox/...`)."""
    with httpx.Client(base_url=f"{sandbox_url}/_sandbox", timeout=10) as client:
        yield client


@pytest.fixture
def setup(sandbox_url: str) -> VismaSetup:
    return VismaSetup(
        client_id="fakturabro-dev",
        client_secret="dev-secret",
        auth_url=f"{sandbox_url}/connect/authorize",
        token_url=f"{sandbox_url}/connect/token",
        api_base_url=f"{sandbox_url}/v2",
        redirect_uri=REDIRECT_URI,
    )


@pytest.fixture
def token_key() -> bytes:
    return Fernet.generate_key()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'fakturabro.db'}"


@pytest.fixture
def db(sqlite_url: str, clock: Clock, token_key: bytes) -> Iterator[Database]:
    engine = make_engine(sqlite_url)
    yield migrated_database(engine, clock, token_key)
    engine.dispose()


@pytest.fixture
def company(db: Database) -> Company:
    company_id = create_company_with_details(db, "Elfirman AB").id
    activate(db, company_id)
    return Company(company_id)
