"""The payment import's state: the company's lease, runs, cursors, deviations and the documents it last saw, and
the reads of our exports, invoices and payments a page is planned from.

The import opens one unit of work per page with ``Database.transaction()`` and hands its session to a
`PaymentImportRepository`; every query the import makes lives here, so ``sync/payments/`` knows no SQL. Reads
by many ids go in chunks, to stay under the database's limit on bound parameters.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import TypeVar

from sqlalchemy import func, select

from fakturabro.domain.events import EventType
from fakturabro.domain.invoice import InvoiceStatus
from fakturabro.store.events import payment_event_data, record_invoice_event
from fakturabro.store.export_models import InvoiceExport
from fakturabro.store.models import Invoice, Payment
from fakturabro.store.payment_sync_models import (
    PaymentImportCursor,
    PaymentImportDeviation,
    PaymentImportDocument,
    PaymentImportLease,
    PaymentImportRun,
)
from fakturabro.store.repositories import CompanyScoped, CreditRow, Transaction

T = TypeVar("T")

Settle = Callable[[Transaction, Invoice], None]
"""Recomputes an invoice's status from its payments and credits (``invoicing.settlement.settle``)."""

ImportRow = PaymentImportCursor | PaymentImportDeviation | PaymentImportDocument | PaymentImportLease | PaymentImportRun


@dataclass(frozen=True)
class ExportedRow:
    """An invoice of ours that reached Visma: only the columns the import plans with."""

    invoice_id: int
    number: int | None
    to_pay: Decimal | None
    credits_invoice_id: int | None
    visma_id: str
    document_type: str | None


@dataclass(frozen=True)
class PaymentRow:
    invoice_id: int
    amount: Decimal
    source: str


