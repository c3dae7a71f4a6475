"""The steps of sending one invoice, each safe to run again (the workflow in `workflow.py` strings them together).

Sync state is data, as in the export: before each call that books or sends something the delivery row says
that the call is in flight, in its own committed transaction, and the answer is recorded in the next one. A step
that finds its call still marked in flight (its answer was lost, or the worker died under it) looks Visma's state
up instead of calling again: a draft booked unseen is found by the export's marker, an e-invoice by the booked
invoice's ``SendType``. An e-mail leaves no trace to look up, in Visma or over SMTP, so an e-mail whose answer
was lost is never sent again by itself: the delivery stops as ``failed`` saying so, and the user decides.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from email.message import EmailMessage
from uuid import UUID

from sqlalchemy import select

from fakturabro.documents import invoice_document, invoice_pdf_filename, render_pdf
from fakturabro.domain.delivery import DeliveryChannel, DeliveryState, default_message, default_subject
from fakturabro.domain.events import EventType
from fakturabro.domain.money import format_sek
from fakturabro.invoicing.company_settings import company_details
from fakturabro.mail.smtp import MailNotSent, MailRefused, MailUncertain, SmtpServer, compose_invoice_email
from fakturabro.store.database import Database
from fakturabro.store.delivery_models import CompanyDeliverySettings, InvoiceDelivery
from fakturabro.store.events import record_invoice_event
from fakturabro.store.export_models import InvoiceExport
from fakturabro.store.models import Invoice
from fakturabro.store.repositories import Transaction
from fakturabro.sync.export.steps import INVOICE_DOCUMENT, VOUCHER_MODE
from fakturabro.visma.client import VismaClient, odata_string
from fakturabro.visma.errors import VismaError, VismaNotFound, VismaRateLimited
from fakturabro.visma.models import CustomerInvoice

EINVOICE_SEND_TYPE = 1  # AutoInvoiceElectronic


@dataclass
class DeliveryDeps:
    """What sending needs from outside: storage, Visma per company, the SMTP server for a company, the mailer."""

    db: Database
    client_for: Callable[[int], VismaClient]
    smtp_for: Callable[[int], SmtpServer | None]
    send_mail: Callable[[SmtpServer, EmailMessage], None]
    sender_address: str = "faktura@fakturabro.se"
    max_attempts: int = 8
    backoff_base_seconds: float = 2.0
    backoff_cap_seconds: float = 120.0
    export_wait_seconds: float = 5.0  # between looks at the export a Visma sending goes after
    export_wait_rounds: int = 120  # then the sweep picks the delivery up again
    in_flight_grace_seconds: float = 90.0


class Superseded(Exception):  # noqa: N818 - a state, not a failure
    """A newer request for the invoice owns the delivery now; this workflow stops without touching it."""


class DeliveryStopped(Exception):  # noqa: N818 - the Swedish reason is the point
    """Sending cannot go on as asked (``code``, Swedish ``message``); retrying the same thing cannot help."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message, code)
        self.message, self.code = message, code


class TryLater(Exception):  # noqa: N818
    """Nothing was sent and trying again later may work (a mail server down, a slow Visma still committing)."""


@dataclass(frozen=True)
class Begun:
    proceed: bool
    channel: str


# --- the delivery row ---------------------------------------------------------------------------------------


def begin(deps: DeliveryDeps, invoice_id: int, generation: int) -> Begun:
    with deps.db.transaction() as session:
        row = session.get(InvoiceDelivery, invoice_id, with_for_update=True)
        if row is None or row.generation != generation or row.state in (DeliveryState.SENT, DeliveryState.FAILED):
            return Begun(False, row.channel if row else DeliveryChannel.NONE.value)
        row.attempts += 1
        row.updated_at = deps.db.clock()
        return Begun(True, row.channel)


def _owned(session: Transaction, invoice_id: int, generation: int) -> InvoiceDelivery:
    row = session.get(InvoiceDelivery, invoice_id, with_for_update=True)
    if row is None or row.generation != generation:
        raise Superseded(invoice_id)
    return row


