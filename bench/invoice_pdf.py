"""Benchmark: time and peak memory of the invoice PDF, for a 5-row and a 200-row invoice and a batch of 1,000.

    .venv/bin/python bench/invoice_pdf.py
    FAKTURABRO_BENCH_PDF_BATCH=200 .venv/bin/python bench/invoice_pdf.py

The invoices are approved in a fresh SQLite database with the demo company's details; each PDF is made the way
`GET /api/v1/invoices/{id}/pdf` makes it (read, compose, render). Memory is the process's peak RSS before and
after the batch and the current RSS after each tenth of it: flat means no PDF or font is kept per document.
"""

from __future__ import annotations

import os
import resource
import statistics
import tempfile
import time
from pathlib import Path

from cryptography.fernet import Fernet

from fakturabro.bootstrap import build
from fakturabro.demo import DEMO_COMPANY_DETAILS
from fakturabro.documents import render_invoice_pdf
from fakturabro.invoicing import customers, invoices
from fakturabro.invoicing.companies import create_company
from fakturabro.invoicing.company_settings import CompanySettingsInput, update_company_settings
from fakturabro.invoicing.inputs import CustomerInput, InvoiceInput
from fakturabro.settings import Settings
from fakturabro.store.database import Database
from fakturabro.store.migrate import upgrade

BATCH = int(os.environ.get("FAKTURABRO_BENCH_PDF_BATCH", "1000"))
REPEATS = 20


def approved_invoice(db: Database, company_id: int, customer_number: str, rows: int) -> int:
    body = {
        "customer_number": customer_number,
        "rows": [
            {"text": f"Installation del {n}", "quantity": "2", "unit": "tim", "unit_price": "650", "kind": "labour"}
            for n in range(rows)
        ],
    }
    draft = invoices.create_invoice(db, company_id, InvoiceInput.model_validate(body))
    return invoices.approve_invoice(db, company_id, draft.id).id


def timed(db: Database, company_id: int, invoice_id: int) -> tuple[float, int]:
    samples, size = [], 0
    for _ in range(REPEATS):
        started = time.perf_counter()
        size = len(render_invoice_pdf(db, company_id, invoice_id))
        samples.append(time.perf_counter() - started)
    return statistics.median(samples), size


def current_rss_mb() -> float:
    resident_pages = int(Path("/proc/self/statm").read_text().split()[1])
    return resident_pages * os.sysconf("SC_PAGE_SIZE") / 1024 / 1024


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=Path(tmp) / "data", token_key=Fernet.generate_key().decode())
        container = build(settings)
        upgrade(container.engine)
        db = container.db
        company_id = create_company(db, "Benchmark AB").id
        update_company_settings(db, company_id, CompanySettingsInput.model_validate(DEMO_COMPANY_DETAILS))
        customer = customers.create_customer(
            db, company_id, CustomerInput.model_validate({"name": "Kund AB", "org_number": "556036-0793"})
        )
        small = approved_invoice(db, company_id, customer.customer_number, 5)
        large = approved_invoice(db, company_id, customer.customer_number, 200)
        render_invoice_pdf(db, company_id, small)  # fonts registered once per process

        for label, invoice_id in (("5 rows", small), ("200 rows", large)):
            seconds, size = timed(db, company_id, invoice_id)
            print(f"{label}: {seconds * 1000:.1f} ms median of {REPEATS}, {size / 1024:.0f} KiB")

        rss_before = peak_rss_mb()
        samples = []
        started = time.perf_counter()
        for n in range(BATCH):
            render_invoice_pdf(db, company_id, small)
            if (n + 1) % max(BATCH // 10, 1) == 0:
                samples.append(current_rss_mb())
        elapsed = time.perf_counter() - started
        print(f"batch of {BATCH} (5 rows): {elapsed:.1f} s, {BATCH / elapsed:.0f} PDFs/s")
        print(f"peak RSS {rss_before:.0f} MB before the batch, {peak_rss_mb():.0f} MB after")
        print("RSS after each tenth (MB): " + ", ".join(f"{mb:.0f}" for mb in samples))


if __name__ == "__main__":
    main()
