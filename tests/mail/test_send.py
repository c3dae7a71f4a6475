"""Sending for real, to the sink and to SMTP servers that refuse, stall or hang up on cue: each failure lands in
the class that tells the caller whether retrying is safe (MailNotSent), pointless (MailRefused) or could send the
invoice twice (MailUncertain)."""

from __future__ import annotations

import asyncio
import pickle
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from email.message import EmailMessage
from typing import Any

import pytest
from tests.mail.conftest import (
    ASCII_PASSWORD,
    PASSWORD,
    PDF,
    SUBJECT,
    USER,
    Certificate,
    accept_only,
    invoice_email,
    smtp_server,
)

from fakturabro.mail.sink import MailSink, received_mail
from fakturabro.mail.smtp import (
    MailError,
    MailNotSent,
    MailRefused,
    MailUncertain,
    SmtpServer,
    parse_smtp_url,
    send,
)


def plain(port: int) -> SmtpServer:
    return SmtpServer("127.0.0.1", port, "plain")


class Scripted:
    """aiosmtpd hooks answering RCPT and DATA as told; ``on_data`` may also hang up or stall."""

    def __init__(self, rcpt: str = "250 OK", data: str = "250 OK", on_data: str = "") -> None:
        self.rcpt, self.data, self.on_data = rcpt, data, on_data
        self.delivered = 0

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        envelope.rcpt_tos.append(address)
        return self.rcpt

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.on_data == "hang up":
            server.transport.close()
        elif self.on_data == "stall":
            await asyncio.sleep(2)
        self.delivered += 1
        return self.data


def test_an_invoice_reaches_the_sink_with_subject_recipients_and_the_pdf_byte_exact(sink: MailSink) -> None:
    send(parse_smtp_url(sink.url), invoice_email(to=["kund@example.se", "Ekonomi@Example.se"]))
    [mail] = received_mail(sink.directory)
    assert mail.sender == "faktura@elbolaget.se"
    assert mail.recipients == ("kund@example.se", "Ekonomi@Example.se")
    assert mail.subject == SUBJECT
    assert mail.message_id == "<faktura-1042.7f3a@elbolaget.se>"
    assert "Här kommer faktura 1042.\n.\nVänliga hälsningar" in mail.body
    assert [tuple(a) for a in mail.attachments] == [("Faktura 1042.pdf", "application/pdf", len(PDF))]
    assert mail.attachment("Faktura 1042.pdf") == PDF


def test_bcc_recipients_get_the_mail_without_the_header(sink: MailSink) -> None:
    message = invoice_email()
    message["Bcc"] = "arkiv@elbolaget.se"
    send(parse_smtp_url(sink.url), message)
    [mail] = sink.received()
    assert mail.recipients == ("kund@example.se", "arkiv@elbolaget.se")
    assert "Bcc" not in mail.message


def test_a_refused_recipient_is_named_and_nothing_is_delivered_to_the_others(sink: MailSink) -> None:
    with pytest.raises(MailRefused) as refused:
        send(parse_smtp_url(sink.url), invoice_email(to=["kund@example.se", "fel@refused.example"]))
    assert refused.value.code == 550
    assert "fel@refused.example" in refused.value.message
    assert "kund@example.se" not in refused.value.message
    assert sink.received() == []


def test_a_closed_port_is_not_sent() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(MailNotSent) as not_sent:
        send(plain(port), invoice_email(), timeout=5)
    assert not_sent.value.code is None
    assert "anslutningen nekades" in not_sent.value.message


def test_a_temporary_recipient_refusal_is_not_sent() -> None:
    handler = Scripted(rcpt="450 4.2.0 Greylisted, try again later")
    with smtp_server(handler) as server, pytest.raises(MailNotSent) as not_sent:
        send(plain(server.port), invoice_email())
    assert not_sent.value.code == 450
    assert "kund@example.se" in not_sent.value.message
    assert handler.delivered == 0


