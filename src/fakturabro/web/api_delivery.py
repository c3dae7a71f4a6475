"""Sending invoices over the API: `POST /api/v1/invoices/{id}/send`, the sent PDF from Visma, and the company's
default way of sending (`/api/v1/company/delivery`)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Response
from pydantic import Field

from fakturabro.domain.delivery import MAX_RECIPIENTS, DeliveryChannel
from fakturabro.domain.errors import NotFound
from fakturabro.invoicing import invoices
from fakturabro.invoicing.inputs import MAX_ID, _Input
from fakturabro.invoicing.views import InvoiceView
from fakturabro.sync.delivery import settings as delivery_settings
from fakturabro.sync.delivery import workflow
from fakturabro.sync.delivery.requests import MAX_MESSAGE_LENGTH, DeliveryRequest, request_delivery
from fakturabro.sync.delivery.settings import DeliverySettingsInput, DeliverySettingsView
from fakturabro.web.deps import CompanyId, Db

router = APIRouter(prefix="/api/v1")
Id = Annotated[int, Path(ge=1, le=MAX_ID)]
SENDABLE = Literal["visma_email", "visma_einvoice", "email"]
PDF_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {"content": {"application/pdf": {}}, "description": "The invoice's PDF as Visma sent it"},
    404: {"description": "Visma has not sent the invoice (fakturabro's own PDF is at /invoices/{id}/pdf)"},
}


class SendInput(_Input):
    channel: SENDABLE = Field(description="visma_email | visma_einvoice: Visma books and sends; email: fakturabro")
    to: list[Annotated[str, Field(max_length=254)]] = Field(
        default_factory=list, max_length=MAX_RECIPIENTS, description="Empty: the customer's own address"
    )
    message: str | None = Field(None, max_length=MAX_MESSAGE_LENGTH, description="Empty: the company's text")


@router.post("/invoices/{invoice_id}/send", status_code=202, tags=["invoices"])
def send_invoice(invoice_id: Id, body: SendInput, db: Db, company_id: CompanyId) -> InvoiceView:
    """Send an approved invoice; the answer's `delivery` follows the sending (`pending` → `sending` → `sent` or
    `failed`). A failed sending may be asked for again; one under way or done answers 409."""
    request = DeliveryRequest(DeliveryChannel(body.channel), tuple(body.to), body.message)
    workflow.start(request_delivery(db, company_id, invoice_id, request))
    return invoices.get_invoice(db, company_id, invoice_id)


@router.get("/invoices/{invoice_id}/sent-pdf", response_class=Response, responses=PDF_RESPONSE, tags=["invoices"])
def sent_pdf(invoice_id: Id, db: Db, company_id: CompanyId) -> Response:
    pdf = delivery_settings.sent_pdf(db, company_id, invoice_id)
    if pdf is None:
        raise NotFound("Vismas PDF av fakturan", invoice_id)
    data, filename = pdf
    headers = {"Content-Disposition": f'attachment; filename="{filename}"'}
    return Response(data, media_type="application/pdf", headers=headers)


@router.get("/company/delivery", tags=["company"])
def get_delivery_settings(db: Db, company_id: CompanyId) -> DeliverySettingsView:
    return delivery_settings.get_delivery_settings(db, company_id)


@router.put("/company/delivery", tags=["company"])
def put_delivery_settings(body: DeliverySettingsInput, db: Db, company_id: CompanyId) -> DeliverySettingsView:
    """How newly approved invoices are sent by themselves (`none`: only when asked), and the e-mail's texts."""
    return delivery_settings.update_delivery_settings(db, company_id, body)
