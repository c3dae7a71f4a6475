"""The minimal HTML pages: login with CSRF, company scoping, escaped output."""

from __future__ import annotations

import re
import uuid

import httpx
import pytest
from fastapi.testclient import TestClient

from fakturabro.bootstrap import Container
from fakturabro.invoicing.companies import create_user
from fakturabro.web.app import create_app

from .helpers import Api

PASSWORD = "rätt-lösenord-123"


@pytest.fixture
def browser(container: Container) -> TestClient:
    return TestClient(create_app(container), raise_server_exceptions=False)


def _login(browser: TestClient, api: Api, container: Container) -> None:
    email = f"{uuid.uuid4().hex[:8]}@firma.se"
    create_user(container.db, api.company.id, email, PASSWORD)
    response = browser.post("/login", data={"email": email, "password": PASSWORD, "csrf": _csrf(browser)})
    assert response.status_code == 200, response.text


def _csrf(browser: TestClient) -> str:
    match = re.search(r'name="csrf" value="([^"]+)"', browser.get("/login").text)
    assert match is not None
    return match.group(1)


def test_pages_need_a_login(browser: TestClient) -> None:
    response = browser.get("/invoices", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login"


def test_login_without_the_csrf_token_is_refused(browser: TestClient, api: Api, container: Container) -> None:
    create_user(container.db, api.company.id, "csrf@firma.se", PASSWORD)
    _csrf(browser)
    response = browser.post("/login", data={"email": "csrf@firma.se", "password": PASSWORD, "csrf": "forged"})
    assert response.status_code == 403
    assert browser.get("/invoices", follow_redirects=False).status_code == 303


def test_wrong_password_is_401(browser: TestClient, api: Api, container: Container) -> None:
    create_user(container.db, api.company.id, "fel@firma.se", PASSWORD)
    response = browser.post("/login", data={"email": "fel@firma.se", "password": "fel", "csrf": _csrf(browser)})
    assert response.status_code == 401
    assert "Fel e-postadress eller lösenord" in response.text


def test_html_in_user_text_is_escaped(browser: TestClient, api: Api, container: Container) -> None:
    customer = api.private_customer(name="<script>alert(1)</script>")
    invoice = api.draft(customer, rows=[{"text": "<img src=x onerror=alert(2)>", "quantity": "1", "unit_price": "1"}])
    _login(browser, api, container)
    for path in ("/customers", "/invoices", f"/invoices/{invoice['id']}"):
        page = browser.get(path)
        assert page.status_code == 200
        assert "<script>alert(1)</script>" not in page.text
        assert "<img src=x" not in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in browser.get("/customers").text
    assert "&lt;img src=x onerror=alert(2)&gt;" in browser.get(f"/invoices/{invoice['id']}").text


def test_a_user_sees_only_their_company(browser: TestClient, api: Api, other_api: Api, container: Container) -> None:
    theirs = other_api.draft(other_api.private_customer(name="Annans Kund"))
    api.private_customer(name="Egen Kund")
    _login(browser, api, container)
    assert "Egen Kund" in browser.get("/customers").text
    assert "Annans Kund" not in browser.get("/customers").text
    assert browser.get(f"/invoices/{theirs['id']}").status_code == 404


def test_logout_needs_csrf_and_ends_the_session(browser: TestClient, api: Api, container: Container) -> None:
    _login(browser, api, container)
    assert browser.post("/logout", data={"csrf": "forged"}).status_code == 403
    page = browser.get("/invoices").text
    token = re.search(r'name="csrf" value="([^"]+)"', page)
    assert token is not None
    browser.post("/logout", data={"csrf": token.group(1)})
    assert browser.get("/invoices", follow_redirects=False).status_code == 303


def test_health_docs_and_security_headers(client: TestClient) -> None:
    health = client.get("/healthz")
    assert health.json() == {"status": "ok"}
    assert health.headers["X-Content-Type-Options"] == "nosniff"
    assert client.get("/docs").status_code == 200
    schema = client.get("/openapi.json").json()
    assert "/api/v1/invoices/{invoice_id}/approve" in schema["paths"]


def test_malformed_requests_are_4xx_never_500(api: Api) -> None:
    bodies: list[bytes] = [b'{"name": "\xff\xfe"}', b'{"name": ', b'{"name": 1' + b"1" * 5000 + b"}", b"NaN", b"[]"]
    for body in bodies:
        response = api.post_raw("/customers", body)
        assert 400 <= response.status_code < 500, (body[:20], response.status_code)
    assert api.get("/invoices/99999999999").status_code == 422
    assert api.get("/invoices/0").status_code == 422
    assert api.get("/customers", params={"limit": 100000}).status_code == 422


def test_json_error_shape_matches_fastapi(api: Api) -> None:
    response: httpx.Response = api.post("/customers", {"name": ""})
    assert response.status_code == 422
    (item,) = response.json()["detail"]
    assert set(item) == {"loc", "msg", "type"}
    assert item["loc"] == ["body", "name"]
