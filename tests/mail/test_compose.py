"""The invoice e-mail as composed: what a mail program reads back from its bytes, and that those bytes are 7-bit
clean with the Swedish headers encoded (RFC 2047), so any SMTP server relays them unchanged."""

from __future__ import annotations

import email
from email.message import EmailMessage
from email.policy import default

import pytest
from tests.mail.conftest import PDF, SUBJECT, invoice_email


def read_back(message: EmailMessage) -> EmailMessage:
    parsed = email.message_from_bytes(message.as_bytes(), policy=default)
    assert isinstance(parsed, EmailMessage)
    return parsed


def test_the_subject_sender_and_recipients_survive_a_round_trip() -> None:
    parsed = read_back(invoice_email(to=["kund@example.se", "ekonomi@example.se"], reply_to="svar@elbolaget.se"))
    assert parsed["Subject"] == SUBJECT
    assert parsed["From"].addresses[0].display_name == "Elbolaget i Malmö AB"
    assert parsed["From"].addresses[0].addr_spec == "faktura@elbolaget.se"
    assert [a.addr_spec for a in parsed["To"].addresses] == ["kund@example.se", "ekonomi@example.se"]
    assert parsed["Reply-To"].addresses[0].addr_spec == "svar@elbolaget.se"
    assert parsed["Message-ID"] == "<faktura-1042.7f3a@elbolaget.se>"
    assert parsed["Date"].datetime.tzinfo is not None


def test_the_body_is_utf8_text_and_the_pdf_is_attached_byte_exact() -> None:
    parsed = read_back(invoice_email(pdf_filename="Faktura 1042 Malmö.pdf"))
    body = parsed.get_body(preferencelist=("plain",))
    assert body is not None
    assert body.get_content_charset() == "utf-8"
    assert "Här kommer faktura 1042." in body.get_content()
    [attachment] = list(parsed.iter_attachments())
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_filename() == "Faktura 1042 Malmö.pdf"
    assert attachment.get_content() == PDF


def test_the_wire_form_is_ascii_with_encoded_headers_and_crlf_line_ends() -> None:
    wire = bytes(invoice_email())
    assert wire.isascii()
    assert b"=?utf-8?" in wire.split(b"\r\n\r\n")[0]
    assert b"\n" not in wire.replace(b"\r\n", b"")


def test_a_message_id_without_brackets_gets_them() -> None:
    assert invoice_email(message_id="abc.1@elbolaget.se")["Message-ID"] == "<abc.1@elbolaget.se>"


@pytest.mark.parametrize(
    "changes",
    [
        {"subject": "Faktura 1042\r\nBcc: alla@example.se"},
        {"to": []},
        {"to": ["inte en adress"]},
        {"sender": "faktura"},
    ],
)
def test_header_injection_and_bad_addresses_are_refused(changes: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        invoice_email(**changes)
