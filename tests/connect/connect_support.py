"""Test support for tests/connect: clocks, a uvicorn server in a thread, databases (SQLite, PostgreSQL).

Kept out of conftest.py so test modules import it by a name no other test directory uses.
"""

from __future__ import annotations

import os
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import uvicorn
from cryptography.fernet import Fernet
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from fakturabro.store.database import Database, PersonalDataCipher, make_engine
from fakturabro.store.migrate import upgrade

REDIRECT_URI = "http://127.0.0.1:8000/integrations/visma/callback"


class Clock:
    """The sandbox's clock and ours: advanced by hand instead of waiting."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC).replace(microsecond=0)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def serve(app: Any, port: int) -> Iterator[str]:
    """Run an ASGI app with uvicorn in a thread on a loopback port."""
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the server did not start")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


class SandboxClock:
    """Visma's clock: ours, plus `ahead` seconds when a test wants Visma to see time differently."""

    def __init__(self, ours: Clock) -> None:
        self.ours = ours
        self.ahead = 0.0

    def __call__(self) -> datetime:
        return self.ours() + timedelta(seconds=self.ahead)


def migrated_database(engine: Engine, clock: Any, key: bytes | None = None) -> Database:
    upgrade(engine)
    return Database(engine=engine, cipher=PersonalDataCipher(key or Fernet.generate_key()), clock=clock)


@contextmanager
def postgres_database(clock: Any, key: bytes) -> Iterator[tuple[Database, str]]:
    """A fresh PostgreSQL database of its own (created and dropped here), on the server of DATABASE_URL_TEST."""
    url = os.environ.get("DATABASE_URL_TEST")
    if not url:
        pytest.skip("DATABASE_URL_TEST is not set (CI sets it; see .ci/run)")
    base = make_url(url)
    name = f"fb_connect_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    own_url = base.set(database=name).render_as_string(hide_password=False)
    engine = make_engine(own_url, pool_size=20)
    try:
        yield migrated_database(engine, clock, key), own_url
    finally:
        engine.dispose()
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@dataclass
class Company:
    id: int
