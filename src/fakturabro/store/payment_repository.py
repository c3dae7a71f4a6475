"""The payment import's state: the company's lease, runs, cursors, deviations and the documents it last saw, and
the reads of our invoices, exports and payments a page is planned from.

The import opens one unit of work per page with ``Database.transaction()`` and hands its session to a
`PaymentImportRepository`; every query the import makes lives here, so ``sync/payments/`` knows no SQL.
"""

from __future__ import annotations

from sqlalchemy import func, select

from fakturabro.store.payment_sync_models import PaymentImportRun
from fakturabro.store.repositories import Transaction


def import_runs_by_status(session: Transaction) -> dict[str, int]:
    """Every company's payment-import runs counted by status."""
    query = select(PaymentImportRun.status, func.count()).group_by(PaymentImportRun.status)
    return dict(session.execute(query).tuples().all())
