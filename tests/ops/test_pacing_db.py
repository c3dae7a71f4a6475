"""The database pacer keeps all threads and processes together under one per-endpoint budget."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from tests.unit.pacing_sim import FakeClock, arrivals, busiest_window, send_times

from fakturabro.store.database import make_engine
from fakturabro.store.migrate import upgrade
from fakturabro.sync.pacing_db import DatabasePacer, pacer_for
from fakturabro.visma.pacing import VISMA_REQUESTS_PER_MINUTE

RATE_PER_MINUTE = 600.0  # 10 a second: a short test still spans several seconds of pacing
PROCESSES = 3
THREADS = 2
CALLS = 6  # per thread: 3 × 2 × 6 = 36 calls ≈ 3.5 s at 10/s

CHILD = """
import sys, threading, time
from fakturabro.store.database import make_engine
from fakturabro.sync.pacing_db import DatabasePacer
url, threads, calls = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rate, start_at = float(sys.argv[4]), float(sys.argv[5])
pacer = DatabasePacer(make_engine(url), scope="test", rate_per_minute=rate, headroom=0)
stamps = []
def run():
    for _ in range(calls):
        pacer.acquire("/v2/customerinvoicedrafts")
        stamps.append(time.time())
while time.time() < start_at:
    time.sleep(0.005)
workers = [threading.Thread(target=run) for _ in range(threads)]
for w in workers: w.start()
for w in workers: w.join()
print("\\n".join(repr(s) for s in stamps))
"""


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, Engine]]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'pacing.db'}"
    else:
        url = str(request.getfixturevalue("postgres_url"))
    engine = make_engine(url)
    upgrade(engine)
    with engine.begin() as connection:
        connection.execute(text("DELETE FROM visma_rate_buckets"))
    yield url, engine
    engine.dispose()


def _assert_under_the_limit(stamps: list[float], per_second: float) -> None:
    stamps = sorted(stamps)
    burst = 1
    for i, start in enumerate(stamps):
        in_window = sum(1 for s in stamps[i:] if s < start + 1.0)
        assert in_window <= per_second + burst + 1, f"{in_window} calls within one second from {start}"
    span = stamps[-1] - stamps[0]
    assert span >= (len(stamps) - burst - 1) / per_second * 0.95


def test_several_processes_with_several_threads_share_one_budget(database: tuple[str, Engine]) -> None:
    url, _engine = database
    start_at = time.time() + 2.0  # all children start together, after their imports
    children = [
        subprocess.Popen(
            [sys.executable, "-c", CHILD, url, str(THREADS), str(CALLS), str(RATE_PER_MINUTE), str(start_at)],
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(PROCESSES)
    ]
    stamps: list[float] = []
    for child in children:
        out, _ = child.communicate(timeout=60)
        assert child.returncode == 0
        stamps += [float(line) for line in out.split()]
    assert len(stamps) == PROCESSES * THREADS * CALLS
    _assert_under_the_limit(stamps, RATE_PER_MINUTE / 60)


def test_endpoints_have_budgets_of_their_own(database: tuple[str, Engine]) -> None:
    _url, engine = database
    slept: list[float] = []
    pacer = DatabasePacer(engine, scope="own", rate_per_minute=60, headroom=0, sleep=slept.append)
    pacer.acquire("/v2/customers")
    pacer.acquire("/v2/articles")
    assert slept == []  # each endpoint's first call is free
    pacer.acquire("/v2/customers")
    assert len(slept) == 1
    assert 0.9 < slept[0] <= 1.0  # one a second: the second call waits about a second


def test_threads_in_one_process_stay_under_the_limit(database: tuple[str, Engine]) -> None:
    _url, engine = database
    pacer = DatabasePacer(engine, scope="threads", rate_per_minute=RATE_PER_MINUTE, headroom=0)
    stamps: list[float] = []

    def run() -> None:
        for _ in range(5):
            pacer.acquire("/v2/customerinvoices")
            stamps.append(time.time())

    threads = [threading.Thread(target=run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(stamps) == 20
    _assert_under_the_limit(stamps, RATE_PER_MINUTE / 60)


def test_every_process_shares_the_budget_on_postgresql_and_on_sqlite(tmp_path: Path) -> None:
    sqlite = create_engine(f"sqlite:///{tmp_path / 'x.db'}")
    assert isinstance(pacer_for(sqlite, scope="c"), DatabasePacer)
    postgres = create_engine("postgresql+psycopg://u@127.0.0.1:9/x")
    assert isinstance(pacer_for(postgres, scope="c"), DatabasePacer)


def test_at_the_production_rate_no_60_second_window_exceeds_the_limit(tmp_path: Path) -> None:
    """The defaults (600 a minute less 3 %, burst 1) under a fake clock, several threads, the buckets in SQLite."""
    engine = make_engine(f"sqlite:///{tmp_path / 'paced.db'}")
    upgrade(engine)

    def pacer(clock: FakeClock) -> DatabasePacer:
        return DatabasePacer(engine, scope="ceiling", clock=clock, sleep=clock.sleep)

    sent = send_times(pacer, threads=4, calls=200)  # 800 requests ≈ 82 s of pacing
    assert len(sent) == 800
    assert 582 - 1 <= busiest_window(sent) <= 582 + 1  # at the paced rate, never above it
    assert busiest_window(arrivals(sent, jitter=1.5)) <= VISMA_REQUESTS_PER_MINUTE
    engine.dispose()
