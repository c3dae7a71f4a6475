"""Sending fakturabro's own e-mail (the invoice PDF to the customer) through an SMTP server.

A caller that retries (a DBOS step) has to know what a failure means, so every failure is one of three:
``MailRefused`` (the server said no for good: nothing was delivered, and trying again changes nothing),
``MailNotSent`` (nothing was delivered, and trying again later is safe) and ``MailUncertain`` (the connection broke
after the message itself began to go out, so the customer may have it: never resend without asking the user).
smtplib's ``sendmail`` does not tell in which phase it failed, so ``send`` walks EHLO, MAIL, RCPT and DATA itself.
A recipient list that is refused in part is refused whole (the transaction is dropped before DATA), so a message
reaches all its recipients or none of them.

The password never appears in a ``repr``, an error message or a chained exception.
"""

from __future__ import annotations

import copy
import re
import smtplib
import socket
import ssl
from dataclasses import dataclass
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP, SMTPUTF8
from email.utils import getaddresses
from typing import Literal
from urllib.parse import SplitResult, unquote, urlsplit

Security = Literal["plain", "ssl", "starttls"]
_SCHEMES: dict[str, tuple[Security, int]] = {
    "smtp": ("plain", 25),
    "smtps": ("ssl", 465),
    "smtp+starttls": ("starttls", 587),
}
_MAX_REPLY_CHARS = 200
_RETRY_IS_SAFE = "Inget skickades, och det går bra att försöka igen."


@dataclass(frozen=True)
class SmtpServer:
    """Where and how to hand over mail; ``password`` is kept out of ``repr``."""

    host: str
    port: int
    security: Security
    username: str | None = None
    password: str | None = None

    def __repr__(self) -> str:
        password = None if self.password is None else "***"
        return (
            f"SmtpServer(host={self.host!r}, port={self.port!r}, security={self.security!r}, "
            f"username={self.username!r}, password={password!r})"
        )


class MailError(Exception):
    """Base of the sending failures: ``message`` is Swedish and written for the user, ``code`` is the SMTP reply
    code (None when the server never answered). The constructor takes exactly these two, so it pickles."""

    def __init__(self, message: str, code: int | None = None) -> None:
        super().__init__(message, code)
        self.message = message
        self.code = code

    def __str__(self) -> str:
        return self.message


class MailRefused(MailError):
    """The server refused for good (recipient, sender, login, content): nothing was delivered, do not retry."""


class MailNotSent(MailError):
    """Nothing was delivered (unreachable server, a 4xx before the message went out): safe to retry later."""


class MailUncertain(MailError):
    """The connection broke after the message began to go out: it may have been delivered, so never resend
    automatically."""


def parse_smtp_url(url: str) -> SmtpServer:
    """``smtp://host[:25]``, ``smtps://user:pass@host[:465]`` or ``smtp+starttls://user:pass@host[:587]``.

    User and password are percent-decoded. A bad URL raises ``ValueError`` whose message echoes no part of the URL,
    since a password with an unescaped ``/`` or ``#`` would otherwise show up as host, port or path.
    """
    parts, port = _split(url)
    scheme = parts.scheme.lower()
    if scheme not in _SCHEMES:
        raise ValueError("The SMTP URL must start with smtp://, smtps:// or smtp+starttls://")
    if not parts.hostname:
        raise ValueError("The SMTP URL has no host")
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise ValueError("The SMTP URL must not have a path, query or fragment (percent-encode / # ? in the password)")
    if port == 0:
        raise ValueError("The SMTP URL's port must be between 1 and 65535")
    security, default_port = _SCHEMES[scheme]
    username, password = _credentials(parts)
    if username is not None and security == "plain":
        raise ValueError("An SMTP URL with a user name must be smtps:// or smtp+starttls:// (no password in clear)")
    return SmtpServer(parts.hostname, port or default_port, security, username, password)


def _split(url: str) -> tuple[SplitResult, int | None]:
    # Raised outside the except block, so that urllib's message (which may quote a piece of the password) is not
    # kept as the error's context either.
    try:
        parts = urlsplit(url.strip())
        return parts, parts.port
    except ValueError:
        pass
    raise ValueError("The SMTP URL is malformed (check the port; percent-encode / # ? in the password)")


def _credentials(parts: SplitResult) -> tuple[str | None, str | None]:
    if parts.username is None and parts.password is None:
        return None, None
    username = unquote(parts.username or "")
    password = unquote(parts.password or "")
    if not username or not password:
        raise ValueError("The SMTP URL needs both a user name and a password, or neither")
    return username, password


