"""The tables of husavdrag claims: claims made in fakturabro (Skatteverket's file), each invoice's claim state
(from such a claim or read from Visma), the buyers' amounts, and the invoice's husavdrag history."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from fakturabro.store.models import NAME_LENGTH, Base, Money
from fakturabro.store.types import UtcDateTime


class HusavdragClaimRecord(Base):
    """One claim ("begäran om utbetalning") made in fakturabro: one kind, payments of one year.

    ``file_xml`` is the file exactly as it was validated and offered (None for grön teknik, which has no file)."""

    __tablename__ = "husavdrag_claims"
    __table_args__ = (UniqueConstraint("company_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), index=True)
    kind: Mapped[str] = mapped_column(String(10))
    name: Mapped[str] = mapped_column(String(16))  # NamnPaBegaran, how Skatteverket's decision names the claim
    payment_year: Mapped[int] = mapped_column(Integer)
    requested: Mapped[Decimal] = mapped_column(Money())
    file_xml: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class HusavdragInvoiceClaim(Base):
    """An invoice's claim state: ``source`` ``fakturabro`` (in ``claim_id``) or ``visma`` (read from Visma's
    ``TaxDeductionStatus`` by the payment import). One per invoice."""

    __tablename__ = "husavdrag_invoice_claims"
    __table_args__ = (UniqueConstraint("invoice_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), index=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id"))
    claim_id: Mapped[int | None] = mapped_column(ForeignKey("husavdrag_claims.id"), index=True)
    source: Mapped[str] = mapped_column(String(20))
    state: Mapped[str] = mapped_column(String(20))
    payment_date: Mapped[date | None] = mapped_column(Date)
    requested_amount: Mapped[Decimal | None] = mapped_column(Money())
    approved_amount: Mapped[Decimal | None] = mapped_column(Money())
    decided_at: Mapped[date | None] = mapped_column(Date)
    reason: Mapped[str | None] = mapped_column(String(NAME_LENGTH * 2))
    visma_status: Mapped[int | None] = mapped_column(Integer)
    back_invoice_id: Mapped[int | None] = mapped_column(ForeignKey("invoices.id"))
    back_started_at: Mapped[datetime | None] = mapped_column(UtcDateTime())  # the invoice back is being made
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())


class HusavdragClaimBuyer(Base):
    """One buyer's ärende of an invoice's claim: requested, and approved once Skatteverket decided."""

    __tablename__ = "husavdrag_claim_buyers"
    __table_args__ = (UniqueConstraint("invoice_claim_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_claim_id: Mapped[int] = mapped_column(ForeignKey("husavdrag_invoice_claims.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    requested: Mapped[Decimal] = mapped_column(Money())
    approved: Mapped[Decimal | None] = mapped_column(Money())


class HusavdragEvent(Base):
    """A step in an invoice's husavdrag history, in Swedish, without personnummer."""

    __tablename__ = "husavdrag_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"))
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id"), index=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime())
    step: Mapped[str] = mapped_column(String(30))
    message: Mapped[str] = mapped_column(Text)


class HusavdragSettings(Base):
    """Where the company claims husavdrag for invoices exported to Visma: ``visma`` (default) or ``fakturabro``."""

    __tablename__ = "husavdrag_settings"

    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), primary_key=True)
    claims_in: Mapped[str] = mapped_column(String(20))
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())
