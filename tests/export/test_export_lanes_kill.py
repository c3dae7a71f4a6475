"""Chaos in the parallel lane: two worker processes running several exports of one company at once, under injected
faults, SIGKILLed at random moments and restarted (the workers of `test_export_kill.py`).

The customers are known first (one export each, no faults), so the invoices that follow are routed to the
parallel lane. The end state must be every approved invoice in Visma exactly once, totals equal to the öre, no
customer or article created twice. SQLite, and PostgreSQL when DATABASE_URL_TEST is set. CI size: 12 invoices and
3 kills per backend (EXPORT_KILL_INVOICES / EXPORT_KILL_KILLS for a longer run).
"""

from __future__ import annotations

import json
import os
import random
import time
from collections import Counter
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
from cryptography.fernet import Fernet
from dbos import DBOSClient
from sqlalchemy import select
from tests.company_details import create_company_with_details

from fakturabro.bootstrap import Container, build
from fakturabro.invoicing import customers, invoices
from fakturabro.invoicing.inputs import CustomerInput, InvoiceInput, RowInput
from fakturabro.settings import Settings
from fakturabro.store.export_models import InvoiceExport
from fakturabro.store.migrate import upgrade
from fakturabro.sync import runtime
from fakturabro.sync.export import workflow

from .conftest import running_sandbox
from .export_helpers import ADDRESS, money
from .test_export_kill import FAULT_RATE, Workers

INVOICES = int(os.environ.get("EXPORT_KILL_INVOICES", "12"))
KILLS = int(os.environ.get("EXPORT_KILL_KILLS", "3"))
CUSTOMERS = 4


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def lanes_side(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Container]:
    database_url = None if request.param == "sqlite" else str(request.getfixturevalue("postgres_url"))
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


def _approve(container: Container, company_id: int, numbers: list[str], count: int) -> list[tuple[int, int, Decimal]]:
    approved = []
    for n in range(count):
        rows = [
            RowInput(text="Arbete", quantity=Decimal(n % 7 + 1), unit_price=Decimal("512.35"), kind="labour"),
            RowInput(
                text="Mat", quantity=Decimal(3), unit_price=Decimal("19.90"), vat_rate=Decimal(12), kind="material"
            ),
        ]
        data = InvoiceInput(customer_number=numbers[n % len(numbers)], invoice_date=date(2026, 3, 2), rows=rows)
        draft = invoices.create_invoice(container.db, company_id, data)
        view = invoices.approve_invoice(container.db, company_id, draft.id)
        assert view.number is not None
        approved.append((view.id, view.number, view.totals.total))
    return approved


def _wait_exported(container: Container, ids: list[int], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while True:
        with container.db.transaction() as session:
            states = session.scalars(select(InvoiceExport.state).where(InvoiceExport.invoice_id.in_(ids))).all()
        if len(states) == len(ids) and all(state == "exported" for state in states):
            return
        assert time.monotonic() < deadline, "not every invoice was exported in time"
        time.sleep(0.2)


def _queues(container: Container, ids: list[int]) -> Counter[str | None]:
    with container.db.transaction() as session:
        rows = session.execute(
            select(InvoiceExport.invoice_id, InvoiceExport.generation).where(InvoiceExport.invoice_id.in_(ids))
        )
        workflow_ids = [workflow.workflow_id(row.invoice_id, row.generation) for row in rows]
    client = DBOSClient(system_database_url=runtime.system_database_url(container.settings))
    try:
        statuses = client.list_workflows(workflow_ids=workflow_ids, load_input=False, load_output=False)
    finally:
        client.destroy()
    return Counter(status.queue_name for status in statuses)


def test_worker_kills_in_the_parallel_lane_never_duplicate_or_lose_an_invoice(
    lanes_side: Container, tmp_path: Path
) -> None:
    rng = random.Random(9)
    company_id = create_company_with_details(lanes_side.db, f"Kill lanes {rng.random()}").id
    db = lanes_side.db
    buyers = [customers.create_customer(db, company_id, CustomerInput(name=f"Kund {n}", **ADDRESS)) for n in range(4)]
    numbers = [buyer.customer_number for buyer in buyers]
    warm_up = _approve(lanes_side, company_id, numbers, CUSTOMERS)
    with running_sandbox(tmp_path / "sandbox") as sandbox_url, httpx.Client(base_url=sandbox_url, timeout=30) as http:
        visma_company = http.post("/_sandbox/companies", json={}).json()["company_id"]
        token = http.post("/_sandbox/token", json={"company_id": visma_company}).json()["access_token"]
        config = tmp_path / "worker.json"
        config.write_text(
            json.dumps(
                {
                    "data_dir": str(lanes_side.settings.data_dir),
                    "database_url": lanes_side.settings.database_url,
                    "token_key": lanes_side.settings.token_key.get_secret_value()
                    if lanes_side.settings.token_key
                    else "",
                    "sandbox_url": sandbox_url,
                    "tokens": {str(company_id): token},
                }
            )
        )
        workers = Workers(config, tmp_path)
        try:
            for name in ("w1", "w2"):
                workers.start(name)  # a starting worker enqueues whatever is not exported yet
            # First exports run one at a time per company, and CI starts both workers under coverage: be patient.
            _wait_exported(lanes_side, [invoice_id for invoice_id, _, _ in warm_up], timeout=240)

            approved = _approve(lanes_side, company_id, numbers, INVOICES)
            faults = {
                "error_rate": FAULT_RATE,
                "timeout_after_commit_rate": FAULT_RATE,
                "timeout_after_commit_ms": 1500,
            }
            assert http.put("/_sandbox/faults", json={**faults, "seed": 4}).status_code == 200
            for name in ("w1", "w2"):  # restarted, they enqueue the new invoices: known customers, parallel lane
                workers.kill(name)
                workers.start(name)
            for _ in range(KILLS):
                time.sleep(rng.uniform(0.5, 2.5))
                victim = rng.choice(["w1", "w2"])
                workers.kill(victim)
                workers.start(victim)
            ids = [invoice_id for invoice_id, _, _ in approved]
            _wait_exported(lanes_side, ids, timeout=240)
        finally:
            workers.stop_all()
        http.put("/_sandbox/faults", json={"error_rate": 0, "timeout_after_commit_rate": 0})
        visma = httpx.Client(base_url=f"{sandbox_url}/v2", headers={"Authorization": f"Bearer {token}"}, timeout=30)
        drafts = visma.get("/customerinvoicedrafts", params={"$pagesize": 1000}).json()["Data"]
        visma_customers = visma.get("/customers", params={"$pagesize": 1000}).json()["Data"]
        articles = visma.get("/articles", params={"$pagesize": 1000}).json()["Data"]
    assert _queues(lanes_side, ids) == Counter({workflow.PARALLEL_EXPORT_QUEUE: INVOICES})
    by_marker = Counter(draft["ContractNumber"] for draft in drafts)
    assert by_marker == Counter({f"fakturabro-{number}": 1 for _, number, _ in warm_up + approved})
    totals = {draft["ContractNumber"]: money(draft["TotalAmount"]) for draft in drafts}
    assert all(totals[f"fakturabro-{number}"] == total for _, number, total in approved)
    ours = Counter(customer["CustomerNumber"] for customer in visma_customers if customer["CustomerNumber"] in numbers)
    assert ours == Counter(dict.fromkeys(numbers, 1))
    fallbacks = Counter(article["Number"] for article in articles if article["Number"].startswith("MINUBA"))
    assert fallbacks == Counter({"MINUBA": 1, "MINUBA-12": 1})
