"""The company's invoice details: read, created on first save, and the highest invoice number it has used."""

from __future__ import annotations

from sqlalchemy import func, select

from fakturabro.store.company_models import CompanySettings
from fakturabro.store.models import Invoice
from fakturabro.store.repositories import Transaction


class CompanySettingsRepository:
    def __init__(self, session: Transaction, company_id: int) -> None:
        self.session = session
        self.company_id = company_id

    def get(self, for_update: bool = False) -> CompanySettings | None:
        query = select(CompanySettings).where(CompanySettings.company_id == self.company_id)
        return self.session.scalar(query.with_for_update() if for_update else query)

    def add(self, row: CompanySettings) -> None:
        self.session.add(row)
        self.session.flush()

    def highest_invoice_number(self) -> int:
        """The highest number an invoice of the company carries (0 before the first approval)."""
        highest = self.session.scalar(select(func.max(Invoice.number)).where(Invoice.company_id == self.company_id))
        return int(highest or 0)
