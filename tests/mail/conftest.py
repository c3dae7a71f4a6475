"""Fixtures for the mail tests: an invoice e-mail, the sink, SMTP servers that misbehave on cue, and a self-signed
certificate so the TLS paths run against a real handshake."""

from __future__ import annotations

import ipaddress
import ssl
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.smtp import AuthResult
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from fakturabro.mail.sink import FreePortController, MailSink
from fakturabro.mail.smtp import compose_invoice_email

SUBJECT = "Faktura 1042 från Elbolaget i Malmö AB – förfaller 2026-12-31"
PDF = b"%PDF-1.7\n" + bytes(range(256)) * 40 + b"\n.\r\n..leading dots\r\n%%EOF\n"
USER = "anna@elbolaget.se"
PASSWORD = "hemligt-lösen-42"  # a test password, checked never to leak
ASCII_PASSWORD = "hemligt-losen-42"


def invoice_email(**changes: Any) -> EmailMessage:
    fields: dict[str, Any] = {
        "sender": "faktura@elbolaget.se",
        "sender_name": "Elbolaget i Malmö AB",
        "to": ["kund@example.se"],
        "subject": SUBJECT,
        "body": "Hej Åsa!\n\nHär kommer faktura 1042.\n.\nVänliga hälsningar\nElbolaget i Malmö AB\n",
        "pdf": PDF,
        "pdf_filename": "Faktura 1042.pdf",
        "message_id": "<faktura-1042.7f3a@elbolaget.se>",
    }
    fields.update(changes)
    return compose_invoice_email(**fields)


@pytest.fixture
def sink(tmp_path: Path) -> Iterator[MailSink]:
    with MailSink(tmp_path / "mail", refused_domains=["refused.example"]) as running:
        yield running


@contextmanager
def smtp_server(handler: object, **smtp_options: Any) -> Iterator[FreePortController]:
    """An aiosmtpd server on a free loopback port with ``handler``'s hooks."""
    controller = FreePortController(handler, hostname="127.0.0.1", port=0, server_hostname="test-smtp", **smtp_options)
    controller.start()
    try:
        yield controller
    finally:
        controller.stop()


def accept_only(user: str, password: str) -> Callable[..., AuthResult]:
    def authenticate(server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> AuthResult:
        ok = auth_data.login == user.encode() and auth_data.password == password.encode()
        return AuthResult(success=ok, handled=False)

    return authenticate


@dataclass(frozen=True)
class Certificate:
    server: ssl.SSLContext
    client: ssl.SSLContext


@pytest.fixture(scope="session")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> Certificate:
    """A self-signed certificate for 127.0.0.1: the server's context, and a client context that trusts it."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    directory = tmp_path_factory.mktemp("tls")
    cert_file, key_file = directory / "cert.pem", directory / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server.load_cert_chain(cert_file, key_file)
    return Certificate(server=server, client=ssl.create_default_context(cafile=str(cert_file)))