@dataclass(frozen=True)
class PaymentImportRepository(CompanyScoped):
    """The company's payment-import state and what a page is planned from, in one unit of work.

    ``settle`` is what `register_payment` recomputes the invoice's status with; only the page needs it.
    """

    settle: Settle | None = None

    # --- the run, its lease and the cursors ------------------------------------------------------------------

    def lease(self, *, lock: bool = False) -> PaymentImportLease | None:
        if lock:
            query = select(PaymentImportLease).where(PaymentImportLease.company_id == self.company_id)
            return self.session.scalar(query.with_for_update())
        return self.session.get(PaymentImportLease, self.company_id)

    def run(self, run_id: int) -> PaymentImportRun:
        run = self.session.get(PaymentImportRun, run_id)
        assert run is not None
        return run

    def cursor(self, source: str, *, lock: bool = False) -> PaymentImportCursor | None:
        """``lock`` holds the cursor's row until commit: one page of the company's import at a time."""
        if not lock:
            return self.session.get(PaymentImportCursor, (self.company_id, source))
        query = select(PaymentImportCursor).where(
            PaymentImportCursor.company_id == self.company_id, PaymentImportCursor.source == source
        )
        return self.session.scalar(query.with_for_update())

    def add(self, row: ImportRow) -> None:
        """Store a new row of the import's state; a run's id is assigned on return."""
        self.session.add(row)
        if isinstance(row, PaymentImportRun):
            self.session.flush()

    def has_exports_of_type(self, document_types: Collection[str]) -> bool:
        """Whether any invoice reached Visma as one of ``document_types``."""
        query = select(InvoiceExport.invoice_id).where(
            InvoiceExport.company_id == self.company_id,
            InvoiceExport.visma_id.is_not(None),
            InvoiceExport.visma_document_type.in_(document_types),
        )
        return self.session.scalar(query.limit(1)) is not None

    # --- what a page is planned from -------------------------------------------------------------------------

    def exported(
        self, visma_ids: Collection[str], numbers: Collection[int], numbered_types: Collection[str]
    ) -> list[ExportedRow]:
        """Our exported invoices by Visma id (lower case), and by invoice number among exports of
        ``numbered_types``; each invoice once."""
        base = (
            select(
                Invoice.id,
                Invoice.number,
                Invoice.to_pay,
                Invoice.credits_invoice_id,
                InvoiceExport.visma_id,
                InvoiceExport.visma_document_type,
            )
            .join(Invoice, Invoice.id == InvoiceExport.invoice_id)
            .where(InvoiceExport.company_id == self.company_id, InvoiceExport.visma_id.is_not(None))
        )
        queries = [
            # Visma writes uuids in lower case, and so do we; `func.lower` keeps a mixed-case one matching anyway.
            base.where(func.lower(InvoiceExport.visma_id).in_(chunk))
            for chunk in _chunks(sorted(visma_ids))
        ] + [
            base.where(InvoiceExport.visma_document_type.in_(numbered_types), Invoice.number.in_(chunk))
            for chunk in _chunks(sorted(numbers))
        ]
        rows: dict[int, ExportedRow] = {}
        for query in queries:
            for invoice_id, number, to_pay, credits_invoice_id, visma_id, document_type in self.session.execute(query):
                if invoice_id not in rows and visma_id is not None:
                    rows[invoice_id] = ExportedRow(
                        invoice_id, number, to_pay, credits_invoice_id, visma_id, document_type
                    )
        return list(rows.values())

    def lock_invoices(self, invoice_ids: Collection[int]) -> None:
        """Hold the invoices' rows until commit, as registering a payment by hand does (PostgreSQL)."""
        for chunk in _chunks(sorted(invoice_ids)):
            self.session.execute(select(Invoice.id).where(Invoice.id.in_(chunk)).with_for_update(of=Invoice))

    def husavdrag_invoices(self, invoice_ids: Collection[int]) -> list[Invoice]:
        """Those of the invoices that have husavdrag and are no credit invoices, with their rows and buyers (for
        pricing the reduction again at the payment date)."""
        found: list[Invoice] = []
        for chunk in _chunks(sorted(invoice_ids)):
            query = select(Invoice).where(
                Invoice.company_id == self.company_id,
                Invoice.id.in_(chunk),
                Invoice.house_work_kind.is_not(None),
                Invoice.credits_invoice_id.is_(None),
            )
            found.extend(self.session.scalars(query))
        return found

    def payments_of(self, invoice_ids: Collection[int]) -> list[PaymentRow]:
        rows: list[PaymentRow] = []
        for chunk in _chunks(list(invoice_ids)):
            query = select(Payment.invoice_id, Payment.amount, Payment.source).where(Payment.invoice_id.in_(chunk))
            rows.extend(PaymentRow(*row) for row in self.session.execute(query).tuples())
        return rows

    def approved_credits_of(self, invoice_ids: Collection[int]) -> list[CreditRow]:
        """The approved (not draft) credit invoices of these invoices."""
        rows: list[CreditRow] = []
        for chunk in _chunks(list(invoice_ids)):
            query = select(Invoice.id, Invoice.credits_invoice_id, Invoice.status, Invoice.to_pay).where(
                Invoice.credits_invoice_id.in_(chunk), Invoice.status != InvoiceStatus.DRAFT.value
            )
            for credit_id, original_id, status, to_pay in self.session.execute(query).tuples():
                if original_id is not None:
                    rows.append(CreditRow(credit_id, original_id, status, to_pay))
        return rows

    def documents_of_invoices(self, invoice_ids: Collection[int]) -> list[PaymentImportDocument]:
        rows: list[PaymentImportDocument] = []
        for chunk in _chunks(sorted(invoice_ids)):
            query = select(PaymentImportDocument).where(
                PaymentImportDocument.company_id == self.company_id, PaymentImportDocument.invoice_id.in_(chunk)
            )
            rows.extend(self.session.scalars(query))
        return rows

    def documents(self, visma_ids: Collection[str]) -> dict[str, PaymentImportDocument]:
        """The documents last seen, by Visma id."""
        found: dict[str, PaymentImportDocument] = {}
        for chunk in _chunks(sorted(visma_ids)):
            query = select(PaymentImportDocument).where(
                PaymentImportDocument.company_id == self.company_id, PaymentImportDocument.visma_id.in_(chunk)
            )
            found.update((row.visma_id, row) for row in self.session.scalars(query))
        return found

    def deviations_of(self, visma_ids: Collection[str]) -> list[PaymentImportDeviation]:
        rows: list[PaymentImportDeviation] = []
        for chunk in _chunks(sorted(visma_ids)):
            query = select(PaymentImportDeviation).where(
                PaymentImportDeviation.company_id == self.company_id, PaymentImportDeviation.visma_id.in_(chunk)
            )
            rows.extend(self.session.scalars(query))
        return rows

    def deviation(self, kind: str, visma_id: str) -> PaymentImportDeviation | None:
        query = select(PaymentImportDeviation).where(
            PaymentImportDeviation.company_id == self.company_id,
            PaymentImportDeviation.kind == kind,
            PaymentImportDeviation.visma_id == visma_id,
        )
        return self.session.scalar(query)

    # --- what a page writes ----------------------------------------------------------------------------------

    def register_payment(self, payment: Payment) -> str:
        """Add the payment, its invoice locked, and settle the invoice; returns the invoice's status."""
        assert self.settle is not None, "a repository that registers payments needs `settle`"
        query = select(Invoice).where(Invoice.company_id == self.company_id, Invoice.id == payment.invoice_id)
        invoice = self.session.scalar(query.with_for_update(of=Invoice))
        assert invoice is not None  # it came from our own export rows in this transaction
        self.session.add(payment)
        record_invoice_event(
            self.session,
            invoice,
            EventType.INVOICE_PAYMENT_REGISTERED,
            payment.created_at,
            payment=payment_event_data(payment),
        )
        self.settle(self.session, invoice)
        return invoice.status

    # --- what the pages list ---------------------------------------------------------------------------------

    def newest_deviations(self, limit: int) -> list[PaymentImportDeviation]:
        query = (
            select(PaymentImportDeviation)
            .where(PaymentImportDeviation.company_id == self.company_id)
            .order_by(PaymentImportDeviation.id.desc())
            .limit(limit)
        )
        return list(self.session.scalars(query))

    def newest_runs(self, limit: int) -> list[PaymentImportRun]:
        query = (
            select(PaymentImportRun)
            .where(PaymentImportRun.company_id == self.company_id)
            .order_by(PaymentImportRun.id.desc())
            .limit(limit)
        )
        return list(self.session.scalars(query))


def import_runs_by_status(session: Transaction) -> dict[str, int]:
    """Every company's payment-import runs counted by status."""
    query = select(PaymentImportRun.status, func.count()).group_by(PaymentImportRun.status)
    return dict(session.execute(query).tuples().all())


def _chunks(values: list[T], size: int = 500) -> Iterator[list[T]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]
