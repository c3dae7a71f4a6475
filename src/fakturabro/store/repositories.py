"""Repositories: what the invoicing use cases find and store, named for what they do, scoped by company.

The use cases open one unit of work with ``Database.transaction()`` and hand its session (a ``Transaction``)
to the repositories they need; every query lives here, so ``invoicing/`` knows no SQL. Number series stay in
``store/series.py``.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import ColumnElement, exists, func, or_, select
from sqlalchemy.orm import Session

from fakturabro.store.models import ApiToken, Article, Company, Customer, Invoice, Payment, User

Transaction = Session
"""The open unit of work a use case runs in (what ``Database.transaction()`` yields)."""


def _contains_pattern(text: str) -> str:
    """A case-insensitive LIKE pattern for text anywhere in a lowered column."""
    return f"%{text.lower()}%"


@dataclass(frozen=True)
class CompanyScoped:
    """A repository bound to one unit of work and one company (tenant)."""

    session: Transaction
    company_id: int

    def flush(self) -> None:
        """Write pending changes now, so database errors surface inside the use case and ids are assigned."""
        self.session.flush()


class TokenRepository(CompanyScoped):
    """A company's API tokens."""

    def all(self) -> list[ApiToken]:
        query = select(ApiToken).where(ApiToken.company_id == self.company_id).order_by(ApiToken.id)
        return list(self.session.scalars(query))

    def get(self, token_id: int, for_update: bool = False) -> ApiToken | None:
        query = select(ApiToken).where(ApiToken.company_id == self.company_id, ApiToken.id == token_id)
        return self.session.scalar(query.with_for_update() if for_update else query)


class CompanyRepository:
    """Companies (tenants), their users and API tokens: found across tenants, by name, e-mail or token hash."""

    def __init__(self, session: Transaction) -> None:
        self.session = session

    def get(self, company_id: int) -> Company | None:
        return self.session.get(Company, company_id)

    def by_name(self, name: str) -> Company | None:
        return self.session.scalar(select(Company).where(Company.name == name))

    def name_taken(self, name: str) -> bool:
        return self.session.scalar(select(Company.id).where(Company.name == name)) is not None

    def user_by_email(self, email: str) -> User | None:
        return self.session.scalar(select(User).where(User.email == email))

    def email_taken(self, email: str) -> bool:
        return self.session.scalar(select(User.id).where(User.email == email)) is not None

    def token_by_hash(self, token_hash: str) -> ApiToken | None:
        return self.session.scalar(select(ApiToken).where(ApiToken.token_hash == token_hash))

    def add(self, row: Company | User | ApiToken) -> None:
        """Store a new company, user or token; its id is assigned on return."""
        self.session.add(row)
        self.session.flush()


class ArticleRepository(CompanyScoped):
    """The company's article register."""

    def get(self, article_id: int) -> Article | None:
        return self.session.scalar(
            select(Article).where(Article.company_id == self.company_id, Article.id == article_id)
        )

    def number_taken(self, number: str) -> bool:
        query = select(Article.id).where(Article.company_id == self.company_id, Article.number == number)
        return self.session.scalar(query) is not None

    def by_numbers(self, numbers: Collection[str]) -> dict[str, Article]:
        if not numbers:
            return {}
        query = select(Article).where(Article.company_id == self.company_id, Article.number.in_(numbers))
        return {article.number: article for article in self.session.scalars(query)}

    def search(self, search: str | None = None, limit: int = 100, offset: int = 0) -> list[Article]:
        """By article number; ``search`` matches name or number, case-insensitively."""
        query = select(Article).where(Article.company_id == self.company_id)
        if search:
            pattern = _contains_pattern(search)
            query = query.where(or_(func.lower(Article.name).like(pattern), func.lower(Article.number).like(pattern)))
        return list(self.session.scalars(query.order_by(Article.number).limit(limit).offset(offset)))

    def add(self, article: Article) -> None:
        self.session.add(article)
        self.session.flush()


class CustomerRepository(CompanyScoped):
    """The company's customer register."""

    def get(self, customer_id: int) -> Customer | None:
        query = select(Customer).where(Customer.company_id == self.company_id, Customer.id == customer_id)
        return self.session.scalar(query)

    def by_number(self, customer_number: str) -> Customer | None:
        query = select(Customer).where(
            Customer.company_id == self.company_id, Customer.customer_number == customer_number
        )
        return self.session.scalar(query)

    def number_taken(self, customer_number: str) -> bool:
        query = select(Customer.id).where(
            Customer.company_id == self.company_id, Customer.customer_number == customer_number
        )
        return self.session.scalar(query) is not None

    def search(self, search: str | None = None, limit: int = 100, offset: int = 0) -> list[Customer]:
        """By customer number as a number (999 before 1001: shorter first, then in order); ``search`` matches name
        or customer number, case-insensitively."""
        query = select(Customer).where(Customer.company_id == self.company_id)
        if search:
            pattern = _contains_pattern(search)
            query = query.where(
                or_(func.lower(Customer.name).like(pattern), func.lower(Customer.customer_number).like(pattern))
            )
        by_number = (func.length(Customer.customer_number), Customer.customer_number, Customer.id)
        return list(self.session.scalars(query.order_by(*by_number).limit(limit).offset(offset)))

    def highest_plain_number(self) -> int:
        """The highest customer number that is a plain number (0 when there is none), so the series can go on
        after numbers given by hand or imported (1001–2002) instead of handing out 1, 2, 3 beside them."""
        numbers = self.session.scalars(select(Customer.customer_number).where(Customer.company_id == self.company_id))
        return max((int(number) for number in numbers if number.isdigit() and len(number) <= 18), default=0)

    def org_numbers(self) -> dict[str, str | None]:
        """Customer number → organisation number (None for a private person), for every customer."""
        query = select(Customer.customer_number, Customer.org_number).where(Customer.company_id == self.company_id)
        return dict(self.session.execute(query).tuples().all())

    def add(self, customer: Customer) -> None:
        self.session.add(customer)
        self.session.flush()