def note(deps: DeliveryDeps, invoice_id: int, generation: int, state: DeliveryState, message: str | None) -> None:
    """Where the delivery stands while it is not done: ``pending`` with why it waits, or ``sending``."""
    with deps.db.transaction() as session:
        row = _owned(session, invoice_id, generation)
        if row.state in (DeliveryState.SENT, DeliveryState.FAILED):
            return
        row.state, row.error, row.updated_at = state, message, deps.db.clock()


def fail(deps: DeliveryDeps, invoice_id: int, generation: int, message: str, code: str, error_id: str | None) -> None:
    with deps.db.transaction() as session:
        row = _owned(session, invoice_id, generation)
        row.state, row.error, row.error_id = DeliveryState.FAILED, message, code if error_id is None else error_id
        row.updated_at = deps.db.clock()
        invoice = session.get(Invoice, invoice_id)
        assert invoice is not None
        record_invoice_event(
            session, invoice, EventType.INVOICE_DELIVERY_FAILED, deps.db.clock(), channel=row.channel, error=message
        )


def _sent(deps: DeliveryDeps, session: Transaction, row: InvoiceDelivery) -> None:
    now = deps.db.clock()
    row.state, row.sent_at, row.updated_at = DeliveryState.SENT, now, now
    row.send_in_flight_at = None
    row.error = row.error_id = None
    invoice = session.get(Invoice, row.invoice_id)
    assert invoice is not None
    to = json.loads(row.recipients)
    record_invoice_event(session, invoice, EventType.INVOICE_SENT, now, channel=row.channel, to=to)


# --- after the export: booking the draft in Visma ------------------------------------------------------------


def export_position(deps: DeliveryDeps, invoice_id: int) -> str:
    """``ready`` when the invoice's document is in Visma as a draft or a booked invoice, ``waiting`` while its
    export is not done; a voucher cannot be sent by Visma (`DeliveryStopped`)."""
    with deps.db.transaction() as session:
        export = session.get(InvoiceExport, invoice_id)
        if export is None or export.state != "exported" or export.visma_id is None:
            return "waiting"
        if export.visma_document_type == VOUCHER_MODE:
            raise DeliveryStopped(
                "Fakturan exporterades som verifikation, och en verifikation kan Visma inte skicka. "
                "Skicka den med e-post från fakturabro.",
                "exported_as_voucher",
            )
        return "ready"


def book_in_visma(deps: DeliveryDeps, company_id: int, invoice_id: int, generation: int) -> None:
    """Convert the exported draft into a booked invoice in Visma (Visma gives it its number and OCR), once."""
    with deps.db.transaction() as session:
        row = _owned(session, invoice_id, generation)
        export = session.get(InvoiceExport, invoice_id)
        assert export is not None, "only after the export (export_position)"
        assert export.visma_id is not None, "only after the export (export_position)"
        if row.visma_invoice_id is not None:
            return
        if export.visma_document_type == INVOICE_DOCUMENT:  # booked already, in Visma by hand or by the export
            _booked(row, export, export.visma_id, export.visma_invoice_number, None)
            return
        draft_id, marker, in_flight_at = export.visma_id, export.marker, row.convert_in_flight_at
    client = deps.client_for(company_id)
    if in_flight_at is not None:  # the last convert's answer was lost: did it book the draft?
        found = _booked_unseen(client, marker)
        if found is not None:
            _record_booked(deps, invoice_id, generation, found)
            return
        _check_still_a_draft(deps, client, draft_id, in_flight_at)
    _mark(deps, invoice_id, generation, convert=True)
    booked = client.convert_customer_invoice_draft(UUID(draft_id))
    _record_booked(deps, invoice_id, generation, booked)


def _booked_unseen(client: VismaClient, marker: str | None) -> CustomerInvoice | None:
    if marker is None:
        return None
    listing = client.list_customer_invoices(odata_filter=f"ContractNumber eq {odata_string(marker)}")
    return next((invoice for invoice in listing.items if invoice.contract_number == marker), None)


