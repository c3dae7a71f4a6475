"""Asking for an invoice to be sent: checked, recorded as the invoice's delivery, then handed to the workflow.

One delivery row per invoice. A request is refused (and nothing is recorded or sent) for a draft, another
company's invoice, a channel the customer cannot receive or this company cannot use, and while an earlier sending
is still under way or done; a failed one is sent again under the next *generation*, so the workflow of the
failed attempt can never send as well (`workflow.begin` only proceeds for the row's current generation).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from sqlalchemy import select

from fakturabro.domain.delivery import (
    MAX_RECIPIENTS,
    DeliveryChannel,
    DeliveryState,
    Recipient,
    channel_problem,
    is_email_address,
)
from fakturabro.domain.errors import Conflict, ErrorCollector, NotFound
from fakturabro.domain.invoice import InvoiceStatus
from fakturabro.store.database import Database
from fakturabro.store.delivery_models import CompanyDeliverySettings, InvoiceDelivery
from fakturabro.store.models import Customer, Invoice
from fakturabro.store.repositories import Transaction
from fakturabro.sync.connection import ConnectionState, connection_status

MAX_MESSAGE_LENGTH = 5000


@dataclass(frozen=True)
class DeliveryRequest:
    channel: DeliveryChannel
    to: tuple[str, ...] = ()  # empty: the customer's own address
    message: str | None = None  # empty: the company's text, or the Swedish default


@dataclass(frozen=True)
class Requested:
    """A delivery that the workflow ``delivery-<invoice id>-<generation>`` is to carry out."""

    company_id: int
    invoice_id: int
    generation: int


def request_delivery(db: Database, company_id: int, invoice_id: int, request: DeliveryRequest) -> Requested:
    """Record that the invoice is to be sent as asked; the caller starts the workflow (`workflow.start`)."""
    mode = export_mode(db, company_id)
    with db.transaction() as session:
        invoice, customer = _invoice_and_customer(session, company_id, invoice_id)
        recipients = _checked_recipients(request, customer, mode)
        row = session.get(InvoiceDelivery, invoice_id, with_for_update=True)
        _refuse_while_under_way(row)
        return _record(db, session, invoice, row, request, recipients)


def default_delivery(db: Database, company_id: int, invoice_id: int) -> Requested | None:
    """The company's default channel for a newly approved invoice, recorded; None when it sends nothing by itself
    or this invoice cannot go that way (it then waits for the user's choice on its page)."""
    with db.transaction() as session:
        settings = session.get(CompanyDeliverySettings, company_id)
        channel = DeliveryChannel(settings.default_channel) if settings else DeliveryChannel.NONE
    if channel is DeliveryChannel.NONE:
        return None
    try:
        return request_delivery(db, company_id, invoice_id, DeliveryRequest(channel))
    except Conflict:
        return None


def export_mode(db: Database, company_id: int) -> str | None:
    status = connection_status(db, company_id)
    return status.mode.value if status.activated and status.state is not ConnectionState.INACTIVE else None


def _invoice_and_customer(session: Transaction, company_id: int, invoice_id: int) -> tuple[Invoice, Customer]:
    invoice = session.scalar(select(Invoice).where(Invoice.id == invoice_id, Invoice.company_id == company_id))
    if invoice is None:
        raise NotFound("Fakturan", invoice_id)
    if invoice.status == InvoiceStatus.DRAFT:
        raise Conflict("Fakturan är ett utkast. Godkänn den innan den skickas.", "invoice_not_approved")
    customer = session.get(Customer, invoice.customer_id)
    assert customer is not None, "an invoice always has its customer"
    return invoice, customer


def _checked_recipients(request: DeliveryRequest, customer: Customer, mode: str | None) -> list[str]:
    errors = ErrorCollector()
    addresses = [address.strip() for address in request.to if address.strip()]
    if len(addresses) > MAX_RECIPIENTS:
        errors.add(("to",), f"Högst {MAX_RECIPIENTS} mottagare.", "too_many_recipients")
    for index, address in enumerate(addresses):
        if not is_email_address(address):
            errors.add(("to", index), f"{address} är ingen giltig e-postadress.", "invalid_email")
    if request.message is not None and len(request.message) > MAX_MESSAGE_LENGTH:
        errors.add(("message",), f"Meddelandet får vara högst {MAX_MESSAGE_LENGTH} tecken.", "message_too_long")
    errors.raise_if_any()
    recipient = Recipient(email=customer.email, einvoice_address=customer.einvoice_address)
    problem = channel_problem(request.channel, recipients=addresses, customer=recipient, export_mode=mode)
    if problem is not None:
        code, message = problem
        raise Conflict(message, code, ("channel",))
    if request.channel is DeliveryChannel.VISMA_EINVOICE:
        return [customer.einvoice_address or ""]
    return addresses or [customer.email or ""]


def _refuse_while_under_way(row: InvoiceDelivery | None) -> None:
    if row is None or row.state == DeliveryState.FAILED:
        return
    if row.state == DeliveryState.SENT:
        raise Conflict("Fakturan är redan skickad.", "already_sent")
    raise Conflict("Fakturan håller redan på att skickas.", "delivery_in_progress")


def _record(
    db: Database,
    session: Transaction,
    invoice: Invoice,
    row: InvoiceDelivery | None,
    request: DeliveryRequest,
    recipients: list[str],
) -> Requested:
    now = db.clock()
    if row is None:
        row = InvoiceDelivery(invoice_id=invoice.id, company_id=invoice.company_id, generation=0, attempts=0)
        session.add(row)
    row.generation += 1
    row.channel = request.channel.value
    row.state = DeliveryState.PENDING
    row.recipients = json.dumps(recipients)
    row.message = request.message.strip() if request.message and request.message.strip() else None
    row.error = row.error_id = None
    row.convert_in_flight_at = row.send_in_flight_at = None
    row.requested_at = row.updated_at = now
    row.sent_at = None
    session.flush()
    return Requested(invoice.company_id, invoice.id, row.generation)