@dataclass(frozen=True)
class CreditRow:
    """A credit invoice as its original's settlement sees it."""

    id: int
    original_id: int
    status: str
    to_pay: Decimal | None


class InvoiceRepository(CompanyScoped):
    """The company's invoices, and what has been paid and credited against them."""

    def get(self, invoice_id: int, for_update: bool = False) -> Invoice | None:
        """``for_update`` locks the invoice's row until commit (PostgreSQL), so concurrent commands queue."""
        query = select(Invoice).where(Invoice.company_id == self.company_id, Invoice.id == invoice_id)
        if for_update:
            query = query.with_for_update(of=Invoice)
        return self.session.scalar(query)

    def id_by_ocr(self, ocr: str) -> int | None:
        """The approved invoice that carries this OCR payment reference (the number is unique, so is the OCR)."""
        query = select(Invoice.id).where(Invoice.company_id == self.company_id, Invoice.ocr == ocr)
        return self.session.scalar(query)

    def loaded(self, invoice_id: int) -> Invoice | None:
        """An invoice this unit of work may already hold (no query then), e.g. a credit invoice's original."""
        invoice = self.session.get(Invoice, invoice_id)
        return invoice if invoice is not None and invoice.company_id == self.company_id else None

    def newest_first(
        self,
        status: str | None = None,
        customer_number: str | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> Sequence[Invoice]:
        query = select(Invoice).where(Invoice.company_id == self.company_id)
        if status is not None:
            query = query.where(Invoice.status == status)
        if customer_number:
            query = query.join(Customer).where(Customer.customer_number == customer_number)
        return list(self.session.scalars(query.order_by(Invoice.id.desc()).limit(limit).offset(offset)))

    def any_reverse_charge(self) -> bool:
        """Whether any of the company's invoices (drafts too) uses omvänd byggmoms."""
        return self._any(Invoice.reverse_charge.is_(True))

    def any_house_work(self, kinds: Collection[str]) -> bool:
        """Whether any of the company's invoices (drafts too) has husavdrag of one of ``kinds``."""
        return self._any(Invoice.house_work_kind.in_(kinds))

    def _any(self, condition: ColumnElement[bool]) -> bool:
        return bool(self.session.scalar(select(exists().where(Invoice.company_id == self.company_id, condition))))

    def add(self, invoice: Invoice) -> None:
        self.session.add(invoice)
        self.session.flush()

    def delete(self, invoice: Invoice) -> None:
        self.session.delete(invoice)

    def paid_amounts(self, invoice_id: int) -> list[Decimal]:
        query = select(Payment.amount).where(Payment.company_id == self.company_id, Payment.invoice_id == invoice_id)
        return list(self.session.scalars(query))

    def payments_for(self, invoice_ids: Collection[int]) -> list[Payment]:
        """The payments of many invoices in one query, in id order."""
        if not invoice_ids:
            return []
        query = select(Payment).where(Payment.company_id == self.company_id, Payment.invoice_id.in_(invoice_ids))
        return list(self.session.scalars(query.order_by(Payment.id)))

    def credits_for(self, invoice_ids: Collection[int]) -> list[CreditRow]:
        """The credit invoices (drafts too) of many invoices in one query, in id order."""
        if not invoice_ids:
            return []
        query = (
            select(Invoice.id, Invoice.credits_invoice_id, Invoice.status, Invoice.to_pay)
            .where(Invoice.company_id == self.company_id, Invoice.credits_invoice_id.in_(invoice_ids))
            .order_by(Invoice.id)
        )
        rows = []
        for credit_id, original_id, status, to_pay in self.session.execute(query):
            assert original_id is not None
            rows.append(CreditRow(credit_id, original_id, status, to_pay))
        return rows


class PaymentRepository(CompanyScoped):
    """The company's registered payments."""

    def for_invoice(self, invoice_id: int) -> list[Payment]:
        query = select(Payment).where(Payment.company_id == self.company_id, Payment.invoice_id == invoice_id)
        return list(self.session.scalars(query.order_by(Payment.id)))

    def external_id_taken(self, external_id: str) -> bool:
        query = select(Payment.id).where(Payment.company_id == self.company_id, Payment.external_id == external_id)
        return self.session.scalar(query) is not None

    def add(self, payment: Payment) -> None:
        self.session.add(payment)