@pytest.mark.parametrize(
    ("reply", "kind"), [("554 5.6.0 Content rejected", MailRefused), ("451 4.3.0 Busy", MailNotSent)]
)
def test_a_refusal_after_the_content_is_final_or_temporary_by_its_code(reply: str, kind: type[MailError]) -> None:
    with smtp_server(Scripted(data=reply)) as server, pytest.raises(kind) as raised:
        send(plain(server.port), invoice_email())
    assert raised.value.code == int(reply[:3])
    assert reply[4:] in raised.value.message


def test_a_hang_up_after_the_content_went_out_is_uncertain() -> None:
    handler = Scripted(on_data="hang up")
    with smtp_server(handler) as server, pytest.raises(MailUncertain) as uncertain:
        send(plain(server.port), invoice_email())
    assert handler.delivered == 1
    assert "kan ha kommit fram" in uncertain.value.message


def test_no_answer_after_the_content_went_out_is_uncertain() -> None:
    with smtp_server(Scripted(on_data="stall")) as server, pytest.raises(MailUncertain):
        send(plain(server.port), invoice_email(), timeout=0.5)


@contextmanager
def raw_server(script: list[bytes]) -> Iterator[int]:
    """A one-connection TCP server: it sends the first line, then one line per line it receives, then hangs up."""
    listener = socket.create_server(("127.0.0.1", 0))

    def serve() -> None:
        connection, _ = listener.accept()
        with connection, connection.makefile("rb") as lines:
            for line in script:
                connection.sendall(line)
                if not lines.readline():
                    return

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1]
    finally:
        thread.join(5)
        listener.close()


@pytest.mark.parametrize(
    ("script", "kind", "code"),
    [
        ([b"554 No SMTP service here\r\n"], MailRefused, 554),
        ([b"421 Too busy\r\n"], MailNotSent, 421),
        ([b"220 hi\r\n", b"250 hi\r\n"], MailNotSent, None),  # hangs up after EHLO
        ([b"220 hi\r\n", b"250 hi\r\n", b"250 ok\r\n", b"250 ok\r\n"], MailNotSent, None),  # ... after RCPT
        ([b"220 hi\r\n", b"250 hi\r\n", b"421 Shutting down\r\n"], MailNotSent, 421),
        ([b"220 hi\r\n", b"250 hi\r\n", b"553 Sender not allowed\r\n"], MailRefused, 553),
        ([b"220 hi\r\n", b"250 hi\r\n", b"250 ok\r\n", b"250 ok\r\n", b"354 go\r\n"], MailUncertain, None),
    ],
)
def test_each_phase_fails_into_its_class(script: list[bytes], kind: type[MailError], code: int | None) -> None:
    with raw_server(script) as port, pytest.raises(kind) as raised:
        send(plain(port), invoice_email(), timeout=5)
    assert raised.value.code == code


def test_a_domain_with_aao_is_sent_in_idna_form(sink: MailSink) -> None:
    send(parse_smtp_url(sink.url), invoice_email(to=["kund@snickare-åäö.se"]))
    [mail] = sink.received()
    assert mail.recipients == ("kund@xn--snickare--32ak9r.se",)
    assert mail.message["To"].addresses[0].domain == "xn--snickare--32ak9r.se"
    assert "snickare-åäö.se".encode("idna") == b"xn--snickare--32ak9r.se"


