"""Refresh tokens are single-use: many workers refreshing one company at once must leave it connected.

Every worker's access token has expired, so each one wants to refresh; the row lock lets exactly one of them
use the refresh token, and the others pick up what it stored.
"""

from __future__ import annotations

import multiprocessing
import os
import time
from concurrent.futures import ProcessPoolExecutor
from typing import Any

import httpx
import pytest
from connect_helpers import login_and_consent, query
from connect_support import Clock, postgres_database
from connect_workers import Container, call_visma_concurrently, process_worker
from cryptography.fernet import Fernet
from sqlalchemy import text
from tests.company_details import create_company_with_details

from fakturabro.store.database import Database
from fakturabro.store.visma_models import VismaConnection
from fakturabro.sync.connection import (
    ConnectionState,
    DatabaseTokenStore,
    VismaSetup,
    activate,
    complete_connect,
    connection_status,
    start_connect,
)

THREADS = int(os.environ.get("FAKTURABRO_CONCURRENT_REFRESH_THREADS", "6"))
PROCESSES = int(os.environ.get("FAKTURABRO_CONCURRENT_REFRESH_PROCESSES", "2"))


def connected_company(db: Database, setup: VismaSetup) -> int:
    company_id = create_company_with_details(db, "Rörfirman AB").id
    activate(db, company_id)
    with httpx.Client(timeout=10) as browser:
        callback = query(login_and_consent(browser, start_connect(db, setup, company_id)))
    complete_connect(db, setup, state=callback["state"], code=callback["code"])
    return company_id


def generation(db: Database, company_id: int) -> int:
    with db.transaction() as session:
        row = session.get(VismaConnection, company_id)
        assert row is not None
        return row.token_generation


def assert_survived(db: Database, company_id: int, sandbox_app: Any, generation_before: int) -> None:
    assert connection_status(db, company_id).state is ConnectionState.CONNECTED
    assert generation(db, company_id) == generation_before + 1  # one refresh, whoever won the lock
    stored = DatabaseTokenStore(db, company_id).load()
    assert stored is not None
    assert stored.refresh_token is not None
    assert list(sandbox_app.state.sandbox.refresh_tokens) == [stored.refresh_token]
    with db.engine.connect() as connection:  # at rest, as any SQL client sees the table: encrypted
        raw = repr(connection.execute(text("SELECT * FROM visma_connections")).all())
    assert stored.access_token not in raw
    assert stored.refresh_token not in raw


def test_concurrent_refresh_on_sqlite_threads_and_processes(
    db: Database, sqlite_url: str, token_key: bytes, setup: VismaSetup, clock: Clock, sandbox_app: Any
) -> None:
    company_id = connected_company(db, setup)
    before = generation(db, company_id)
    clock.advance(3600)

    results = refresh_everywhere(db, sqlite_url, token_key, setup, clock, company_id)

    assert results == ["Demo Bygg & Service AB"] * (THREADS * (PROCESSES + 1))
    assert_survived(db, company_id, sandbox_app, before)


def refresh_everywhere(
    db: Database, url: str, key: bytes, setup: VismaSetup, clock: Clock, company_id: int
) -> list[str]:
    """THREADS threads here and in each of PROCESSES other processes, all starting at the same moment."""
    start_at = time.time() + 3  # after the worker processes have started (a late one only lowers contention)
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=PROCESSES, mp_context=context) as pool:
        args = (url, key, clock.now, setup, company_id, THREADS, start_at)
        futures = [pool.submit(process_worker, *args) for _ in range(PROCESSES)]
        here = call_visma_concurrently(Container(db, setup), company_id, THREADS, start_at)
        return here + [result for future in futures for result in future.result(timeout=180)]


@pytest.mark.postgres
def test_concurrent_refresh_on_postgresql_threads_and_processes(
    setup: VismaSetup, clock: Clock, sandbox_app: Any
) -> None:
    key = Fernet.generate_key()
    with postgres_database(clock, key) as (db, url):
        company_id = connected_company(db, setup)
        before = generation(db, company_id)
        clock.advance(3600)

        results = refresh_everywhere(db, url, key, setup, clock, company_id)

        assert results == ["Demo Bygg & Service AB"] * (THREADS * (PROCESSES + 1))
        assert_survived(db, company_id, sandbox_app, before)
