"""The payments register: manual payments and payments imported from Visma, each registered once."""

from __future__ import annotations

from fakturabro.domain.errors import Conflict, ErrorCollector, ValidationFailed
from fakturabro.domain.events import EventType
from fakturabro.domain.invoice import MAX_UNIT_PRICE, InvoiceStatus
from fakturabro.domain.ocr import OcrMode, is_valid_ocr
from fakturabro.invoicing.inputs import PaymentByOcrInput, PaymentInput
from fakturabro.invoicing.invoices import load_invoice
from fakturabro.invoicing.settlement import settle
from fakturabro.invoicing.views import InvoiceView, PaymentView
from fakturabro.invoicing.views_builder import invoice_view, payment_view, swedish_today
from fakturabro.store import models
from fakturabro.store.database import Database
from fakturabro.store.events import payment_event_data, record_invoice_event
from fakturabro.store.repositories import InvoiceRepository, PaymentRepository

MAX_PAYMENT = MAX_UNIT_PRICE * 1000


def register_payment(db: Database, company_id: int, invoice_id: int, data: PaymentInput) -> InvoiceView:
    """Register a payment; a second payment with the same ``external_id`` is a 409 (imports run twice)."""
    _check(data)
    with db.transaction() as session:
        invoice = load_invoice(session, company_id, invoice_id, for_update=True)
        if invoice.status == InvoiceStatus.DRAFT.value:
            raise Conflict("Ett utkast kan inte betalas; godkänn fakturan först.", "payment_on_draft", ("status",))
        if invoice.credits_invoice_id is not None:
            raise Conflict("En kreditfaktura tar inte emot betalningar.", "payment_on_credit", ("status",))
        payments = PaymentRepository(session, company_id)
        if data.external_id is not None:
            _ensure_new(payments, data.external_id)
        payment = models.Payment(
            company_id=company_id,
            invoice_id=invoice.id,
            amount=data.amount,
            payment_date=data.payment_date or db.clock().date(),
            source=data.source,
            external_id=data.external_id,
            created_at=db.clock(),
        )
        payments.add(payment)
        record_invoice_event(
            session, invoice, EventType.INVOICE_PAYMENT_REGISTERED, db.clock(), payment=payment_event_data(payment)
        )
        settle(session, invoice, db.clock())
        payments.flush()
        return invoice_view(session, invoice, db.cipher, today=swedish_today(db.clock()))


def register_payment_by_ocr(db: Database, company_id: int, data: PaymentByOcrInput) -> InvoiceView:
    """Register a payment on the invoice whose OCR reference the payer gave (spaces as people type them)."""
    reference = data.ocr.replace(" ", "")
    with db.transaction() as session:
        invoice_id = InvoiceRepository(session, company_id).id_by_ocr(reference) if reference.isdigit() else None
    if invoice_id is None:
        raise ValidationFailed.single(("ocr",), _unknown_ocr(reference), "unknown_ocr")
    return register_payment(db, company_id, invoice_id, PaymentInput.model_validate(data.model_dump(exclude={"ocr"})))


def _unknown_ocr(reference: str) -> str:
    if not is_valid_ocr(reference, OcrMode.LUHN):  # the check digit, whichever mode made the reference
        return "OCR-numret är felskrivet: det ska bara ha siffror och kontrollsiffran stämmer inte."
    return f"Ingen godkänd faktura har OCR-nummer {reference}."


def list_payments(db: Database, company_id: int, invoice_id: int) -> list[PaymentView]:
    with db.transaction() as session:
        load_invoice(session, company_id, invoice_id)
        payments = PaymentRepository(session, company_id).for_invoice(invoice_id)
        return [payment_view(payment) for payment in payments]


def _check(data: PaymentInput) -> None:
    errors = ErrorCollector()
    if data.amount <= 0:
        errors.add(("amount",), "Beloppet måste vara större än noll.", "out_of_range")
    elif data.amount > MAX_PAYMENT:
        errors.add(("amount",), "Beloppet är orimligt stort.", "out_of_range")
    elif data.amount != round(data.amount, 2):
        errors.add(("amount",), "Beloppet får ha högst två decimaler.", "too_precise")
    errors.raise_if_any()


def _ensure_new(payments: PaymentRepository, external_id: str) -> None:
    if payments.external_id_taken(external_id):
        raise Conflict("Betalningen är redan registrerad.", "duplicate_payment", ("external_id",))
