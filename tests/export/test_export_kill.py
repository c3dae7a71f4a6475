"""Chaos: two worker processes exporting under injected faults, SIGKILLed at random moments and restarted.

The end state must be every approved invoice in Visma exactly once, with totals equal to ours to the öre. Runs on
SQLite, and on PostgreSQL when DATABASE_URL_TEST is set. CI size: 8 invoices and 3 kills per backend; set
EXPORT_KILL_INVOICES / EXPORT_KILL_KILLS for a longer run.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
from cryptography.fernet import Fernet
from sqlalchemy import select
from tests.company_details import create_company_with_details

from fakturabro.bootstrap import Container, build
from fakturabro.invoicing import customers, invoices
from fakturabro.invoicing.inputs import CustomerInput, InvoiceInput, RowInput
from fakturabro.settings import Settings
from fakturabro.store.export_models import InvoiceExport
from fakturabro.store.migrate import upgrade

from .conftest import running_sandbox
from .export_helpers import ADDRESS, money

INVOICES = int(os.environ.get("EXPORT_KILL_INVOICES", "8"))
KILLS = int(os.environ.get("EXPORT_KILL_KILLS", "3"))
FAULT_RATE = float(os.environ.get("EXPORT_KILL_FAULT_RATE", "0.1"))
WORKER = Path(__file__).with_name("kill_worker.py")
BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str | None:
    if request.param == "sqlite":
        return None
    url: str = request.getfixturevalue("postgres_url")
    return url


@pytest.fixture
def our_side(tmp_path: Path, database_url: str | None) -> Iterator[Container]:
    settings = Settings(
        data_dir=tmp_path / "data",
        database_url=database_url,
        token_key=Fernet.generate_key().decode(),
        secret_key="kill-test",
    )
    container = build(settings)
    upgrade(container.engine)
    yield container
    container.close()


class Workers:
    def __init__(self, config: Path, log_dir: Path) -> None:
        self.config = config
        self.log_dir = log_dir
        self.processes: dict[str, subprocess.Popen[bytes]] = {}

    def start(self, name: str) -> None:
        log = (self.log_dir / f"{name}.log").open("ab")
        env = {**os.environ, "PYTHONPATH": str(Path(__file__).parent)}
        self.processes[name] = subprocess.Popen(
            [sys.executable, str(WORKER), str(self.config), name], stdout=log, stderr=subprocess.STDOUT, env=env
        )

    def kill(self, name: str) -> None:
        process = self.processes[name]
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)

    def stop_all(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                process.send_signal(signal.SIGKILL)
                process.wait(timeout=10)


def _approve_invoices(container: Container, company_id: int) -> list[tuple[int, int, Decimal]]:
    db = container.db
    buyers = [customers.create_customer(db, company_id, CustomerInput(name=f"Kund {n}", **ADDRESS)) for n in range(5)]
    approved = []
    for n in range(INVOICES):
        rows = [
            RowInput(text="Arbete", quantity=Decimal(n % 7 + 1), unit_price=Decimal("512.35"), kind="labour"),
            RowInput(
                text="Mat", quantity=Decimal(3), unit_price=Decimal("19.90"), vat_rate=Decimal(12), kind="material"
            ),
        ]
        draft = invoices.create_invoice(
            db,
            company_id,
            InvoiceInput(customer_number=buyers[n % 5].customer_number, invoice_date=date(2026, 3, 2), rows=rows),
        )
        view = invoices.approve_invoice(db, company_id, draft.id)
        assert view.number is not None
        approved.append((view.id, view.number, view.totals.total))
    return approved


def _all_exported(container: Container, ids: list[int]) -> bool:
    with container.db.transaction() as session:
        states = session.scalars(select(InvoiceExport.state).where(InvoiceExport.invoice_id.in_(ids))).all()
    return len(states) == len(ids) and all(state == "exported" for state in states)


def test_worker_kills_never_duplicate_or_lose_an_invoice(our_side: Container, tmp_path: Path) -> None:
    rng = random.Random(5)
    company_id = create_company_with_details(our_side.db, f"Kill {rng.random()}").id
    approved = _approve_invoices(our_side, company_id)
    with running_sandbox(tmp_path / "sandbox") as sandbox_url, httpx.Client(base_url=sandbox_url, timeout=30) as http:
        visma_company = http.post("/_sandbox/companies", json={}).json()["company_id"]
        token = http.post("/_sandbox/token", json={"company_id": visma_company}).json()["access_token"]
        faults = {
            "error_rate": FAULT_RATE,
            "timeout_after_commit_rate": FAULT_RATE,
            "timeout_after_commit_ms": 1500,
            "seed": 3,
        }
        assert http.put("/_sandbox/faults", json=faults).status_code == 200
        config = tmp_path / "worker.json"
        config.write_text(
            json.dumps(
                {
                    "data_dir": str(our_side.settings.data_dir),
                    "database_url": our_side.settings.database_url,
                    "token_key": our_side.settings.token_key.get_secret_value() if our_side.settings.token_key else "",
                    "sandbox_url": sandbox_url,
                    "tokens": {str(company_id): token},
                }
            )
        )
        workers = Workers(config, tmp_path)
        try:
            for name in ("w1", "w2"):
                workers.start(name)
            ids = [invoice_id for invoice_id, _, _ in approved]
            for _ in range(KILLS):
                time.sleep(rng.uniform(0.5, 2.5))
                victim = rng.choice(["w1", "w2"])
                workers.kill(victim)
                workers.start(victim)
            deadline = time.monotonic() + 240
            while not _all_exported(our_side, ids):
                assert time.monotonic() < deadline, "not every invoice was exported in time"
                time.sleep(0.2)
        finally:
            workers.stop_all()
        http.put("/_sandbox/faults", json={"error_rate": 0, "timeout_after_commit_rate": 0})
        visma = httpx.Client(base_url=f"{sandbox_url}/v2", headers={"Authorization": f"Bearer {token}"}, timeout=30)
        drafts = visma.get("/customerinvoicedrafts", params={"$pagesize": 1000}).json()["Data"]
    by_marker = Counter(draft["ContractNumber"] for draft in drafts)
    assert by_marker == Counter({f"fakturabro-{number}": 1 for _, number, _ in approved})
    totals = {draft["ContractNumber"]: money(draft["TotalAmount"]) for draft in drafts}
    assert all(totals[f"fakturabro-{number}"] == total for _, number, total in approved)
