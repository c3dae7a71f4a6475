"""Workers for the concurrent-refresh test: each thread builds its own Visma client for the same company."""

from __future__ import annotations

import threading
import time
from datetime import datetime
from typing import Any

from fakturabro.store.database import Database, PersonalDataCipher, make_engine
from fakturabro.sync.connection import VismaSetup, visma_client_for


class Container:
    """The part of `bootstrap.Container` the connection use cases read."""

    def __init__(self, db: Database, visma_setup: VismaSetup) -> None:
        self.db = db
        self.extras: dict[str, Any] = {"visma_setup": visma_setup}
        self.settings: Any = None


def call_visma_concurrently(
    container: Container, company_id: int, threads: int, start_at: float | None = None
) -> list[str]:
    """Start `threads` threads at once (at wall-clock `start_at`, so processes line up too), each asking Visma
    for the company settings with a fresh client."""
    barrier = threading.Barrier(threads)
    results: list[str] = []
    lock = threading.Lock()

    def work() -> None:
        client = visma_client_for(container, company_id)
        barrier.wait()
        if start_at is not None:
            time.sleep(max(0.0, start_at - time.time()))
        try:
            outcome = client.get_company_settings().name or ""
        except Exception as exc:  # recorded and asserted on by the test
            outcome = f"error: {type(exc).__name__}: {exc}"
        with lock:
            results.append(outcome)

    workers = [threading.Thread(target=work) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
    return results


def process_worker(
    database_url: str, key: bytes, now: datetime, setup: VismaSetup, company_id: int, threads: int, start_at: float
) -> list[str]:
    """The same from another process, with its own engine and connection pool."""
    engine = make_engine(database_url, pool_size=threads)
    try:
        database = Database(engine=engine, cipher=PersonalDataCipher(key), clock=lambda: now)
        return call_visma_concurrently(Container(database, setup), company_id, threads, start_at)
    finally:
        engine.dispose()
