"""Sending an invoice to its customer: the channels, the states of a sending, and which channel can carry which
invoice — business rules, no I/O.

"Visma skickar" (``visma_email``, ``visma_einvoice``) books fakturabro's draft in Visma and lets Visma send its own
invoice, so it needs the export in fakturautkast mode; "fakturabro skickar" (``email``) mails fakturabro's PDF and
works in every mode, verifikationer included, where fakturabro's invoice is the only one there is.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from email_validator import EmailNotValidError, validate_email


class DeliveryChannel(StrEnum):
    VISMA_EMAIL = "visma_email"
    VISMA_EINVOICE = "visma_einvoice"
    EMAIL = "email"
    NONE = "none"  # the company's default only: nothing is sent automatically

    @property
    def through_visma(self) -> bool:
        return self in (DeliveryChannel.VISMA_EMAIL, DeliveryChannel.VISMA_EINVOICE)

    @property
    def by_email(self) -> bool:
        return self in (DeliveryChannel.VISMA_EMAIL, DeliveryChannel.EMAIL)


class DeliveryState(StrEnum):
    PENDING = "pending"  # waiting for its turn, or for the export it goes after
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"  # ``error`` says why in Swedish; "Skicka igen" starts a new generation


CHANNEL_LABELS = {
    DeliveryChannel.EMAIL: "E-post från fakturabro",
    DeliveryChannel.VISMA_EMAIL: "E-post via Visma",
    DeliveryChannel.VISMA_EINVOICE: "E-faktura via Visma",
    DeliveryChannel.NONE: "Skickas inte automatiskt",
}
MAX_RECIPIENTS = 10
DRAFT_MODE = "draft"  # the export mode whose documents Visma can book and send (sync.connection.ExportMode)


@dataclass(frozen=True)
class Recipient:
    """Who the customer is to the channels: its e-mail address and e-invoice address, as fakturabro has them."""

    email: str | None
    einvoice_address: str | None


def channel_problem(
    channel: DeliveryChannel, *, recipients: list[str], customer: Recipient, export_mode: str | None
) -> tuple[str, str] | None:
    """Why ``channel`` cannot carry this invoice (``(code, Swedish message)``), or None when it can.

    ``recipients`` are the addresses asked for (empty: the customer's own); ``export_mode`` is the company's
    export mode, None when it is not connected to Visma.
    """
    return company_channel_problem(channel, export_mode) or _customer_problem(channel, recipients, customer)


def company_channel_problem(channel: DeliveryChannel, export_mode: str | None) -> tuple[str, str] | None:
    """Why the company cannot send by ``channel`` at all (whatever the customer), or None."""
    if channel is DeliveryChannel.NONE:
        return "channel_none", "Välj hur fakturan ska skickas: med e-post från fakturabro eller via Visma."
    if channel.through_visma and export_mode is None:
        return "not_connected", "Företaget är inte kopplat till Visma eEkonomi. Skicka med e-post från fakturabro."
    if channel.through_visma and export_mode != DRAFT_MODE:
        return "voucher_mode", (
            "Visma kan bara skicka fakturor som exporteras som fakturautkast; företaget exporterar verifikationer. "
            "Skicka med e-post från fakturabro, eller byt exportläge under Inställningar → Visma eEkonomi."
        )
    return None


def _customer_problem(channel: DeliveryChannel, recipients: list[str], customer: Recipient) -> tuple[str, str] | None:
    if channel.by_email and not recipients and not customer.email:
        return "no_email", "Kunden har ingen e-postadress. Fyll i den på kunden, eller ange en mottagare."
    if channel is DeliveryChannel.VISMA_EINVOICE and not customer.einvoice_address:
        return "no_einvoice_address", (
            "Kunden har ingen e-fakturaadress (GLN eller Peppol-id). Fyll i den på kunden, eller skicka med e-post."
        )
    return None


def is_email_address(address: str) -> bool:
    """Whether ``address`` is one e-mail address by its syntax (whether the mailbox exists, only sending tells)."""
    try:
        validate_email(address, check_deliverability=False)
    except EmailNotValidError:
        return False
    return True


def default_subject(number: int | None, company_name: str) -> str:
    return f"Faktura {number} från {company_name}"


def default_message(number: int | None, company_name: str, to_pay: str, due: str) -> str:
    return (
        "Hej!\n\n"
        f"Här kommer faktura {number} från {company_name}. Att betala: {to_pay}, senast {due}.\n"
        "Fakturan finns som PDF i bilagan.\n\n"
        f"Vänliga hälsningar\n{company_name}"
    )