def compose_invoice_email(
    *,
    sender: str,
    sender_name: str | None,
    to: list[str],
    subject: str,
    body: str,
    pdf: bytes,
    pdf_filename: str,
    message_id: str,
    reply_to: str | None = None,
) -> EmailMessage:
    """The invoice e-mail: a UTF-8 text body and the PDF attached. Headers with å, ä, ö are encoded per RFC 2047
    (the attachment's file name per RFC 2231), the body as quoted-printable, so the message is 7-bit clean.

    ``message_id`` comes from the caller so that a retried send carries the same one (``<…>`` is added if missing).
    A CR or LF in a header value raises ``ValueError`` (no header injection).
    """
    if not to:
        raise ValueError("An invoice e-mail needs at least one recipient")
    message = EmailMessage(policy=SMTP)
    message["From"] = _address(sender, sender_name)
    message["To"] = [_address(recipient) for recipient in to]
    if reply_to:
        message["Reply-To"] = _address(reply_to)
    message["Subject"] = subject
    message["Date"] = datetime.now().astimezone()
    message["Message-ID"] = message_id if message_id.startswith("<") else f"<{message_id}>"
    message.set_content(body, cte="quoted-printable")
    message.add_attachment(pdf, maintype="application", subtype="pdf", filename=pdf_filename)
    return message


def _address(addr_spec: str, display_name: str | None = None) -> Address:
    """The address with its domain in IDNA form (``xn--…``), so that å, ä, ö in a domain need no SMTPUTF8."""
    address = Address(display_name=display_name or "", addr_spec=addr_spec)
    if not address.username or not address.domain:
        raise ValueError(f"Not an e-mail address: {addr_spec!r}")
    if address.domain.isascii():
        return address
    try:
        domain = address.domain.encode("idna").decode("ascii")
    except UnicodeError:
        raise ValueError(f"Not an e-mail address: {addr_spec!r}") from None
    return Address(display_name=address.display_name, username=address.username, domain=domain)


def send(
    server: SmtpServer, message: EmailMessage, *, timeout: float = 30, context: ssl.SSLContext | None = None
) -> None:
    """Deliver ``message`` to its From/Sender and To/Cc/Bcc (Bcc is not sent along), or raise a ``MailError``.

    ``context`` verifies the server's certificate; the system's trusted authorities by default.
    """
    sender, recipients = _envelope(message)
    data = _wire_bytes(message, _international(sender, recipients))
    context = context or ssl.create_default_context()
    client = _connect(server, timeout, context)
    try:
        _before_data(client, server, context, sender, recipients, data)
        _send_content(client, server, data)
    finally:
        _close(client)


def _envelope(message: EmailMessage) -> tuple[str, list[str]]:
    senders = getaddresses([str(message["Sender"] or message["From"] or "")])
    sender = next((address for _, address in senders if address), "")
    headers = [str(value) for name in ("To", "Cc", "Bcc") for value in message.get_all(name, [])]
    recipients = list(dict.fromkeys(address for _, address in getaddresses(headers) if address))
    if not sender or not recipients:
        raise ValueError("The message needs a From address and at least one To, Cc or Bcc address")
    return sender, recipients


def _wire_bytes(message: EmailMessage, international: bool) -> bytes:
    """The message as it goes after DATA: CRLF line ends, Bcc removed, leading dots doubled, the final dot added."""
    outgoing = copy.copy(message)
    del outgoing["Bcc"]
    del outgoing["Resent-Bcc"]
    data = outgoing.as_bytes(policy=SMTPUTF8 if international else SMTP)
    data = re.sub(rb"\r\n|\n|\r", b"\r\n", data)
    data = re.sub(rb"(?m)^\.", b"..", data)
    if not data.endswith(b"\r\n"):
        data += b"\r\n"
    return data + b".\r\n"


def _connect(server: SmtpServer, timeout: float, context: ssl.SSLContext) -> smtplib.SMTP:
    try:
        if server.security == "ssl":
            return smtplib.SMTP_SSL(server.host, server.port, timeout=timeout, context=context)
        return smtplib.SMTP(server.host, server.port, timeout=timeout)
    except smtplib.SMTPConnectError as error:
        refusal = _by_code(
            error.smtp_code, "E-postservern tar inte emot anslutningar", _reply(server, error.smtp_error)
        )
        raise refusal from None
    except OSError as error:
        raise MailNotSent(_unreachable(server, error)) from error


def _unreachable(server: SmtpServer, error: OSError) -> str:
    if isinstance(error, socket.gaierror):
        reason = "namnet går inte att slå upp"
    elif isinstance(error, ssl.SSLCertVerificationError):
        reason = "dess certifikat gick inte att verifiera"
    elif isinstance(error, ssl.SSLError):
        reason = "den krypterade anslutningen gick inte att upprätta"
    elif isinstance(error, TimeoutError):
        reason = "den svarade inte i tid"
    elif isinstance(error, ConnectionRefusedError):
        reason = "anslutningen nekades"
    else:
        reason = "anslutningen bröts"
    return f"Kunde inte nå e-postservern {server.host}:{server.port}: {reason}. {_RETRY_IS_SAFE}"


def _international(sender: str, recipients: list[str]) -> bool:
    return not all(address.isascii() for address in (sender, *recipients))


