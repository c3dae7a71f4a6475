"""Scale-out: real `fakturabro` processes, a worker SIGKILLed midway and restarted; every approved invoice is in
Visma exactly once and /metrics says so.

PostgreSQL (DATABASE_URL_TEST): one web process (`serve`, which also works the queue) and two
`fakturabro worker` processes sharing the database and DBOS's queues; worker w1 is killed once a fifth of the
invoices are exported and restarted with the same executor id. SQLite: the single `serve` process is killed and
restarted. CI size: SCALE_OUT_INVOICES (default 60; 120 takes about 110 s on PostgreSQL, 65 s on SQLite).
"""

from __future__ import annotations

import os
import signal
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from cryptography.fernet import Fernet
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url
from tests.company_details import create_company_with_details

from fakturabro.bootstrap import Container, build
from fakturabro.invoicing.companies import create_api_token
from fakturabro.settings import Settings
from fakturabro.store.export_models import InvoiceExport
from fakturabro.store.migrate import upgrade
from fakturabro.sync.connection import DatabaseTokenStore

from .serving import Processes, connect_through_the_sandbox, free_port, metric, ok

INVOICES = int(os.environ.get("SCALE_OUT_INVOICES", "60"))
# An invoice whose create was in flight at the kill waits out the export's in-flight grace (90 s) before it is
# looked up for the last time and sent: the deadline allows for it.
DEADLINE_SECONDS = 60 + INVOICES * 2.0 + 90
WORKER_STARTED = "fakturabro worker kör"  # printed by a worker once it has started


@pytest.fixture
def own_postgres() -> Iterator[str]:
    """A database of its own: DBOS's queues must not see another test's workflows."""
    base = os.environ.get("DATABASE_URL_TEST")
    if not base:
        pytest.skip("DATABASE_URL_TEST is not set")
    url = make_url(base)
    name = f"{url.database}_scale_{os.getpid()}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    yield url.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@dataclass
class Cluster:
    url: str
    api: httpx.Client
    container: Container
    company_id: int
    processes: Processes
    workers: list[str]


def _cluster(tmp_path: Path, database_url: str | None, workers: list[str]) -> Iterator[Cluster]:
    token_key = Fernet.generate_key().decode()
    settings = Settings(
        data_dir=tmp_path / "data", database_url=database_url, token_key=token_key, secret_key="scale-out"
    )
    container = build(settings)
    upgrade(container.engine)
    company_id = create_company_with_details(container.db, "Skala Ut AB").id
    api_token = create_api_token(container.db, company_id, "scale-out").token
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {
        "FAKTURABRO_DATA_DIR": str(settings.data_dir),
        "FAKTURABRO_TOKEN_KEY": token_key,
        "FAKTURABRO_SECRET_KEY": "scale-out",
        "FAKTURABRO_PUBLIC_URL": url,  # the embedded sandbox, for the workers too
        "FAKTURABRO_LOG_LEVEL": "WARNING",
    }
    if database_url:
        env["DATABASE_URL"] = database_url
    processes = Processes(env, tmp_path)
    api = httpx.Client(base_url=f"{url}/api/v1", headers={"Authorization": f"Bearer {api_token}"}, timeout=60)
    try:
        processes.start("web", "serve", "--port", str(port), "--no-demo")
        processes.wait_healthy("web", url)
        connect_through_the_sandbox(api, url)
        for name in workers:
            processes.start(name, "worker", "--executor-id", name)
        yield Cluster(url, api, container, company_id, processes, workers)
    finally:
        api.close()
        processes.kill_all()
        container.close()


@pytest.fixture
def postgres_cluster(tmp_path: Path, own_postgres: str) -> Iterator[Cluster]:
    yield from _cluster(tmp_path, own_postgres, ["w1", "w2"])


@pytest.fixture
def sqlite_cluster(tmp_path: Path) -> Iterator[Cluster]:
    yield from _cluster(tmp_path, None, [])


def _approve(cluster: Cluster) -> dict[int, int]:
    """INVOICES approved invoices over the REST API: id → number."""
    customers = []
    for n in range(5):
        body = {"name": f"Kund {n}", "address_line1": "Storgatan 1", "postal_code": "41301", "city": "Göteborg"}
        customers.append(ok(cluster.api.post("/customers", json=body), 201)["customer_number"])
    approved = {}
    for n in range(INVOICES):
        rows = [{"text": "Arbete", "quantity": str(n % 7 + 1), "unit_price": "512.35", "kind": "labour"}]
        draft = ok(cluster.api.post("/invoices", json={"customer_number": customers[n % 5], "rows": rows}), 201)
        invoice = ok(cluster.api.post(f"/invoices/{draft['id']}/approve"))
        approved[invoice["id"]] = invoice["number"]
    return approved


