"""The sink: a free port of its own, every message a whole ``.eml`` file, read back newest first."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.mail.conftest import invoice_email

from fakturabro.mail.sink import MailSink, received_mail, write_atomically
from fakturabro.mail.smtp import parse_smtp_url, send


def test_two_sinks_get_ports_of_their_own(tmp_path: Path) -> None:
    with MailSink(tmp_path / "a") as first, MailSink(tmp_path / "b") as second:
        assert first.port != 0
        assert second.port not in (0, first.port)
        assert first.url == f"smtp://127.0.0.1:{first.port}"


def test_messages_are_read_back_newest_first_with_no_temporary_files_left(sink: MailSink) -> None:
    for number in (1041, 1042, 1043):
        send(parse_smtp_url(sink.url), invoice_email(subject=f"Faktura {number}", message_id=f"<{number}@x.se>"))
    mails = received_mail(sink.directory)
    assert [mail.subject for mail in mails] == ["Faktura 1043", "Faktura 1042", "Faktura 1041"]
    assert mails[0].received_at >= mails[2].received_at
    assert sorted(path.name for path in sink.directory.iterdir()) == sorted(mail.file_name for mail in mails)
    with pytest.raises(KeyError):
        mails[0].attachment("saknas.pdf")


def test_the_sink_can_be_stopped_and_the_mail_stays(tmp_path: Path) -> None:
    sink = MailSink(tmp_path / "mail")
    sink.start()
    send(parse_smtp_url(sink.url), invoice_email())
    sink.stop()
    assert len(received_mail(tmp_path / "mail")) == 1


def test_an_interrupted_write_leaves_nothing(tmp_path: Path) -> None:

    with pytest.raises(TypeError):
        write_atomically(tmp_path / "a.eml", "not bytes")  # type: ignore[arg-type]
    assert list(tmp_path.iterdir()) == []
    write_atomically(tmp_path / "a.eml", b"whole")
    assert (tmp_path / "a.eml").read_bytes() == b"whole"
