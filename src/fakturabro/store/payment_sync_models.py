"""The payment import's state, as data: a cursor per company and Visma source, run records, deviations.

One import runs at a time per company (`PaymentImportLease`), and every page is applied in a transaction that
first locks the company's cursor row (`SELECT … FOR UPDATE` on PostgreSQL; SQLite's `BEGIN IMMEDIATE`
serialises writers anyway), re-reading our side inside that lock before it plans.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import Boolean, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from fakturabro.store.models import SHORT_LENGTH, Base, Money

VISMA_ID_LENGTH = 64


class PaymentImportCursor(Base):
    """How far a company's import has read one Visma source (``invoices`` or ``ledger_items``).

    ``cursor_utc`` is Visma's clock (``ServerTimeUtc``) when the last complete run started reading; the next
    run reads from ``cursor_utc - overlap_seconds``. ``upper_bound_utc`` is the bound of the run in progress:
    it becomes the cursor only in the transaction that applies that run's last page.
    """

    __tablename__ = "payment_import_cursors"

    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), primary_key=True)
    source: Mapped[str] = mapped_column(String(20), primary_key=True)
    cursor_utc: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    upper_bound_utc: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    overlap_seconds: Mapped[int] = mapped_column(Integer, default=300)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class PaymentImportRun(Base):
    __tablename__ = "payment_import_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), index=True)
    trigger: Mapped[str] = mapped_column(String(20))  # api, cli, schedule, web
    status: Mapped[str] = mapped_column(String(20))  # running, succeeded, failed
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    paid: Mapped[int] = mapped_column(Integer, default=0)
    partially_paid: Mapped[int] = mapped_column(Integer, default=0)
    deviations: Mapped[int] = mapped_column(Integer, default=0)
    registered: Mapped[int] = mapped_column(Integer, default=0)
    reversed: Mapped[int] = mapped_column(Integer, default=0)
    documents: Mapped[int] = mapped_column(Integer, default=0)
    pages: Mapped[int] = mapped_column(Integer, default=0)
    api_calls: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)


class PaymentImportDeviation(Base):
    """Something the import found that a person must look at: a Visma number that differs from ours, or money
    paid in Visma on an invoice fakturabro does not know."""

    __tablename__ = "payment_import_deviations"
    __table_args__ = (UniqueConstraint("company_id", "kind", "visma_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # number_mismatch, unknown_invoice, husavdrag_rate (DeviationKind)
    visma_id: Mapped[str] = mapped_column(String(VISMA_ID_LENGTH))
    invoice_id: Mapped[int | None] = mapped_column(ForeignKey("invoices.id"), index=True)
    visma_invoice_number: Mapped[int | None] = mapped_column(Integer)
    our_invoice_number: Mapped[int | None] = mapped_column(Integer)
    amount: Mapped[Decimal | None] = mapped_column(Money())
    detail: Mapped[str] = mapped_column(String(SHORT_LENGTH * 4), default="")
    run_id: Mapped[int | None] = mapped_column(ForeignKey("payment_import_runs.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class PaymentImportLease(Base):
    """One import at a time per company: the run holding the lease, until when (renewed page by page).

    A run that died leaves a lease that simply expires; a second run while the lease is held is refused.
    """

    __tablename__ = "payment_import_leases"

    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), primary_key=True)
    run_id: Mapped[int | None] = mapped_column(Integer)
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class PaymentImportDocument(Base):
    """The last state the import saw of a Visma document that is ours: our number ↔ Visma's id and number, and
    what Visma owed and still owes. A credit invoice's settled part is read from here when its original is
    planned in a later page or run."""

    __tablename__ = "payment_import_documents"

    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), primary_key=True)
    visma_id: Mapped[str] = mapped_column(String(VISMA_ID_LENGTH), primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # invoice, ledger_item
    visma_invoice_number: Mapped[int | None] = mapped_column(Integer)
    is_credit: Mapped[bool] = mapped_column(Boolean, default=False)
    to_pay: Mapped[Decimal] = mapped_column(Money())
    remaining: Mapped[Decimal] = mapped_column(Money())
    seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