def _before_data(
    client: smtplib.SMTP, server: SmtpServer, context: ssl.SSLContext, sender: str, recipients: list[str], data: bytes
) -> None:
    """EHLO, STARTTLS, AUTH, MAIL, RCPT and DATA up to the server's 354: any failure here leaves nothing sent."""
    try:
        _hello(client, server, context)
        _mail_from(client, server, sender, len(data), _international(sender, recipients))
        _rcpt_to(client, server, recipients)
        code, reply = client.docmd("DATA")
    except smtplib.SMTPResponseException as error:
        raise _by_code(error.smtp_code, "E-postservern avbröt samtalet", _reply(server, error.smtp_error)) from None
    except smtplib.SMTPNotSupportedError as error:
        raise MailRefused(_not_supported(str(error))) from None
    except smtplib.SMTPServerDisconnected:
        raise MailNotSent(f"E-postservern {server.host} stängde anslutningen. {_RETRY_IS_SAFE}") from None
    except smtplib.SMTPException:
        raise MailRefused("E-postservern erbjuder inget inloggningssätt som fakturabro kan använda.") from None
    except OSError as error:
        raise MailNotSent(_unreachable(server, error)) from None
    if code != 354:
        raise _by_code(code, "E-postservern tog inte emot meddelandet", _reply(server, reply))


def _hello(client: smtplib.SMTP, server: SmtpServer, context: ssl.SSLContext) -> None:
    client.ehlo_or_helo_if_needed()
    if server.security == "starttls":
        client.starttls(context=context)
        client.ehlo()
    if server.username is not None:
        _login(client, server)


def _login(client: smtplib.SMTP, server: SmtpServer) -> None:
    # The refusal is raised outside the except blocks so it carries no context: a UnicodeEncodeError holds the
    # string it could not encode, which is the password.
    try:
        client.login(server.username or "", server.password or "")
        return
    except smtplib.SMTPAuthenticationError as error:
        refusal = _by_code(
            error.smtp_code, "E-postservern godtog inte användarnamnet och lösenordet", _reply(server, error.smtp_error)
        )
    except UnicodeEncodeError:
        refusal = MailRefused("Användarnamnet eller lösenordet har tecken (t.ex. å, ä, ö) som inte går att skicka.")
    raise refusal


def _mail_from(client: smtplib.SMTP, server: SmtpServer, sender: str, size: int, international: bool) -> None:
    options = [f"SIZE={size}"] if client.has_extn("size") else []
    if international:
        if not client.has_extn("smtputf8"):
            raise MailRefused("E-postservern tar inte emot adresser med tecken utanför a–z (SMTPUTF8).")
        options.append("SMTPUTF8")
    code, reply = client.mail(sender, options)
    if code != 250:
        raise _by_code(code, f"E-postservern godtar inte avsändaradressen {sender}", _reply(server, reply))


def _rcpt_to(client: smtplib.SMTP, server: SmtpServer, recipients: list[str]) -> None:
    refused = []
    for recipient in recipients:
        code, reply = client.rcpt(recipient)
        if code not in (250, 251):
            refused.append((recipient, code, _reply(server, reply)))
    if not refused:
        return
    permanent = [refusal for refusal in refused if 500 <= refusal[1] < 600]
    shown = permanent or refused
    addresses = ", ".join(recipient for recipient, _, _ in shown)
    _, first_code, first_reply = shown[0]
    noun = "adressen" if len(shown) == 1 else "adresserna"
    raise _by_code(first_code, f"E-postservern tar inte emot {noun} {addresses}", first_reply)


def _send_content(client: smtplib.SMTP, server: SmtpServer, data: bytes) -> None:
    """From here on a broken connection may have delivered the message; the server's last reply decides."""
    try:
        client.send(data)
        code, reply = client.getreply()
    except OSError:
        raise MailUncertain(
            "Anslutningen till e-postservern bröts medan meddelandet skickades, så det kan ha kommit fram. "
            "Kontrollera med mottagaren innan du skickar det igen."
        ) from None
    if 200 <= code < 300:
        return
    if 400 <= code < 600:
        raise _by_code(code, "E-postservern tog inte emot meddelandet", _reply(server, reply))
    raise MailUncertain(f"E-postservern svarade oväntat ({code}) efter meddelandet, så det kan ha kommit fram.", code)


def _by_code(code: int, what: str, reply: str) -> MailError:
    """A 5xx is the server's final no; anything else before the message went out is worth another try."""
    said = f" (servern svarade {code} {reply})" if reply else f" (servern svarade {code})"
    if 500 <= code < 600:
        return MailRefused(f"{what}{said}. Inget skickades.", code)
    return MailNotSent(f"{what}{said}. {_RETRY_IS_SAFE}", code)


def _not_supported(detail: str) -> str:
    if "STARTTLS" in detail:
        return "E-postservern erbjuder inte STARTTLS; fakturabro skickar inte okrypterat. Prova smtps://."
    if "AUTH" in detail:
        return "E-postservern erbjuder ingen inloggning (AUTH) på den här anslutningen."
    return "E-postservern saknar en funktion som behövs för att skicka meddelandet."


def _reply(server: SmtpServer, reply: bytes | str) -> str:
    """The server's reply text on one line, shortened, and without the password should a server echo it."""
    text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else reply
    text = " ".join(text.split())[:_MAX_REPLY_CHARS]
    if server.password:
        text = text.replace(server.password, "***")
    return text


def _close(client: smtplib.SMTP) -> None:
    try:
        client.quit()
    except OSError:
        pass
    finally:
        client.close()
