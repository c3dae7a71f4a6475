"""Login, CSRF on every form, session expiry and the login rate limit."""

from __future__ import annotations

from typing import Any

from fakturabro.bootstrap import Container
from fakturabro.web.app import create_app
from fakturabro.web.views.session import LOGIN_ATTEMPTS

from .conftest import PASSWORD, Clock, User


def test_pages_need_a_login(app: Any, web_container: Container) -> None:
    stranger = User(app, web_container)
    for path in ("/invoices", "/customers", "/articles", "/billing", "/settings/integrations", "/invoices/new"):
        response = stranger.get(path)
        assert response.status_code == 303, path
        assert response.headers["location"] == "/login"


def test_login_then_logout(user: User) -> None:
    page = user.get("/invoices")
    assert page.status_code == 200
    assert user.company.name in page.text
    assert user.post("/logout", {}).status_code == 303
    assert user.get("/invoices").status_code == 303


def test_every_form_post_without_the_csrf_token_is_refused(user: User) -> None:
    forms = {
        "/customers/new": {"name": "Utan token"},
        "/articles/new": {"number": "X1", "name": "Utan token", "unit_price": "10"},
        "/invoices/new": {"customer_number": "1"},
        "/invoices/preview": {},
        "/billing/import-payments": {},
        "/billing/export-pending": {},
        "/logout": {},
    }
    for path, data in forms.items():
        assert user.post(path, data, csrf=False).status_code == 403, path
        assert user.post(path, {**data, "csrf": "forged"}, csrf=False).status_code == 403, path
    listing = user.get("/customers?q=Utan").text
    assert "Utan token" not in listing
    assert user.get("/invoices").status_code == 200  # still logged in: the forged logout did nothing


def test_htmx_requests_may_send_the_token_as_a_header(user: User) -> None:
    token = user.csrf("/invoices")
    response = user.client.post("/invoices/preview", data={}, headers={"HX-Request": "true", "X-CSRF-Token": token})
    assert response.status_code == 200
    forged = user.client.post("/invoices/preview", data={}, headers={"HX-Request": "true", "X-CSRF-Token": "x"})
    assert forged.status_code == 403


def test_a_session_left_idle_ends_and_a_new_login_works(user: User, clock: Clock, web_container: Container) -> None:
    assert user.get("/invoices").status_code == 200
    clock.advance(web_container.settings.session_idle_seconds - 60)
    assert user.get("/invoices").status_code == 200
    clock.advance(web_container.settings.session_idle_seconds)
    response = user.get("/invoices")
    assert response.status_code == 303
    assert response.headers["location"] == "/login"
    user.login()
    assert user.get("/invoices").status_code == 200


def test_the_session_cookie_is_http_only_and_changes_at_login(app: Any, web_container: Container) -> None:
    person = User(app, web_container)
    before = person.csrf()
    response = person.login()
    cookie = response.headers["set-cookie"]
    assert "httponly" in cookie.lower()
    assert "samesite=lax" in cookie.lower()
    assert person.csrf("/invoices") != before  # a token planted before the login is worth nothing after it


def test_login_is_rate_limited(web_container: Container) -> None:
    person = User(create_app(web_container), web_container)  # its own app: the limit counts per client address
    for _ in range(LOGIN_ATTEMPTS):
        wrong = person.client.post("/login", data={"email": person.email, "password": "fel", "csrf": person.csrf()})
        assert wrong.status_code == 401
        assert "Fel e-postadress eller lösenord" in wrong.text
    blocked = person.client.post("/login", data={"email": person.email, "password": PASSWORD, "csrf": person.csrf()})
    assert blocked.status_code == 429
    assert "För många misslyckade inloggningar" in blocked.text
    assert int(blocked.headers["retry-after"]) > 0
    assert person.get("/invoices").status_code == 303


def test_an_htmx_request_after_the_session_ended_redirects_the_whole_page(
    user: User, clock: Clock, web_container: Container
) -> None:
    clock.advance(web_container.settings.session_max_age_seconds + 1)
    response = user.get("/invoices/1/export-badge", headers={"HX-Request": "true"})
    assert response.status_code == 401
    assert response.headers["HX-Redirect"] == "/login"
