"""Finding 4: logging out does not end the session. Sessions live on the server: logout, a password change and
the operator's `fakturabro user logout` end them at once (in every process: the record is in the database);
the session id is new at every login; a session ends after an idle and an absolute timeout."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from fakturabro.bootstrap import Container
from fakturabro.cli import app as cli

from .conftest import PASSWORD, Browser, Clock


def opens_invoices(app: FastAPI, cookies: dict[str, str]) -> bool:
    client = TestClient(app, follow_redirects=False, cookies=cookies)
    return client.get("/invoices").status_code == 200


def second_login(app: FastAPI, container: Container, first: Browser) -> Browser:
    """The same user logged in from another browser."""
    other = Browser.__new__(Browser)
    other.client = TestClient(app, raise_server_exceptions=False, follow_redirects=False)
    other.company_id, other.email = first.company_id, first.email
    other.login()
    return other


def test_a_cookie_captured_before_logout_opens_nothing_after(app: FastAPI, browser: Browser) -> None:
    captured = dict(browser.client.cookies)
    assert opens_invoices(app, captured)
    assert browser.post("/logout").status_code == 303
    assert not opens_invoices(app, captured)


def test_logout_ends_only_that_session(app: FastAPI, container: Container, browser: Browser) -> None:
    other = second_login(app, container, browser)
    browser.post("/logout")
    assert other.client.get("/invoices").status_code == 200


def test_a_password_change_ends_every_session_of_the_user(app: FastAPI, container: Container, browser: Browser) -> None:
    from fakturabro.invoicing.sessions import change_password  # noqa: PLC0415 - new with this fix

    other = second_login(app, container, browser)
    change_password(container.db, browser.email, "ett-helt-nytt-lösenord")
    assert browser.client.get("/invoices").status_code == 303
    assert other.client.get("/invoices").status_code == 303
    assert browser.try_login(PASSWORD).status_code == 401
    assert browser.try_login("ett-helt-nytt-lösenord").status_code == 303


def test_the_operator_ends_a_users_sessions(
    container: Container, browser: Browser, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = container.settings
    assert settings.token_key is not None
    monkeypatch.setenv("FAKTURABRO_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("FAKTURABRO_TOKEN_KEY", settings.token_key.get_secret_value())
    monkeypatch.delenv("DATABASE_URL", raising=False)
    result = CliRunner().invoke(cli, ["user", "logout", "--email", browser.email])
    assert result.exit_code == 0, result.output
    assert "1 session" in result.output
    assert browser.client.get("/invoices").status_code == 303


def test_the_session_id_is_new_at_every_login(app: FastAPI, container: Container, browser: Browser) -> None:
    first = dict(browser.client.cookies)
    browser.login()
    assert dict(browser.client.cookies) != first
    assert opens_invoices(app, dict(browser.client.cookies))


def test_an_idle_session_ends(app: FastAPI, container: Container, browser: Browser, clock: Clock) -> None:
    idle = container.settings.session_idle_seconds
    clock.advance(idle - 60)
    assert browser.client.get("/invoices").status_code == 200  # use keeps it alive
    clock.advance(idle - 60)
    assert browser.client.get("/invoices").status_code == 200
    clock.advance(idle + 1)
    assert browser.client.get("/invoices").status_code == 303


def test_a_session_ends_after_its_absolute_lifetime_even_in_use(
    container: Container, browser: Browser, clock: Clock
) -> None:
    step = container.settings.session_idle_seconds // 2
    elapsed = 0
    while elapsed + step < container.settings.session_max_age_seconds:
        clock.advance(step)
        elapsed += step
        assert browser.client.get("/invoices").status_code == 200
    clock.advance(step)
    assert browser.client.get("/invoices").status_code == 303
