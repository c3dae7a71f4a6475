"""What has been paid and credited against an invoice, and the status that follows."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from fakturabro.domain.events import EventType
from fakturabro.domain.invoice import InvoiceStatus, status_after_settlement
from fakturabro.domain.money import ZERO
from fakturabro.store import models
from fakturabro.store.events import record_invoice_event
from fakturabro.store.repositories import InvoiceRepository, Transaction


def paid_amount(invoices: InvoiceRepository, invoice_id: int) -> Decimal:
    return sum(invoices.paid_amounts(invoice_id), ZERO)


def credited_amount(invoices: InvoiceRepository, invoice_id: int) -> Decimal:
    """What approved credit invoices take off this invoice (their amount to pay is negative)."""
    credits = invoices.credits_for([invoice_id])
    return -sum((c.to_pay for c in credits if c.status != InvoiceStatus.DRAFT.value and c.to_pay is not None), ZERO)


SETTLED_EVENTS = {
    InvoiceStatus.PAID.value: EventType.INVOICE_PAID,
    InvoiceStatus.CREDITED.value: EventType.INVOICE_CREDITED,
}


def settle(session: Transaction, invoice: models.Invoice, now: datetime | None = None) -> None:
    """Recompute an approved invoice's status from its payments and credits; becoming paid or credited is an
    event, recorded in the same transaction."""
    if invoice.status == InvoiceStatus.DRAFT.value or invoice.to_pay is None or invoice.credits_invoice_id:
        return
    invoices = InvoiceRepository(session, invoice.company_id)
    invoices.flush()
    before = invoice.status
    invoice.status = status_after_settlement(
        invoice.to_pay, paid_amount(invoices, invoice.id), credited_amount(invoices, invoice.id)
    ).value
    if invoice.status != before and invoice.status in SETTLED_EVENTS:
        record_invoice_event(session, invoice, SETTLED_EVENTS[invoice.status], now)
