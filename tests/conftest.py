"""Shared fixtures: a migrated database on SQLite and, when ``DATABASE_URL_TEST`` is set, on PostgreSQL.

Each xdist worker gets its own SQLite file / PostgreSQL database. Tests isolate themselves by creating their
own companies (tenants), so one database per worker session is enough and fast.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from fakturabro.bootstrap import Container, build
from fakturabro.settings import Settings
from fakturabro.store.migrate import upgrade

BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


def _worker() -> str:
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A fresh PostgreSQL database for this worker, dropped afterwards."""
    base = os.environ.get("DATABASE_URL_TEST")
    if not base:
        pytest.skip("DATABASE_URL_TEST is not set")
    url = make_url(base)
    name = f"{url.database}_{_worker()}_{os.getpid()}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    yield url.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def make_settings(data_dir: Path, database_url: str | None = None) -> Settings:
    return Settings(
        data_dir=data_dir,
        database_url=database_url,
        token_key=Fernet.generate_key().decode(),
        secret_key="test-session-secret",
    )


@pytest.fixture(scope="session", params=BACKENDS)
def container(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Container]:
    """A migrated database and everything built on it, per backend."""
    data_dir = tmp_path_factory.mktemp(f"data-{request.param}")
    url = request.getfixturevalue("postgres_url") if request.param == "postgresql" else None
    built = build(make_settings(data_dir, url))
    upgrade(built.engine)
    yield built
    built.close()


@pytest.fixture
def fresh_container(tmp_path: Path) -> Iterator[Container]:
    """An unmigrated SQLite database of its own (for migration tests)."""
    built = build(make_settings(tmp_path))
    yield built
    built.close()
