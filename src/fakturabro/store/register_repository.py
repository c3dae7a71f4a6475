"""The registers as the bulk operations (file import, push to and pull from Visma) read and write them: whole
registers at once, writes in batches, and the run records that count their progress."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import select

from fakturabro.store.models import Article, Customer
from fakturabro.store.register_models import RegisterRun
from fakturabro.store.repositories import CompanyScoped


class RegisterRepository(CompanyScoped):
    """The company's articles and customers, for a batch: rows added here are written when the batch commits."""

    def articles(self) -> list[Article]:
        return list(self.session.scalars(select(Article).where(Article.company_id == self.company_id)))

    def customers(self) -> list[Customer]:
        """Oldest first."""
        query = select(Customer).where(Customer.company_id == self.company_id).order_by(Customer.id)
        return list(self.session.scalars(query))

    def articles_by_number(self, numbers: Collection[str]) -> dict[str, Article]:
        if not numbers:
            return {}
        query = select(Article).where(Article.company_id == self.company_id, Article.number.in_(numbers))
        return {article.number: article for article in self.session.scalars(query)}

    def customers_by_number(self, numbers: Collection[str]) -> dict[str, Customer]:
        if not numbers:
            return {}
        query = select(Customer).where(Customer.company_id == self.company_id, Customer.customer_number.in_(numbers))
        return {customer.customer_number: customer for customer in self.session.scalars(query)}

    def add(self, row: Article | Customer) -> None:
        self.session.add(row)


class RegisterRunRepository(CompanyScoped):
    """The company's register runs."""

    def get(self, run_id: int) -> RegisterRun | None:
        query = select(RegisterRun).where(RegisterRun.company_id == self.company_id, RegisterRun.id == run_id)
        return self.session.scalar(query)

    def newest(self, limit: int) -> list[RegisterRun]:
        query = select(RegisterRun).where(RegisterRun.company_id == self.company_id).order_by(RegisterRun.id.desc())
        return list(self.session.scalars(query.limit(limit)))

    def add(self, run: RegisterRun) -> None:
        """Store a new run; its id is assigned on return."""
        self.session.add(run)
        self.session.flush()
