"""Benchmark: Visma calls of an incremental payment import as the number of open invoices grows.

    .venv/bin/python bench/payments_import.py                 # 10,000 open invoices, 100 paid since last run
    FAKTURABRO_BENCH_OPEN_INVOICES=2000 FAKTURABRO_BENCH_PAID=50 .venv/bin/python bench/payments_import.py

Sets up N open invoices in the sandbox (booked by the sandbox's own code) and the same N as exported invoices in
a fresh SQLite database, runs a first import (which reads everything once), lets the bookkeeper register M
complete payments through the sandbox's `/v2` API, then runs the import again and prints the calls it made,
counted twice: by the importer and by the sandbox's request log.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import httpx
from cryptography.fernet import Fernet

from fakturabro.bootstrap import build
from fakturabro.invoicing.companies import create_company
from fakturabro.sandbox import seed
from fakturabro.sandbox.resources.invoices import book_invoice
from fakturabro.sandbox.testing import FakeClock, live_sandbox
from fakturabro.settings import Settings
from fakturabro.store import models
from fakturabro.store.export_models import InvoiceExport
from fakturabro.store.migrate import upgrade
from fakturabro.sync.payments.importer import import_payments
from fakturabro.sync.payments.reading import VismaReader
from fakturabro.visma.client import VismaClient

OPEN = int(os.environ.get("FAKTURABRO_BENCH_OPEN_INVOICES", "10000"))
PAID = int(os.environ.get("FAKTURABRO_BENCH_PAID", "100"))


def sid(key: str) -> str:
    return seed.seeded_id(seed.SEED_COMPANY_ID, key)


def main() -> None:
    clock = FakeClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    with tempfile.TemporaryDirectory() as data_dir, live_sandbox(None, clock=clock) as sandbox:
        httpx.put(f"{sandbox.base_url}/_sandbox/faults", json={"rate_limit_per_minute": 0}, timeout=10)
        body = {
            "CustomerId": sid("customer:1001"),
            "EuThirdParty": False,
            "RotReducedInvoicingType": 0,
            "Rows": [{"ArticleId": sid("article:9000"), "Quantity": 1, "UnitPrice": 100, "IsWorkCost": False}],
        }
        started = time.perf_counter()
        with sandbox.state.lock:
            company_state = sandbox.state.companies[seed.SEED_COMPANY_ID]
            booked = [book_invoice(company_state, sandbox.state, body) for _ in range(OPEN)]

        settings = Settings(data_dir=Path(data_dir), token_key=Fernet.generate_key().decode(), secret_key="bench")
        container = build(settings)
        upgrade(container.engine)
        db = container.db
        company_id = create_company(db, "Bench AB").id
        now = db.clock()
        with db.transaction() as session:
            customer = models.Customer(
                company_id=company_id, customer_number="1001", name="Kund AB", created_at=now, updated_at=now
            )
            session.add(customer)
            session.flush()
            invoices = [
                models.Invoice(
                    company_id=company_id,
                    customer_id=customer.id,
                    number=document["InvoiceNumber"],
                    status="approved",
                    invoice_date=date(2026, 3, 2),
                    due_date=date(2026, 4, 1),
                    total=Decimal(str(document["RemainingAmount"])),
                    to_pay=Decimal(str(document["RemainingAmount"])),
                    created_at=now,
                    updated_at=now,
                )
                for document in booked
            ]
            session.add_all(invoices)
            session.flush()
            session.add_all(
                InvoiceExport(
                    invoice_id=invoice.id,
                    company_id=company_id,
                    state="exported",
                    mode="draft",
                    visma_document_type="draft",
                    visma_id=document["Id"],
                    updated_at=now,
                )
                for invoice, document in zip(invoices, booked, strict=True)
            )
        setup_s = time.perf_counter() - started

        http = httpx.Client(timeout=60)

        def reader() -> VismaReader:
            http.headers["Authorization"] = f"Bearer {sandbox.token()['access_token']}"
            return VismaReader(VismaClient(http, sandbox.api_url))

        clock.advance(900)
        started = time.perf_counter()
        first = import_payments(db, reader(), company_id, trigger="bench")
        first_s = time.perf_counter() - started

        clock.advance(900)
        for document in booked[:PAID]:
            payment = {
                "CompanyBankAccountId": sid("bank:foretagskonto"),
                "PaymentAmount": document["RemainingAmount"],
                "PaymentCurrency": "SEK",
                "PaymentType": 2,
            }
            http.post(f"{sandbox.api_url}/customerinvoices/{document['Id']}/payments", json=payment).raise_for_status()
        clock.advance(900)
        httpx.delete(f"{sandbox.base_url}/_sandbox/requests", timeout=10).raise_for_status()

        started = time.perf_counter()
        second = import_payments(db, reader(), company_id, trigger="bench")
        second_s = time.perf_counter() - started
        log = httpx.get(f"{sandbox.base_url}/_sandbox/requests", timeout=10).json()
        http.close()
        container.close()

    print(f"open invoices: {OPEN}, paid since the last run: {PAID} (setup {setup_s:.1f} s)")
    print(f"first run (reads everything once): {first.api_calls} Visma calls, {first_s:.2f} s")
    print(
        f"incremental run: {second.api_calls} Visma calls (sandbox log: {log['total']} {log['counts']}), "
        f"{second.paid} paid, {second.partially_paid} partly paid, {second_s:.2f} s"
    )
    if second.paid != PAID or log["total"] != second.api_calls:
        sys.exit("unexpected result")


if __name__ == "__main__":
    main()
