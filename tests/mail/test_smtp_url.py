"""The SMTP URL: each scheme and its default port, percent-decoded credentials, and errors that never show the
password (not even the bits of one that a missing percent-encoding turns into host, port or path)."""

from __future__ import annotations

import pytest

from fakturabro.mail.smtp import SmtpServer, parse_smtp_url


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("smtp://localhost", SmtpServer("localhost", 25, "plain", None, None)),
        ("smtp://127.0.0.1:2525", SmtpServer("127.0.0.1", 2525, "plain", None, None)),
        ("smtps://anna:pw@mail.example.se", SmtpServer("mail.example.se", 465, "ssl", "anna", "pw")),
        ("smtps://anna:pw@mail.example.se:10465/", SmtpServer("mail.example.se", 10465, "ssl", "anna", "pw")),
        ("smtp+starttls://anna:pw@smtp.example.se", SmtpServer("smtp.example.se", 587, "starttls", "anna", "pw")),
        ("SMTP+STARTTLS://anna:pw@SMTP.Example.se:25", SmtpServer("smtp.example.se", 25, "starttls", "anna", "pw")),
        ("smtp://[::1]:2525", SmtpServer("::1", 2525, "plain", None, None)),
        ("  smtps://a:b@h  ", SmtpServer("h", 465, "ssl", "a", "b")),
    ],
)
def test_each_scheme_and_its_default_port(url: str, expected: SmtpServer) -> None:
    assert parse_smtp_url(url) == expected


def test_user_and_password_are_percent_decoded() -> None:
    server = parse_smtp_url("smtps://anna%40elbolaget.se:h%C3%A5rd%2Fl%C3%B6sen%3A%40%23@mail.example.se")
    assert server.username == "anna@elbolaget.se"
    assert server.password == "hård/lösen:@#"


@pytest.mark.parametrize(
    "url",
    [
        "",
        "mail.example.se:587",
        "http://mail.example.se",
        "smtp://",
        "smtp://host:99999",
        "smtp://host:0",
        "smtp://host:port",
        "smtp://host/inbox",
        "smtp://host?tls=1",
        "smtp://anna:hemligt@host",
        "smtps://anna@host",
        "smtps://:hemligt@host",
        "smtps://[::1",
    ],
)
def test_bad_urls_are_refused(url: str) -> None:
    with pytest.raises(ValueError, match="SMTP URL"):
        parse_smtp_url(url)


@pytest.mark.parametrize(
    "url",
    [
        "smtps://anna:topp/hemlig@mail.example.se",
        "smtps://anna:topp#hemlig@mail.example.se",
        "smtps://anna:topp?hemlig@mail.example.se",
        "smtps://anna:toppXhemlig@mail.example.se:99999",
        "smtp://anna:toppXhemlig@mail.example.se",
        "ftp://anna:toppXhemlig@mail.example.se",
    ],
)
def test_errors_never_show_the_password(url: str) -> None:
    with pytest.raises(ValueError) as raised:
        parse_smtp_url(url)
    shown = str(raised.value) + repr(raised.value) + str(raised.value.__cause__) + str(raised.value.__context__)
    assert raised.value.__cause__ is None
    assert raised.value.__context__ is None
    for piece in ("topp", "hemlig"):
        assert piece not in shown


def test_repr_and_str_hide_the_password() -> None:
    server = parse_smtp_url("smtps://anna:toppHemlig@mail.example.se")
    for shown in (repr(server), str(server), f"{server}", repr([server])):
        assert "toppHemlig" not in shown
        assert "password='***'" in shown
    assert "password=None" in repr(parse_smtp_url("smtp://localhost"))