def message_to(address: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = "faktura@elbolaget.se"
    message["To"] = address
    message["Subject"] = SUBJECT
    message.set_content("Hej!")
    return message


def test_a_message_to_an_address_outside_ascii_needs_smtputf8(sink: MailSink) -> None:
    send(parse_smtp_url(sink.url), message_to("åsa@exempel.se"))
    assert sink.received()[0].recipients == ("åsa@exempel.se",)
    with smtp_server(Scripted(), enable_SMTPUTF8=False) as server, pytest.raises(MailRefused, match="SMTPUTF8"):
        send(plain(server.port), message_to("åsa@exempel.se"))


def test_a_message_without_sender_or_recipient_is_a_programming_error() -> None:
    message = message_to("kund@example.se")
    del message["To"]
    with pytest.raises(ValueError):
        send(plain(25), message)


def test_smtps_logs_in_and_delivers(certificate: Certificate) -> None:
    handler = Scripted()
    options = {"authenticator": accept_only(USER, ASCII_PASSWORD), "auth_require_tls": False}
    with smtp_server(handler, ssl_context=certificate.server, **options) as server:
        send(
            SmtpServer("127.0.0.1", server.port, "ssl", USER, ASCII_PASSWORD),
            invoice_email(),
            context=certificate.client,
        )
    assert handler.delivered == 1


def test_starttls_logs_in_and_delivers(certificate: Certificate) -> None:
    handler = Scripted()
    options = {"authenticator": accept_only(USER, ASCII_PASSWORD), "tls_context": certificate.server}
    with smtp_server(handler, require_starttls=True, **options) as server:
        starttls = SmtpServer("127.0.0.1", server.port, "starttls", USER, ASCII_PASSWORD)
        send(starttls, invoice_email(), context=certificate.client)
    assert handler.delivered == 1


def test_a_wrong_password_is_refused_without_showing_it(certificate: Certificate) -> None:
    options = {"authenticator": accept_only(USER, "the-right-one"), "tls_context": certificate.server}
    with smtp_server(Scripted(), **options) as server, pytest.raises(MailRefused) as refused:
        send(
            SmtpServer("127.0.0.1", server.port, "starttls", USER, ASCII_PASSWORD),
            invoice_email(),
            context=certificate.client,
        )
    assert refused.value.code == 535
    assert refused.value.__cause__ is None
    assert refused.value.__context__ is None
    for shown in (str(refused.value), repr(refused.value), repr(pickle.loads(pickle.dumps(refused.value)))):
        assert ASCII_PASSWORD not in shown


def test_a_password_smtplib_cannot_encode_is_refused_without_showing_it(certificate: Certificate) -> None:
    options = {"authenticator": accept_only(USER, PASSWORD), "tls_context": certificate.server}
    with smtp_server(Scripted(), **options) as server, pytest.raises(MailRefused) as refused:
        send(
            SmtpServer("127.0.0.1", server.port, "starttls", USER, PASSWORD),
            invoice_email(),
            context=certificate.client,
        )
    assert PASSWORD not in str(refused.value)
    assert refused.value.__cause__ is None
    assert refused.value.__context__ is None


def test_a_server_without_starttls_is_refused_not_used_in_clear(sink: MailSink) -> None:
    with pytest.raises(MailRefused, match="STARTTLS"):
        send(SmtpServer(sink.host, sink.port, "starttls", USER, ASCII_PASSWORD), invoice_email())
    assert sink.received() == []


def test_a_login_on_a_server_without_auth_is_refused(sink: MailSink) -> None:
    with pytest.raises(MailRefused, match="AUTH"):
        send(SmtpServer(sink.host, sink.port, "plain", USER, ASCII_PASSWORD), invoice_email())


def test_an_untrusted_certificate_is_not_sent(certificate: Certificate) -> None:
    with smtp_server(Scripted(), ssl_context=certificate.server) as server, pytest.raises(MailNotSent) as not_sent:
        send(SmtpServer("127.0.0.1", server.port, "ssl"), invoice_email())
    assert "certifikat" in not_sent.value.message


@pytest.mark.parametrize(
    "error",
    [
        MailRefused("Adressen fel@refused.example tas inte emot.", 550),
        MailNotSent("Försök igen.", 421),
        MailUncertain("Kanske."),
    ],
)
def test_errors_pickle_with_message_and_code(error: MailError) -> None:
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is type(error)
    assert (copy.message, copy.code, str(copy), copy.args) == (error.message, error.code, str(error), error.args)
