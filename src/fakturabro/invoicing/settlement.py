"""What has been paid and credited against an invoice, and the status that follows."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from fakturabro.domain.invoice import InvoiceStatus, status_after_settlement
from fakturabro.domain.money import ZERO
from fakturabro.store import models


def paid_amount(session: Session, invoice_id: int) -> Decimal:
    amounts = session.scalars(select(models.Payment.amount).where(models.Payment.invoice_id == invoice_id))
    return sum(amounts, ZERO)


def credited_amount(session: Session, invoice_id: int) -> Decimal:
    """What approved credit invoices take off this invoice (their amount to pay is negative)."""
    amounts = session.scalars(
        select(models.Invoice.to_pay).where(
            models.Invoice.credits_invoice_id == invoice_id,
            models.Invoice.status != InvoiceStatus.DRAFT.value,
        )
    )
    return -sum((amount for amount in amounts if amount is not None), ZERO)


def settle(session: Session, invoice: models.Invoice) -> None:
    """Recompute an approved invoice's status from its payments and credits."""
    if invoice.status == InvoiceStatus.DRAFT.value or invoice.to_pay is None or invoice.credits_invoice_id:
        return
    session.flush()
    invoice.status = status_after_settlement(
        invoice.to_pay, paid_amount(session, invoice.id), credited_amount(session, invoice.id)
    ).value
