"""Customers, articles and invoices by the vendor's own id: ``GET`` and upserting ``PUT`` on
``/api/v1/<resource>/by-external-id/{external_id}`` (201 when created, 200 when replaced)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Response

from fakturabro.invoicing import external_ids
from fakturabro.invoicing.inputs import ArticleInput, CustomerInput, InvoiceInput
from fakturabro.invoicing.views import ArticleView, CustomerView, InvoiceView
from fakturabro.web.deps import CompanyId, Db

router = APIRouter(prefix="/api/v1")
ExternalId = Annotated[str, Path(min_length=1, max_length=255, pattern=r"^[\x21-\x2e\x30-\x7e]+$")]
UPSERT_RESPONSES: dict[int | str, dict[str, str]] = {201: {"description": "Created (no such external id before)"}}


def _status(response: Response, created: bool) -> None:
    response.status_code = 201 if created else 200


@router.get("/customers/by-external-id/{external_id}", tags=["customers"])
def get_customer(external_id: ExternalId, db: Db, company_id: CompanyId) -> CustomerView:
    return external_ids.customer_by_external_id(db, company_id, external_id)


@router.put("/customers/by-external-id/{external_id}", tags=["customers"], responses=UPSERT_RESPONSES)
def upsert_customer(
    external_id: ExternalId, body: CustomerInput, response: Response, db: Db, company_id: CompanyId
) -> CustomerView:
    view, created = external_ids.upsert_customer(db, company_id, external_id, body)
    _status(response, created)
    return view


@router.get("/articles/by-external-id/{external_id}", tags=["articles"])
def get_article(external_id: ExternalId, db: Db, company_id: CompanyId) -> ArticleView:
    return external_ids.article_by_external_id(db, company_id, external_id)


@router.put("/articles/by-external-id/{external_id}", tags=["articles"], responses=UPSERT_RESPONSES)
def upsert_article(
    external_id: ExternalId, body: ArticleInput, response: Response, db: Db, company_id: CompanyId
) -> ArticleView:
    view, created = external_ids.upsert_article(db, company_id, external_id, body)
    _status(response, created)
    return view


@router.get("/invoices/by-external-id/{external_id}", tags=["invoices"])
def get_invoice(external_id: ExternalId, db: Db, company_id: CompanyId) -> InvoiceView:
    return external_ids.invoice_by_external_id(db, company_id, external_id)


@router.put("/invoices/by-external-id/{external_id}", tags=["invoices"], responses=UPSERT_RESPONSES)
def upsert_invoice(
    external_id: ExternalId, body: InvoiceInput, response: Response, db: Db, company_id: CompanyId
) -> InvoiceView:
    """Create the draft, or replace it while it is a draft (an approved invoice answers 409)."""
    view, created = external_ids.upsert_invoice(db, company_id, external_id, body)
    _status(response, created)
    return view
