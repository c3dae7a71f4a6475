"""REST API ``/api/v1``: thin routes that translate HTTP to use cases and back."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, TypeVar

from dbos._error import DBOSException
from fastapi import APIRouter, Path, Query, Request, Response
from pydantic import BaseModel, Field

from fakturabro.domain.errors import Conflict
from fakturabro.domain.invoice import InvoiceStatus
from fakturabro.invoicing import articles, customers, invoices, payments
from fakturabro.invoicing.inputs import (
    MAX_ID,
    ArticleInput,
    CreditInput,
    CustomerInput,
    InvoiceInput,
    PaymentByOcrInput,
    PaymentInput,
)
from fakturabro.invoicing.views import ArticleView, CustomerView, InvoiceView, PaymentView
from fakturabro.sync import preflight
from fakturabro.sync.export import workflow as export_workflow
from fakturabro.visma.errors import OAuthError
from fakturabro.web.api_visma import ChecklistItemView, request_setup
from fakturabro.web.deps import CompanyId, ContainerDep, Db

router = APIRouter(prefix="/api/v1")
T = TypeVar("T")

Id = Annotated[int, Path(ge=1, le=MAX_ID)]
Limit = Annotated[int, Query(ge=1, le=500)]
Offset = Annotated[int, Query(ge=0, le=MAX_ID)]
Search = Annotated[str | None, Query(max_length=100)]


# --- customers -------------------------------------------------------------------------------------------


@router.post("/customers", status_code=201, tags=["customers"])
def create_customer(body: CustomerInput, db: Db, company_id: CompanyId) -> CustomerView:
    return customers.create_customer(db, company_id, body)


@router.get("/customers", tags=["customers"])
def list_customers(
    db: Db, company_id: CompanyId, search: Search = None, limit: Limit = 100, offset: Offset = 0
) -> list[CustomerView]:
    return customers.list_customers(db, company_id, search, limit, offset)


@router.get("/customers/{customer_id}", tags=["customers"])
def get_customer(customer_id: Id, db: Db, company_id: CompanyId) -> CustomerView:
    return customers.get_customer(db, company_id, customer_id)


@router.put("/customers/{customer_id}", tags=["customers"])
def update_customer(customer_id: Id, body: CustomerInput, db: Db, company_id: CompanyId) -> CustomerView:
    return customers.update_customer(db, company_id, customer_id, body)


# --- articles --------------------------------------------------------------------------------------------


@router.post("/articles", status_code=201, tags=["articles"])
def create_article(body: ArticleInput, db: Db, company_id: CompanyId) -> ArticleView:
    return articles.create_article(db, company_id, body)


@router.get("/articles", tags=["articles"])
def list_articles(
    db: Db, company_id: CompanyId, search: Search = None, limit: Limit = 100, offset: Offset = 0
) -> list[ArticleView]:
    return articles.list_articles(db, company_id, search, limit, offset)


@router.get("/articles/{article_id}", tags=["articles"])
def get_article(article_id: Id, db: Db, company_id: CompanyId) -> ArticleView:
    return articles.get_article(db, company_id, article_id)


@router.put("/articles/{article_id}", tags=["articles"])
def update_article(article_id: Id, body: ArticleInput, db: Db, company_id: CompanyId) -> ArticleView:
    return articles.update_article(db, company_id, article_id, body)


# --- invoices --------------------------------------------------------------------------------------------


@router.post("/invoices", status_code=201, tags=["invoices"])
def create_invoice(body: InvoiceInput, db: Db, company_id: CompanyId) -> InvoiceView:
    return invoices.create_invoice(db, company_id, body)


@router.get("/invoices", tags=["invoices"])
def list_invoices(
    db: Db,
    company_id: CompanyId,
    status: InvoiceStatus | None = None,
    customer_number: Annotated[str | None, Query(max_length=50)] = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> list[InvoiceView]:
    return invoices.list_invoices(db, company_id, status, customer_number, limit, offset)


@router.get("/invoices/{invoice_id}", tags=["invoices"])
def get_invoice(invoice_id: Id, db: Db, company_id: CompanyId) -> InvoiceView:
    return invoices.get_invoice(db, company_id, invoice_id)


@router.put("/invoices/{invoice_id}", tags=["invoices"])
def update_invoice(invoice_id: Id, body: InvoiceInput, db: Db, company_id: CompanyId) -> InvoiceView:
    return invoices.update_invoice(db, company_id, invoice_id, body)


@router.delete("/invoices/{invoice_id}", status_code=204, tags=["invoices"])
def delete_invoice(invoice_id: Id, db: Db, company_id: CompanyId) -> Response:
    invoices.delete_draft(db, company_id, invoice_id)
    return Response(status_code=204)


@router.post("/invoices/{invoice_id}/approve", tags=["invoices"])
def approve_invoice(invoice_id: Id, container: ContainerDep, company_id: CompanyId) -> InvoiceView:
    return invoices.approve_invoice(container.db, company_id, invoice_id, container.on_approved)


@router.post("/invoices/{invoice_id}/credit", status_code=201, tags=["invoices"])
def credit_invoice(
    invoice_id: Id, container: ContainerDep, company_id: CompanyId, body: CreditInput | None = None
) -> InvoiceView:
    approve = body.approve if body else False
    return invoices.credit_invoice(container.db, company_id, invoice_id, approve, container.on_approved, body)


@router.post("/invoices/{invoice_id}/export", status_code=202, tags=["export"])
def export_invoice_again(invoice_id: Id, db: Db, company_id: CompanyId) -> InvoiceView:
    """Export again after a fix (only from failed, waiting or needs reconnect)."""
    if not _in_export_process(lambda: export_workflow.export_again(company_id, invoice_id)):
        raise Conflict("Fakturan exporteras redan eller är redan exporterad.", "export_not_resting")
    return invoices.get_invoice(db, company_id, invoice_id)


class PendingExportsView(BaseModel):
    started: list[int]
    checklist: list[ChecklistItemView] = Field(
        description="The settings check the batch starts with; empty when Visma is not connected (the invoices wait)."
    )


@router.post("/exports/pending", tags=["export"])
def export_all_pending(request: Request, container: ContainerDep, company_id: CompanyId) -> PendingExportsView:
    """Export every approved invoice of the company that is not in Visma yet (failed ones too).

    The batch starts with the settings check (a result younger than ten minutes is reused), so a setting that
    would make these invoices fail in Visma is shown here, next to what was started."""
    checklist: list[ChecklistItemView] = []
    try:
        check = preflight.check_before_export(container, company_id, setup=request_setup(request, container))
        checklist = [ChecklistItemView(key=i.key, ok=i.ok, message=i.message, fix=i.fix) for i in check.items]
    except OAuthError:
        pass  # not connected: the invoices wait and go once the company connects
    started = _in_export_process(lambda: export_workflow.export_pending([company_id], include_failed=True))
    return PendingExportsView(started=started, checklist=checklist)


def _in_export_process(start: Callable[[], T]) -> T:
    """Starting an export needs this process's background runtime; without it the request is refused, not a 500."""
    try:
        return start()
    except (export_workflow.ExportNotRunning, DBOSException) as error:
        raise Conflict(
            "Exporten körs inte i den här processen. Starta fakturabro utan --no-worker, eller låt "
            "`fakturabro worker` ta de väntande fakturorna (de hämtas varje minut).",
            "export_not_running",
        ) from error


# --- payments --------------------------------------------------------------------------------------------


@router.get("/invoices/{invoice_id}/payments", tags=["payments"])
def list_payments(invoice_id: Id, db: Db, company_id: CompanyId) -> list[PaymentView]:
    return payments.list_payments(db, company_id, invoice_id)


@router.post("/payments/by-ocr", status_code=201, tags=["payments"])
def register_payment_by_ocr(body: PaymentByOcrInput, db: Db, company_id: CompanyId) -> InvoiceView:
    """A payment on the invoice with this OCR reference, as a bank statement or Bankgirot's file names it."""
    return payments.register_payment_by_ocr(db, company_id, body)


@router.post("/invoices/{invoice_id}/payments", status_code=201, tags=["payments"])
def register_payment(invoice_id: Id, body: PaymentInput, db: Db, company_id: CompanyId) -> InvoiceView:
    return payments.register_payment(db, company_id, invoice_id, body)