def _check_still_a_draft(deps: DeliveryDeps, client: VismaClient, draft_id: str, in_flight_at: datetime) -> None:
    """Return when the draft is still there and converting it again is safe; raise when it is gone or cannot be
    told yet."""
    try:
        client.get_customer_invoice_draft(UUID(draft_id))
    except VismaNotFound:
        raise DeliveryStopped(
            "Utkastet finns inte längre i Visma, och ingen bokförd faktura gjord av det hittades. "
            "Kontrollera fakturan i Visma eEkonomi.",
            "draft_gone",
        ) from None
    if (deps.db.clock() - in_flight_at).total_seconds() < deps.in_flight_grace_seconds:
        raise TryLater("Visma may still be booking the draft")  # a slow convert could still land


def _record_booked(deps: DeliveryDeps, invoice_id: int, generation: int, booked: CustomerInvoice) -> None:
    assert booked.id is not None
    with deps.db.transaction() as session:
        row = _owned(session, invoice_id, generation)
        export = session.get(InvoiceExport, invoice_id)
        assert export is not None
        _booked(row, export, str(booked.id), booked.invoice_number, booked.payment_reference_number)
        row.updated_at = deps.db.clock()


def _booked(row: InvoiceDelivery, export: InvoiceExport, visma_id: str, number: int | None, ocr: str | None) -> None:
    """The booked invoice is the export's document from now on: payments are imported from it."""
    row.visma_invoice_id, row.visma_invoice_number, row.visma_ocr = visma_id, number, ocr or row.visma_ocr
    row.convert_in_flight_at = None
    export.visma_id, export.visma_document_type, export.visma_invoice_number = visma_id, INVOICE_DOCUMENT, number


def _mark(deps: DeliveryDeps, invoice_id: int, generation: int, *, convert: bool) -> None:
    with deps.db.transaction() as session:
        row = _owned(session, invoice_id, generation)
        now = deps.db.clock()
        if convert:
            row.convert_in_flight_at = now
        else:
            row.send_in_flight_at = now
        row.state, row.updated_at = DeliveryState.SENDING, now


def _clear_send_mark(deps: DeliveryDeps, invoice_id: int, generation: int) -> None:
    with deps.db.transaction() as session:
        _owned(session, invoice_id, generation).send_in_flight_at = None


# --- sending through Visma -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Letter:
    channel: DeliveryChannel
    to: list[str]
    subject: str
    body: str
    visma_invoice_id: str | None
    in_flight: bool
    state: str


def send_through_visma(deps: DeliveryDeps, company_id: int, invoice_id: int, generation: int) -> None:
    """Let Visma send its booked invoice by e-mail or e-invoice, once."""
    letter = _letter(deps, company_id, invoice_id, generation)
    if letter.state == DeliveryState.SENT:
        return
    assert letter.visma_invoice_id is not None, "booked first (book_in_visma)"
    client = deps.client_for(company_id)
    visma_id = UUID(letter.visma_invoice_id)
    if letter.in_flight:
        if letter.channel is DeliveryChannel.VISMA_EINVOICE and client.get_customer_invoice(visma_id).send_type:
            _record_sent(deps, invoice_id, generation)
            return
        raise _uncertain(letter.channel)
    _mark(deps, invoice_id, generation, convert=False)
    try:
        if letter.channel is DeliveryChannel.VISMA_EINVOICE:
            client.einvoice_customer_invoice(visma_id, EINVOICE_SEND_TYPE)
        else:
            to, *cc = letter.to
            client.email_customer_invoice(visma_id, to=to, cc=cc or None, subject=letter.subject, message=letter.body)
    except VismaError as error:
        if isinstance(error, VismaRateLimited) or not error.may_have_executed or not error.retriable:
            _clear_send_mark(deps, invoice_id, generation)  # Visma refused it or never got it: nothing was sent
        raise
    _record_sent(deps, invoice_id, generation)


def keep_visma_pdf(deps: DeliveryDeps, company_id: int, invoice_id: int, generation: int) -> None:
    """Keep the PDF of the invoice as Visma sent it (its number, its OCR) with our invoice."""
    with deps.db.transaction() as session:
        row = _owned(session, invoice_id, generation)
        if row.pdf is not None or row.visma_invoice_id is None:
            return
        visma_id = UUID(row.visma_invoice_id)
    pdf = deps.client_for(company_id).customer_invoice_pdf(visma_id)
    with deps.db.transaction() as session:
        _owned(session, invoice_id, generation).pdf = pdf


