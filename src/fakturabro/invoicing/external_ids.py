"""Reading and upserting customers, articles and invoices by the vendor's own ``external_id``.

An upsert creates the thing when the company has none with that external id and otherwise replaces it as PUT on
its id would (an invoice only while it is a draft). Two upserts of a new id at once: one creates, the other finds
the constraint taken and updates what the first created.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from pydantic import BaseModel

from fakturabro.domain.errors import NotFound, ValidationFailed
from fakturabro.invoicing import articles, customers, invoices
from fakturabro.invoicing.inputs import ArticleInput, CustomerInput, InvoiceInput
from fakturabro.invoicing.views import ArticleView, CustomerView, InvoiceView
from fakturabro.store.database import ConstraintViolated, Database
from fakturabro.store.external_ids import Owned, find_by_external_id
from fakturabro.store.models import Article, Customer, Invoice

InputT = TypeVar("InputT", CustomerInput, ArticleInput, InvoiceInput)
ViewT = TypeVar("ViewT", bound=BaseModel)


def customer_by_external_id(db: Database, company_id: int, external_id: str) -> CustomerView:
    return customers.get_customer(db, company_id, _id_of(db, Customer, company_id, external_id, "Kunden"))


def article_by_external_id(db: Database, company_id: int, external_id: str) -> ArticleView:
    return articles.get_article(db, company_id, _id_of(db, Article, company_id, external_id, "Artikeln"))


def invoice_by_external_id(db: Database, company_id: int, external_id: str) -> InvoiceView:
    return invoices.get_invoice(db, company_id, _id_of(db, Invoice, company_id, external_id, "Fakturan"))


def upsert_customer(db: Database, company_id: int, external_id: str, data: CustomerInput) -> tuple[CustomerView, bool]:
    """(the customer, whether it was created)."""
    return _upsert(db, company_id, Customer, external_id, data, customers.create_customer, customers.update_customer)


def upsert_article(db: Database, company_id: int, external_id: str, data: ArticleInput) -> tuple[ArticleView, bool]:
    return _upsert(db, company_id, Article, external_id, data, articles.create_article, articles.update_article)


def upsert_invoice(db: Database, company_id: int, external_id: str, data: InvoiceInput) -> tuple[InvoiceView, bool]:
    return _upsert(db, company_id, Invoice, external_id, data, invoices.create_invoice, invoices.update_invoice)


def _upsert(
    db: Database,
    company_id: int,
    kind: type[Owned],
    external_id: str,
    data: InputT,
    create: Callable[[Database, int, InputT], ViewT],
    update: Callable[[Database, int, int, InputT], ViewT],
) -> tuple[ViewT, bool]:
    if data.external_id is not None and data.external_id != external_id:
        raise ValidationFailed.single(
            ("external_id",), "external_id i innehållet skiljer sig från det i adressen.", "external_id_mismatch"
        )
    data = data.model_copy(update={"external_id": external_id})
    existing = _find(db, kind, company_id, external_id)
    if existing is not None:
        return update(db, company_id, existing, data), False
    try:
        return create(db, company_id, data), True
    except ConstraintViolated:
        existing = _find(db, kind, company_id, external_id)
        if existing is None:
            raise  # another constraint (e.g. its number taken): answered as a conflict
        return update(db, company_id, existing, data), False


def _find(db: Database, kind: type[Owned], company_id: int, external_id: str) -> int | None:
    with db.transaction() as session:
        return find_by_external_id(session, kind, company_id, external_id)


def _id_of(db: Database, kind: type[Owned], company_id: int, external_id: str, what: str) -> int:
    found = _find(db, kind, company_id, external_id)
    if found is None:
        raise NotFound(what, external_id)
    return found
