"""Skicka fakturan: the sending card on an approved invoice's page (choose how, to whom, with what text), its
state as it goes, "Skicka igen" after a failure, and the PDF Visma sent. The same use case as the API's
`POST /api/v1/invoices/{id}/send`."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from fakturabro.domain.delivery import CHANNEL_LABELS, DeliveryChannel, company_channel_problem
from fakturabro.domain.errors import Conflict, DomainError, NotFound
from fakturabro.domain.invoice import InvoiceStatus
from fakturabro.invoicing import customers, invoices
from fakturabro.invoicing.inputs import MAX_ID
from fakturabro.invoicing.views import InvoiceView
from fakturabro.store.database import Database
from fakturabro.sync.delivery import settings as delivery_settings
from fakturabro.sync.delivery import workflow
from fakturabro.sync.delivery.requests import DeliveryRequest, export_mode, request_delivery
from fakturabro.web.deps import Db
from fakturabro.web.views.errors import PageRoute
from fakturabro.web.views.forms import FormData, field_errors, text
from fakturabro.web.views.rendering import is_htmx, render
from fakturabro.web.views.session import PageCompany, check_csrf

router = APIRouter(include_in_schema=False, route_class=PageRoute)
Id = Annotated[int, Path(ge=1, le=MAX_ID)]
SENDABLE = (DeliveryChannel.EMAIL, DeliveryChannel.VISMA_EMAIL, DeliveryChannel.VISMA_EINVOICE)


def delivery_context(db: Database, company_id: int, invoice: InvoiceView) -> dict[str, Any]:
    """What the sending card needs: the invoice's delivery and the channels this company can choose."""
    mode = export_mode(db, company_id)
    customer = customers.get_customer(db, company_id, invoice.customer.id)
    channels = [(c.value, CHANNEL_LABELS[c]) for c in SENDABLE if company_channel_problem(c, mode) is None]
    default = delivery_settings.get_delivery_settings(db, company_id).default_channel
    chosen = default.value if default in SENDABLE and company_channel_problem(default, mode) is None else "email"
    return {
        "invoice": invoice,
        "delivery": _shown(invoice.delivery),
        "channels": channels,
        "channel_labels": {c.value: label for c, label in CHANNEL_LABELS.items()},
        "sendable": invoice.status != InvoiceStatus.DRAFT,
        "values": {"channel": chosen, "to": customer.email or "", "message": ""},
        "errors": {},
    }


@router.get("/invoices/{invoice_id}/delivery", response_class=HTMLResponse)
def delivery_card(request: Request, db: Db, company_id: PageCompany, invoice_id: Id) -> HTMLResponse:
    """The card alone: it polls itself while the sending can still change."""
    invoice = invoices.get_invoice(db, company_id, invoice_id)
    return render(request, "_delivery.html", delivery_context(db, company_id, invoice))


@router.post("/invoices/{invoice_id}/send", response_class=HTMLResponse)
async def send_invoice(request: Request, db: Db, company_id: PageCompany, invoice_id: Id) -> Response:
    form = await request.form()
    return await run_in_threadpool(_send, request, db, company_id, invoice_id, form)


def _send(request: Request, db: Database, company_id: int, invoice_id: int, form: FormData) -> Response:
    check_csrf(request, text(form, "csrf"))
    channel = text(form, "channel") or ""
    to = tuple(part.strip() for part in (text(form, "to") or "").replace(";", ",").split(",") if part.strip())
    message = text(form, "message")
    try:
        if channel not in {c.value for c in SENDABLE}:
            raise _choose_a_channel()
        wanted = DeliveryRequest(DeliveryChannel(channel), to, message)
        workflow.start(request_delivery(db, company_id, invoice_id, wanted))
    except DomainError as error:
        if isinstance(error, NotFound):
            raise
        invoice = invoices.get_invoice(db, company_id, invoice_id)
        context = delivery_context(db, company_id, invoice)
        context["values"] = {"channel": channel, "to": text(form, "to") or "", "message": message or ""}
        context["errors"] = _errors(field_errors(error))
        return render(request, "_delivery.html", context, status_code=422)
    if is_htmx(request):
        invoice = invoices.get_invoice(db, company_id, invoice_id)
        return render(request, "_delivery.html", delivery_context(db, company_id, invoice))
    return RedirectResponse(f"/invoices/{invoice_id}#skicka", status_code=303)


@router.get("/invoices/{invoice_id}/sent-pdf")
def sent_pdf(db: Db, company_id: PageCompany, invoice_id: Id) -> Response:
    pdf = delivery_settings.sent_pdf(db, company_id, invoice_id)
    if pdf is None:
        raise NotFound("Vismas PDF av fakturan", invoice_id)
    data, filename = pdf
    return Response(
        data, media_type="application/pdf", headers={"Content-Disposition": f'attachment; filename="{filename}"'}
    )


def _shown(delivery: dict[str, Any] | None) -> dict[str, Any] | None:
    """The API's delivery with its moment as a datetime, for the page's Swedish date filter."""
    if delivery is None or not delivery.get("sent_at"):
        return delivery
    return {**delivery, "sent_at": datetime.fromisoformat(delivery["sent_at"])}


def _choose_a_channel() -> DomainError:
    return Conflict("Välj hur fakturan ska skickas.", "channel_none", ("channel",))


def _errors(found: dict[str, str]) -> dict[str, str]:
    """Recipient errors (``to.0``) belong to the one recipients field."""
    merged: dict[str, str] = {}
    for key, message in found.items():
        field = "to" if key.startswith("to") else key or "channel"
        merged[field] = f"{merged[field]} {message}" if field in merged else message
    return merged
