"""Two processes starting the same never-exported invoice at once get the one export row, without a unique violation.

The race of stop 11: a worker's pick-up and `export pending` (or two workers starting) both read no export row —
``FOR UPDATE`` locks no missing row — and both insert it. The first transaction is held open here while the second
runs, so the second's insert meets the first's uncommitted key, which is exactly the moment that failed before.
"""

from __future__ import annotations

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

from sqlalchemy import func, select
from tests.company_details import create_company_with_details

from fakturabro.bootstrap import Container
from fakturabro.invoicing import customers, invoices
from fakturabro.invoicing.inputs import CustomerInput, InvoiceInput
from fakturabro.store.export_models import InvoiceExport
from fakturabro.sync.export.steps import ensure_export_row

HOLD_SECONDS = 0.5


def _approved_invoice(container: Container) -> tuple[int, int]:
    company = create_company_with_details(container.db, f"Kapplöpning {uuid.uuid4().hex[:10]}")
    customers.create_customer(container.db, company.id, CustomerInput(name="Kund", personal_number="19811218-9876"))
    draft = InvoiceInput.model_validate(
        {"customer_number": "1", "rows": [{"text": "Arbete", "quantity": "1", "unit_price": "100"}]}
    )
    invoice_id = invoices.create_invoice(container.db, company.id, draft).id
    invoices.approve_invoice(container.db, company.id, invoice_id)
    return company.id, invoice_id


def test_a_concurrent_start_waits_for_the_first_row_instead_of_failing(container: Container) -> None:
    company_id, invoice_id = _approved_invoice(container)
    first_has_inserted = threading.Event()
    now = datetime.now(UTC)

    def first() -> int:
        with container.db.transaction() as session:
            row = ensure_export_row(session, company_id, invoice_id, now)
            first_has_inserted.set()
            # Keep the inserted row uncommitted while the second transaction runs into it.
            threading.Event().wait(HOLD_SECONDS)
            return row.generation

    def second() -> int:
        first_has_inserted.wait(timeout=10)
        with container.db.transaction() as session:
            return ensure_export_row(session, company_id, invoice_id, now).generation

    with ThreadPoolExecutor(max_workers=2) as pool:
        generations = [future.result(timeout=30) for future in (pool.submit(first), pool.submit(second))]

    assert generations == [1, 1]
    with container.db.transaction() as session:
        rows = session.scalar(select(func.count()).where(InvoiceExport.invoice_id == invoice_id))
    assert rows == 1
