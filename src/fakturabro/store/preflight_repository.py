"""The stored results of the settings check ("preflight"), a short history per company."""

from __future__ import annotations

from sqlalchemy import delete, select

from fakturabro.store.repositories import CompanyScoped
from fakturabro.store.visma_models import VismaPreflightResult


class PreflightRepository(CompanyScoped):
    """The company's settings-check results."""

    def add(self, result: VismaPreflightResult) -> None:
        self.session.add(result)
        self.session.flush()

    def keep_newest(self, count: int) -> None:
        """Delete all but the ``count`` newest results."""
        kept = (
            select(VismaPreflightResult.id)
            .where(VismaPreflightResult.company_id == self.company_id)
            .order_by(VismaPreflightResult.id.desc())
            .limit(count)
        )
        self.session.execute(
            delete(VismaPreflightResult).where(
                VismaPreflightResult.company_id == self.company_id, VismaPreflightResult.id.not_in(kept)
            )
        )

    def latest(self) -> VismaPreflightResult | None:
        query = (
            select(VismaPreflightResult)
            .where(VismaPreflightResult.company_id == self.company_id)
            .order_by(VismaPreflightResult.checked_at.desc(), VismaPreflightResult.id.desc())
            .limit(1)
        )
        return self.session.scalars(query).first()
