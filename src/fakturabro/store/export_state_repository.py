"""What the export recorded, read back for the pages and the metrics: export rows, their log, Visma's article
numbers as the export last read them, and counts by state. Read-only; the export writes these tables itself."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import func, select

from fakturabro.store.export_models import InvoiceExport, InvoiceExportLog, VismaArticleCache, VismaCompanyCache
from fakturabro.store.repositories import CompanyScoped, Transaction


class ExportStateRepository(CompanyScoped):
    """The company's export rows and their log."""

    def exports_for(self, invoice_ids: Collection[int]) -> list[InvoiceExport]:
        if not invoice_ids:
            return []
        query = select(InvoiceExport).where(
            InvoiceExport.company_id == self.company_id, InvoiceExport.invoice_id.in_(invoice_ids)
        )
        return list(self.session.scalars(query))

    def log_of(self, invoice_id: int, limit: int) -> list[InvoiceExportLog]:
        """Newest first."""
        query = (
            select(InvoiceExportLog)
            .where(InvoiceExportLog.company_id == self.company_id, InvoiceExportLog.invoice_id == invoice_id)
            .order_by(InvoiceExportLog.at.desc(), InvoiceExportLog.id.desc())
            .limit(limit)
        )
        return list(self.session.scalars(query))

    def company_cache(self) -> VismaCompanyCache | None:
        return self.session.get(VismaCompanyCache, self.company_id)

    def active_article_numbers(self) -> list[str]:
        """The article numbers Visma has active, as the export's article cache last saw them."""
        query = select(VismaArticleCache.number).where(
            VismaArticleCache.company_id == self.company_id, VismaArticleCache.is_active.is_(True)
        )
        return list(self.session.scalars(query))


def exports_by_state(session: Transaction) -> dict[str, int]:
    """Every company's exports counted by state."""
    query = select(InvoiceExport.state, func.count()).group_by(InvoiceExport.state)
    return dict(session.execute(query).tuples().all())


def oldest_update_in(session: Transaction, states: Collection[str]) -> datetime | None:
    """When the least recently moved export in one of ``states`` last moved (any company)."""
    return session.scalar(select(func.min(InvoiceExport.updated_at)).where(InvoiceExport.state.in_(states)))