def _exported(cluster: Cluster) -> int:
    with cluster.container.db.transaction() as session:
        return int(
            session.scalar(
                select(func.count())
                .select_from(InvoiceExport)
                .where(InvoiceExport.company_id == cluster.company_id, InvoiceExport.state == "exported")
            )
            or 0
        )


def _wait_until(cluster: Cluster, done: int, started: float) -> None:
    while _exported(cluster) < done:
        if time.monotonic() - started > DEADLINE_SECONDS:
            logs = "\n".join(f"--- {name}\n{cluster.processes.log(name)[-3000:]}" for name in cluster.processes.running)
            pytest.fail(f"{_exported(cluster)} of {done} exported in time\n{logs}")
        time.sleep(0.2)


def _visma_drafts(cluster: Cluster) -> Counter[str]:
    tokens = DatabaseTokenStore(cluster.container.db, cluster.company_id).load()
    assert tokens is not None
    headers = {"Authorization": f"Bearer {tokens.access_token}"}
    with httpx.Client(base_url=f"{cluster.url}/visma-sandbox/v2", headers=headers, timeout=60) as visma:
        drafts, page = [], 1
        while True:
            body = ok(visma.get("/customerinvoicedrafts", params={"$pagesize": 500, "$page": page}))
            drafts += body["Data"]
            if page >= body["Meta"]["TotalNumberOfPages"]:
                break
            page += 1
    return Counter(draft["ContractNumber"] for draft in drafts)


def _kill_midway_and_finish(cluster: Cluster, victim: str) -> dict[int, int]:
    started = time.monotonic()
    approved = _approve(cluster)
    _wait_until(cluster, max(1, INVOICES // 5), started)
    cluster.processes.kill(victim)
    assert _exported(cluster) < INVOICES, "everything was exported before the kill: raise SCALE_OUT_INVOICES"
    starts_before = cluster.processes.log(victim).count(WORKER_STARTED)
    cluster.processes.start(victim)
    if victim == "web":
        cluster.processes.wait_healthy("web", cluster.url)
    _wait_until(cluster, INVOICES, started)
    if victim != "web":  # the other worker may finish first: the graceful stop below must meet a started worker
        _wait_for_start(cluster, victim, starts_before + 1)
    return approved


def _wait_for_start(cluster: Cluster, worker: str, starts: int, timeout: float = 60.0) -> None:
    """The worker's log (appended to across restarts) shows its ``starts``-th start-up line."""
    deadline = time.monotonic() + timeout
    while cluster.processes.log(worker).count(WORKER_STARTED) < starts:
        if time.monotonic() > deadline:
            pytest.fail(f"{worker} did not start again:\n{cluster.processes.log(worker)[-3000:]}")
        time.sleep(0.2)


def _assert_exactly_once_and_metrics_agree(cluster: Cluster, approved: dict[int, int]) -> None:
    time.sleep(1.0)  # anything still running would create a duplicate now
    assert _visma_drafts(cluster) == Counter({f"fakturabro-{number}": 1 for number in approved.values()})
    body = httpx.get(f"{cluster.url}/metrics", timeout=30).text
    assert metric(body, 'fakturabro_exports{state="exported"}') == INVOICES
    assert metric(body, "fakturabro_export_queue_depth") == 0
    assert metric(body, 'fakturabro_exports{state="failed"}') == 0
    assert httpx.get(f"{cluster.url}/readyz", timeout=30).status_code == 200
    for name in cluster.workers:  # graceful shutdown: SIGTERM ends a worker cleanly
        cluster.processes.stop(name)
        assert cluster.processes.running[name].returncode == 0, cluster.processes.log(name)[-3000:]
    cluster.processes.stop("web")  # uvicorn shuts down, then re-raises SIGTERM (exit status -15)
    assert cluster.processes.running["web"].returncode in (0, -signal.SIGTERM)
    assert "Application shutdown complete" in cluster.processes.log("web")


@pytest.mark.postgres
@pytest.mark.slow
def test_two_workers_and_a_web_process_on_postgresql_survive_a_sigkill(postgres_cluster: Cluster) -> None:
    approved = _kill_midway_and_finish(postgres_cluster, "w1")
    _assert_exactly_once_and_metrics_agree(postgres_cluster, approved)


@pytest.mark.slow
def test_a_single_process_on_sqlite_survives_a_sigkill(sqlite_cluster: Cluster) -> None:
    approved = _kill_midway_and_finish(sqlite_cluster, "web")
    _assert_exactly_once_and_metrics_agree(sqlite_cluster, approved)
