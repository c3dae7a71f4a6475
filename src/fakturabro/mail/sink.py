"""A local SMTP server that keeps what it receives, so the demo can send real invoice e-mail without an outside
mail server and the tests can read back exactly what went over the wire.

Every message becomes one ``.eml`` file, written whole or not at all (a temporary file, then a rename), so a
reader never sees half a message. The SMTP envelope is not part of the message, so it rides along in
``X-Sink-*`` headers on top. Recipients at a refused domain get a 550, for trying out refusals.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from pathlib import Path
from typing import Any, NamedTuple, cast

from aiosmtpd.controller import Controller

_RECEIVED_AT = "X-Sink-Received-At"
_MAIL_FROM = "X-Sink-Mail-From"
_RCPT_TO = "X-Sink-Rcpt-To"


class FreePortController(Controller):
    """aiosmtpd's threaded ``Controller`` that may listen on port 0: the system picks a free port, and ``port``
    tells which once ``start()`` has returned."""

    def _trigger_server(self) -> None:
        # Runs in start() after the server is bound and before aiosmtpd connects to it to check it answers.
        if self.port == 0 and self.server is not None:
            self.port = cast(asyncio.Server, self.server).sockets[0].getsockname()[1]
        super()._trigger_server()


class AttachmentInfo(NamedTuple):
    filename: str
    content_type: str
    size: int


@dataclass(frozen=True)
class ReceivedMail:
    """One message the sink stored, parsed: envelope, decoded subject, the plain text body, the attachments."""

    file_name: str
    received_at: datetime
    sender: str
    recipients: tuple[str, ...]
    subject: str
    message_id: str
    body: str
    attachments: tuple[AttachmentInfo, ...]
    message: EmailMessage = field(repr=False, compare=False)

    def attachment(self, filename: str) -> bytes:
        """The decoded bytes of the attachment called ``filename``; ``KeyError`` when there is none."""
        for part in self.message.iter_attachments():
            if part.get_filename() == filename:
                return cast(bytes, part.get_payload(decode=True))
        raise KeyError(filename)


class _SinkHandler:
    def __init__(self, directory: Path, refused_domains: frozenset[str]) -> None:
        self.directory = directory
        self.refused_domains = refused_domains
        self._counter = itertools.count(1)

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]) -> str:
        if address.rpartition("@")[2].lower() in self.refused_domains:
            return f"550 5.1.1 <{address}>: Recipient address rejected"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        now = datetime.now(UTC)
        name = f"{now:%Y%m%dT%H%M%S%fZ}-{next(self._counter):06d}.eml"
        head = f"{_RECEIVED_AT}: {now.isoformat()}\r\n{_MAIL_FROM}: {envelope.mail_from or ''}\r\n"
        head += f"{_RCPT_TO}: {', '.join(envelope.rcpt_tos)}\r\n"
        write_atomically(self.directory / name, head.encode() + (envelope.original_content or envelope.content))
        return "250 2.0.0 OK: stored"


def write_atomically(path: Path, data: bytes) -> None:
    """``data`` at ``path``, or nothing there: written to a hidden temporary file beside it, then renamed."""
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


class MailSink:
    """An SMTP server on ``host``:``port`` (0: a free port, read ``port`` after ``start()``) storing every message
    in ``directory``; recipients at one of ``refused_domains`` are refused with a 550."""

    def __init__(
        self, directory: Path, *, host: str = "127.0.0.1", port: int = 0, refused_domains: Iterable[str] = ()
    ) -> None:
        self.directory = directory
        handler = _SinkHandler(directory, frozenset(domain.lower() for domain in refused_domains))
        self._controller = FreePortController(handler, hostname=host, port=port, server_hostname="fakturabro-sink")

    @property
    def host(self) -> str:
        return str(self._controller.hostname)

    @property
    def port(self) -> int:
        return int(self._controller.port)

    @property
    def url(self) -> str:
        """The ``smtp://`` URL to send to (for ``parse_smtp_url``)."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"smtp://{host}:{self.port}"

    def start(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        self._controller.start()

    def stop(self) -> None:
        self._controller.stop()

    def __enter__(self) -> MailSink:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def received(self) -> list[ReceivedMail]:
        return received_mail(self.directory)


def received_mail(directory: Path) -> list[ReceivedMail]:
    """Every message stored in ``directory``, newest first (file names begin with the time received)."""
    return [_read(path) for path in sorted(directory.glob("*.eml"), reverse=True)]


def _read(path: Path) -> ReceivedMail:
    message = cast(EmailMessage, message_from_bytes(path.read_bytes(), policy=default))
    body = message.get_body(preferencelist=("plain",))
    attachments = tuple(
        AttachmentInfo(part.get_filename() or "", part.get_content_type(), len(part.get_payload(decode=True) or b""))
        for part in message.iter_attachments()
    )
    return ReceivedMail(
        file_name=path.name,
        received_at=datetime.fromisoformat(str(message[_RECEIVED_AT])),
        sender=str(message[_MAIL_FROM] or ""),
        recipients=tuple(address.strip() for address in str(message[_RCPT_TO] or "").split(",") if address.strip()),
        subject=str(message["Subject"] or ""),
        message_id=str(message["Message-ID"] or ""),
        body=str(body.get_content()).replace("\r\n", "\n") if body is not None else "",
        attachments=attachments,
        message=message,
    )
