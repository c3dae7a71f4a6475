"""The tables of the export to Visma: per-invoice export state, its log, and the per-company Visma caches.

Sync state is data: the export row says where an invoice stands (``state``), which workflow generation owns it,
and — before any document is POSTed — that a create is in flight with which marker, so a lost answer is
reconciled by looking the marker up instead of creating again.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, Session, mapped_column

from fakturabro.store.models import NAME_LENGTH, SHORT_LENGTH, Base

UUID_LENGTH = 36
# `visma_link_id` holds the partner resource link's id once Visma made it, else one of these marks (the link back
# runs in its own lane after the export: sync/export/link_workflow.py).
LINK_PENDING = "pending"  # asked for, or its POST may have landed unseen (looked up by ResourceId first)
LINK_REFUSED = "refused"  # Visma refused it (the export log says why); the export still counts as done
LINK_OFF = "off"  # FAKTURABRO_VISMA_LINK_BACK=0 when the invoice was exported
LINKABLE_DOCUMENTS = ("draft", "invoice")
RESOLVE_PATH = "/settings/integrations/visma/reconciliation"  # Visma's link resource types have no ledger item


class InvoiceExport(Base):
    """Where one invoice stands in its export: ``waiting``, ``exporting``, ``exported``, ``failed``,
    ``needs_reconnect``, ``needs_attention`` (its customer in Visma contradicts ours: a reconciliation finding)."""

    __tablename__ = "invoice_exports"

    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id"), primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), index=True)
    state: Mapped[str] = mapped_column(String(20), index=True)
    mode: Mapped[str | None] = mapped_column(String(10))
    generation: Mapped[int] = mapped_column(Integer, default=1)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    marker: Mapped[str | None] = mapped_column(String(SHORT_LENGTH))
    in_flight_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    visma_customer_id: Mapped[str | None] = mapped_column(String(UUID_LENGTH))
    visma_document_type: Mapped[str | None] = mapped_column(String(20))  # "draft" | "voucher" | "invoice"
    visma_id: Mapped[str | None] = mapped_column(String(UUID_LENGTH))
    visma_invoice_number: Mapped[int | None] = mapped_column(Integer)
    visma_link_id: Mapped[str | None] = mapped_column(String(UUID_LENGTH))
    totals_difference: Mapped[str | None] = mapped_column(Text)
    error: Mapped[str | None] = mapped_column(Text)
    error_id: Mapped[str | None] = mapped_column(String(SHORT_LENGTH))
    exported_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class InvoiceExportLog(Base):
    """One attempt of one step: what happened, Visma's ErrorId when Visma answered with an error."""

    __tablename__ = "invoice_export_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id"), index=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), index=True)
    generation: Mapped[int] = mapped_column(Integer)
    attempt: Mapped[int] = mapped_column(Integer)
    step: Mapped[str] = mapped_column(String(30))
    outcome: Mapped[str] = mapped_column(String(20))
    message: Mapped[str | None] = mapped_column(Text)
    error_id: Mapped[str | None] = mapped_column(String(SHORT_LENGTH))
    http_status: Mapped[int | None] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class VismaCustomerLink(Base):
    """Our customer ↔ the Visma customer it was found or created as (so a known customer costs no call)."""

    __tablename__ = "visma_customer_links"

    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), primary_key=True)
    visma_customer_id: Mapped[str] = mapped_column(String(UUID_LENGTH))
    is_private_person: Mapped[bool] = mapped_column(Boolean)
    linked_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # Set when Visma changed the linked customer so that it no longer agrees with ours (Swedish, numbers masked):
    # the export stops as `needs_attention` with it until the user resolves the finding.
    contradiction: Mapped[str | None] = mapped_column(Text)


class VismaArticleCache(Base):
    """A company's Visma articles by number, refreshed incrementally by ``ChangedUtc``."""

    __tablename__ = "visma_article_cache"
    __table_args__ = (UniqueConstraint("company_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), index=True)
    number: Mapped[str] = mapped_column(String(SHORT_LENGTH))
    visma_id: Mapped[str] = mapped_column(String(UUID_LENGTH))
    name: Mapped[str] = mapped_column(String(NAME_LENGTH))
    coding_id: Mapped[str | None] = mapped_column(String(UUID_LENGTH))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)


class VismaCompanyCache(Base):
    """Per company: the article cursor (Visma's ``ServerTimeUtc``) and reference data the export needs."""

    __tablename__ = "visma_company_cache"

    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), primary_key=True)
    articles_cursor: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    articles_checked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    terms_of_payment_id: Mapped[str | None] = mapped_column(String(UUID_LENGTH))
    unit_id: Mapped[str | None] = mapped_column(String(UUID_LENGTH))
    codings: Mapped[str | None] = mapped_column(Text)  # JSON list of ArticleAccountCoding as Visma sent them
    refreshed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Linked customers Visma changed since this cursor are compared with ours again (steps.recheck_linked_customers).
    customers_cursor: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    customers_checked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Visma's DomesticCurrencyRounding as last read (True: whole kronor); None until the company's settings are read.
    whole_krona_rounding: Mapped[bool | None] = mapped_column(Boolean)
    settings_read_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


def export_json(session: Session, invoice_id: int) -> dict[str, Any] | None:
    """The ``export`` part of an invoice's JSON; None when no export was ever started for it."""
    row = session.get(InvoiceExport, invoice_id)
    if row is None:
        return None
    return {
        "state": row.state,
        "mode": row.mode,
        "visma_id": row.visma_id,
        "visma_invoice_number": row.visma_invoice_number,
        "attempts": row.attempts,
        "error": row.error,
        "error_id": row.error_id,
        "totals_difference": row.totals_difference,
        "exported_at": row.exported_at.isoformat() if row.exported_at else None,
        "link": link_state(row),
        # Where the user resolves what stopped a `needs_attention` export (the reconciliation page).
        "resolve_url": RESOLVE_PATH if row.state == "needs_attention" else None,
    }


def link_state(row: InvoiceExport) -> str | None:
    """The link back from Visma: ``linked``, ``pending``, ``refused`` or ``off``; None until the invoice is exported."""
    if row.state != "exported" or row.visma_id is None:
        return None
    if row.visma_document_type not in LINKABLE_DOCUMENTS:
        return LINK_OFF
    if row.visma_link_id in (None, LINK_PENDING):
        return LINK_PENDING
    if row.visma_link_id in (LINK_REFUSED, LINK_OFF):
        return row.visma_link_id
    return "linked"