def _record_sent(deps: DeliveryDeps, invoice_id: int, generation: int) -> None:
    with deps.db.transaction() as session:
        _sent(deps, session, _owned(session, invoice_id, generation))


def _uncertain(channel: DeliveryChannel) -> DeliveryStopped:
    where = "i Visma eEkonomi (fakturans historik)" if channel.through_visma else "med kunden"
    return DeliveryStopped(
        "Anslutningen bröts medan fakturan skickades, så det går inte att veta om den kom fram. "
        f"Kontrollera {where} och välj Skicka igen bara om den inte kom fram.",
        "delivery_uncertain",
    )


# --- fakturabro's own e-mail ------------------------------------------------------------------------------------


def send_email(deps: DeliveryDeps, company_id: int, invoice_id: int, generation: int) -> None:
    """E-mail our own PDF of the invoice to the recipients, once."""
    letter = _letter(deps, company_id, invoice_id, generation)
    if letter.state == DeliveryState.SENT:
        return
    if letter.in_flight:
        raise _uncertain(letter.channel)
    server = deps.smtp_for(company_id)
    if server is None:
        raise DeliveryStopped(
            "Ingen e-postserver är inställd för utskick (FAKTURABRO_SMTP_URL). Kontakta den som driver fakturabro.",
            "no_smtp_server",
        )
    message = _email(deps, company_id, invoice_id, generation, letter)
    _mark(deps, invoice_id, generation, convert=False)
    try:
        deps.send_mail(server, message)
    except MailUncertain as error:
        raise _uncertain(letter.channel) from error
    except MailNotSent as error:
        _clear_send_mark(deps, invoice_id, generation)  # never handed over: nothing was sent
        raise TryLater(error.message) from error
    except MailRefused as error:
        _clear_send_mark(deps, invoice_id, generation)  # refused: nothing was or will be delivered
        raise DeliveryStopped(error.message, f"smtp_{error.code or 'refused'}") from error
    with deps.db.transaction() as session:
        row = _owned(session, invoice_id, generation)
        row.message_id = message["Message-ID"]
        _sent(deps, session, row)


def _email(deps: DeliveryDeps, company_id: int, invoice_id: int, generation: int, letter: _Letter) -> EmailMessage:
    document = invoice_document(deps.db, company_id, invoice_id)
    with deps.db.transaction() as session:
        details = company_details(session, company_id)
        settings = session.get(CompanyDeliverySettings, company_id)
    return compose_invoice_email(
        sender=deps.sender_address,
        sender_name=(settings.sender_name if settings else None) or details.name,
        to=letter.to,
        subject=letter.subject,
        body=letter.body,
        pdf=render_pdf(document),
        pdf_filename=invoice_pdf_filename(document.number),
        message_id=f"<faktura-{invoice_id}-{generation}@fakturabro>",
        reply_to=details.email,
    )


def _letter(deps: DeliveryDeps, company_id: int, invoice_id: int, generation: int) -> _Letter:
    with deps.db.transaction() as session:
        row = _owned(session, invoice_id, generation)
        invoice = session.scalar(select(Invoice).where(Invoice.id == invoice_id, Invoice.company_id == company_id))
        assert invoice is not None
        details = company_details(session, company_id)
        settings = session.get(CompanyDeliverySettings, company_id)
        number = row.visma_invoice_number or invoice.number
        subject = (settings.subject_template if settings else None) or default_subject(number, details.name)
        body = row.message or (settings.message_template if settings else None)
        if body is None:
            body = default_message(
                number, details.name, format_sek(invoice.to_pay or Decimal(0)), invoice.due_date.isoformat()
            )
        return _Letter(
            channel=DeliveryChannel(row.channel),
            to=json.loads(row.recipients),
            subject=subject.replace("####", str(number)),
            body=body,
            visma_invoice_id=row.visma_invoice_id,
            in_flight=row.send_in_flight_at is not None,
            state=row.state,
        )
