"""A company's way of sending: the default channel that sends each approved invoice by itself, and the texts of
the e-mail; plus the PDF Visma sent, kept with the invoice."""

from __future__ import annotations

from pydantic import BaseModel, Field

from fakturabro.documents import invoice_pdf_filename
from fakturabro.domain.delivery import DeliveryChannel, company_channel_problem
from fakturabro.domain.errors import ErrorCollector
from fakturabro.invoicing.inputs import OptionalName, _Input
from fakturabro.store.database import Database
from fakturabro.store.delivery_models import CompanyDeliverySettings, InvoiceDelivery
from fakturabro.sync.delivery.requests import MAX_MESSAGE_LENGTH, export_mode

MAX_SUBJECT_LENGTH = 200


class DeliverySettingsInput(_Input):
    default_channel: DeliveryChannel = Field(description="none: sent only when asked")
    sender_name: OptionalName = Field(None, description="The e-mail's sender name; empty: the company's name")
    subject: str | None = Field(None, max_length=MAX_SUBJECT_LENGTH, description="#### is the invoice number")
    message: str | None = Field(None, max_length=MAX_MESSAGE_LENGTH)


class DeliverySettingsView(BaseModel):
    default_channel: DeliveryChannel
    sender_name: str | None
    subject: str | None
    message: str | None


def get_delivery_settings(db: Database, company_id: int) -> DeliverySettingsView:
    with db.transaction() as session:
        return _view(session.get(CompanyDeliverySettings, company_id))


def update_delivery_settings(db: Database, company_id: int, data: DeliverySettingsInput) -> DeliverySettingsView:
    errors = ErrorCollector()
    if data.default_channel.through_visma:
        # The customer's own addresses are checked per invoice, when it is approved.
        problem = company_channel_problem(data.default_channel, export_mode(db, company_id))
        if problem is not None:
            errors.add(("default_channel",), problem[1], problem[0])
    errors.raise_if_any()
    with db.transaction() as session:
        row = session.get(CompanyDeliverySettings, company_id, with_for_update=True)
        if row is None:
            row = CompanyDeliverySettings(company_id=company_id)
            session.add(row)
        row.default_channel = data.default_channel.value
        row.sender_name = _text(data.sender_name)
        row.subject_template = _text(data.subject)
        row.message_template = _text(data.message)
        row.updated_at = db.clock()
        session.flush()
        return _view(row)


def sent_pdf(db: Database, company_id: int, invoice_id: int) -> tuple[bytes, str] | None:
    """The PDF Visma sent, with its file name (Visma's number), or None."""
    with db.transaction() as session:
        row = session.get(InvoiceDelivery, invoice_id)
        if row is None or row.company_id != company_id or row.pdf is None:
            return None
        return row.pdf, invoice_pdf_filename(row.visma_invoice_number)


def _view(row: CompanyDeliverySettings | None) -> DeliverySettingsView:
    if row is None:
        return DeliverySettingsView(default_channel=DeliveryChannel.NONE, sender_name=None, subject=None, message=None)
    return DeliverySettingsView(
        default_channel=DeliveryChannel(row.default_channel),
        sender_name=row.sender_name,
        subject=row.subject_template,
        message=row.message_template,
    )


def _text(value: str | None) -> str | None:
    return value.strip() or None if value else None
