"""The tables of sending an invoice: per-invoice delivery state and each company's delivery settings.

Sync state is data, as for the export: the delivery row says where the sending stands (``state``), which workflow
generation owns it, and — before each call that sends something — that the call is in flight, so a lost answer
is settled by looking Visma's (or our own) state up instead of sending again.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, ForeignKey, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, Session, mapped_column

from fakturabro.store.models import EMAIL_LENGTH, NAME_LENGTH, SHORT_LENGTH, Base

UUID_LENGTH = 36


class InvoiceDelivery(Base):
    """How one invoice is sent and where that stands: ``pending`` (waiting for its export), ``sending``, ``sent``,
    ``failed`` (``error`` says why in Swedish; "Skicka igen" starts a new generation)."""

    __tablename__ = "invoice_deliveries"

    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id"), primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), index=True)
    channel: Mapped[str] = mapped_column(String(20))
    state: Mapped[str] = mapped_column(String(20), index=True)
    recipients: Mapped[str] = mapped_column(Text)  # JSON list of addresses
    message: Mapped[str | None] = mapped_column(Text)
    generation: Mapped[int] = mapped_column(Integer, default=1)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    visma_invoice_id: Mapped[str | None] = mapped_column(String(UUID_LENGTH))
    visma_invoice_number: Mapped[int | None] = mapped_column(Integer)
    visma_ocr: Mapped[str | None] = mapped_column(String(SHORT_LENGTH))
    convert_in_flight_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    send_in_flight_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    message_id: Mapped[str | None] = mapped_column(String(NAME_LENGTH))  # the e-mail's Message-ID
    pdf: Mapped[bytes | None] = mapped_column(LargeBinary)
    error: Mapped[str | None] = mapped_column(Text)
    error_id: Mapped[str | None] = mapped_column(String(SHORT_LENGTH))
    requested_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class CompanyDeliverySettings(Base):
    """A company's default channel and, for ``email``, its own SMTP server and sender (else the deployment's
    ``FAKTURABRO_SMTP_URL``). The password is stored only Fernet-encrypted, like the Visma tokens."""

    __tablename__ = "company_delivery_settings"

    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), primary_key=True)
    default_channel: Mapped[str] = mapped_column(String(20), default="none")
    smtp_host: Mapped[str | None] = mapped_column(String(NAME_LENGTH))
    smtp_port: Mapped[int | None] = mapped_column(Integer)
    smtp_security: Mapped[str | None] = mapped_column(String(20))  # "plain" | "ssl" | "starttls"
    smtp_username: Mapped[str | None] = mapped_column(String(NAME_LENGTH))
    smtp_password_encrypted: Mapped[str | None] = mapped_column(Text)
    sender_address: Mapped[str | None] = mapped_column(String(EMAIL_LENGTH))
    sender_name: Mapped[str | None] = mapped_column(String(NAME_LENGTH))
    subject_template: Mapped[str | None] = mapped_column(Text)
    message_template: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


def delivery_json(session: Session, invoice_id: int) -> dict[str, Any] | None:
    """The ``delivery`` part of an invoice's JSON; None while nobody asked to send it."""
    row = session.get(InvoiceDelivery, invoice_id)
    if row is None:
        return None
    return {
        "state": row.state,
        "channel": row.channel,
        "to": json.loads(row.recipients),
        "sent_at": row.sent_at.isoformat() if row.sent_at else None,
        "error": row.error,
        "error_id": row.error_id,
        "attempts": row.attempts,
        "visma_invoice_number": row.visma_invoice_number,
        "visma_ocr": row.visma_ocr,
        "has_pdf": row.pdf is not None,
    }
