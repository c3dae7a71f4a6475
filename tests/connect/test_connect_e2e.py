"""End to end: the app with the sandbox mounted at /visma-sandbox, served by uvicorn on a free port (not 8000,
and no FAKTURABRO_PUBLIC_URL: the callback and sandbox URLs come from the request). A script connects through
the REST API by following the authorization URL like a browser: Visma's login form, consent, the redirect to our
callback, the token exchange. Then the settings check, its fixes, revoked consent and the settings page."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from connect_helpers import SEED_EMAIL, SEED_PASSWORD, login_and_consent, parse_form, query
from connect_support import free_port, serve
from cryptography.fernet import Fernet
from tests.company_details import create_company_with_details

from fakturabro.bootstrap import Container, build
from fakturabro.invoicing.companies import create_api_token, create_user
from fakturabro.invoicing.customers import create_customer
from fakturabro.invoicing.inputs import CustomerInput, HouseWorkInput, InvoiceInput, PersonInput, RowInput
from fakturabro.invoicing.invoices import create_invoice
from fakturabro.settings import Settings
from fakturabro.store.migrate import upgrade
from fakturabro.web.app import create_app

PNR = "19811218-9876"  # a test personnummer (valid checksum)
VISMA = "/integrations/visma"


@dataclass
class Running:
    url: str
    container: Container
    app: Any


@pytest.fixture
def running(tmp_path: Path) -> Iterator[Running]:
    settings = Settings(data_dir=tmp_path, token_key=Fernet.generate_key().decode(), secret_key="e2e-secret")
    assert "public_url" not in settings.model_fields_set
    container = build(settings)
    upgrade(container.engine)
    app = create_app(container, mount_sandbox=True)
    with serve(app, free_port()) as url:
        yield Running(url, container, app)
    container.close()


class Api:
    def __init__(self, running: Running) -> None:
        db = running.container.db
        self.company_id = create_company_with_details(db, "Elfirman i Väst AB").id
        token = create_api_token(db, self.company_id).token
        self.http = httpx.Client(base_url=f"{running.url}/api/v1", headers={"Authorization": f"Bearer {token}"})

    def get(self) -> dict[str, Any]:
        answer = self.http.get(VISMA)
        assert answer.status_code == 200, answer.text
        body: dict[str, Any] = answer.json()
        return body

    def call(self, method: str, path: str = "", expect: int = 200, **kwargs: Any) -> dict[str, Any]:
        answer = self.http.request(method, VISMA + path, **kwargs)
        assert answer.status_code == expect, answer.text
        body: dict[str, Any] = answer.json()
        return body


def connect_like_a_script(api: Api, running: Running) -> httpx.Response:
    """POST connect, then follow the URL as a browser would, through the login form to our callback."""
    url = api.call("POST", "/connect")["authorization_url"]
    assert url.startswith(f"{running.url}/visma-sandbox/connect/authorize?")
    assert query(url)["redirect_uri"] == f"{running.url}/integrations/visma/callback"
    with httpx.Client(timeout=30, follow_redirects=True) as browser:
        login = browser.get(url)
        assert login.status_code == 200
        form = parse_form(login.text)
        fields = {**form.fields, "username": SEED_EMAIL, "password": SEED_PASSWORD, "decision": "allow"}
        done = browser.post(str(login.url.join(form.action or "")), data=fields)
    hops = [str(r.url) for r in done.history]
    assert any(urlsplit(hop).path == "/integrations/visma/callback" for hop in hops), hops
    return done


def failing(view: dict[str, Any]) -> set[str]:
    return {item["key"] for item in view["checklist"] if not item["ok"]}


def test_connect_check_fix_revoke_reconnect_through_the_api(running: Running) -> None:
    api = Api(running)
    assert api.get()["state"] == "inactive"
    assert api.call("POST", "/connect", expect=409)["detail"][0]["type"] == "integration_inactive"
    view = api.call("PUT", json={"activated": True, "mode": "draft"})
    assert (view["state"], view["activated"], view["connected"], view["mode"]) == (
        "not_connected",
        True,
        False,
        "draft",
    )
    assert api.call("PUT", json={"mode": "pdf"}, expect=422)

    done = connect_like_a_script(api, running)
    assert urlsplit(str(done.url)).path == "/login"  # the settings page wants a logged-in user

    view = api.get()
    assert view["state"] == "connected"
    assert view["connected"] is True
    assert view["visma_company"] == {"name": "Demo Bygg & Service AB", "org_number": "556677-8899"}
    assert view["checked_at"] is not None  # the check runs on connect
    assert set(view["checklist"][0]) == {"key", "ok", "message", "fix"}

    # A ROT job for a new private customer: the seeded Visma lacks what that needs.
    db = running.container.db
    create_customer(
        db,
        api.company_id,
        CustomerInput(customer_number="3001", name="Per Persson", personal_number=PNR, postal_code="41301", city="Gbg"),
    )
    create_invoice(
        db,
        api.company_id,
        InvoiceInput(
            customer_number="3001",
            rows=[
                RowInput(
                    text="El",
                    quantity=Decimal(2),
                    unit_price=Decimal(500),
                    kind="labour",
                    hours=Decimal(2),
                    house_work_type="el",
                )
            ],
            house_work=HouseWorkInput(
                type="rot", persons=[PersonInput(personal_number=PNR)], property_designation="X 1:2"
            ),
        ),
    )
    view = api.call("POST", "/check")
    assert failing(view) == {
        "prices_excl_vat",
        "invoice_number_series",
        "fallback_article",
        "house_work_fallback_article",
    }

    sandbox = httpx.Client(base_url=f"{running.url}/visma-sandbox/_sandbox")
    fixed = sandbox.put("/companysettings", json={"ShowPricesExclVatPC": True, "NextCustomerInvoiceNumber": 1})
    assert fixed.status_code == 200, fixed.text
    created = api.call("POST", "/fallback-articles")
    assert sorted(created["created"]) == ["fakturabro", "fakturabro ROT/RUT"]
    assert failing(created["integration"]) == set()

    # The user revokes our access in Visma (here: the sandbox forgets every token).
    assert sandbox.post("/reset").status_code == 200
    refused = api.call("POST", "/check", expect=409)
    assert refused["detail"][0]["type"] == "needs_reconnect"
    view = api.get()
    assert view["state"] == "needs_reconnect"
    assert view["connected"] is False

    connect_like_a_script(api, running)
    assert api.get()["state"] == "connected"

    view = api.call("DELETE")
    assert view["state"] == "not_connected"
    assert view["visma_company"] is None
    assert api.call("POST", "/check", expect=409)["detail"][0]["type"] == "not_connected"


def test_callback_refuses_a_forged_state(running: Running) -> None:
    answer = httpx.get(f"{running.url}/integrations/visma/callback", params={"state": "forged", "code": "x"})
    assert answer.status_code == 400
    assert "Kopplingen till Visma eEkonomi misslyckades" in answer.text


def test_settings_page_connects_through_the_browser_with_csrf(running: Running) -> None:
    db = running.container.db
    company_id = create_company_with_details(db, "Rörmokarn AB").id
    create_user(db, company_id, "ror@example.com", "hemligt-lösenord-123")
    page_url = "/settings/integrations/visma"
    with httpx.Client(base_url=running.url, timeout=30, follow_redirects=True) as browser:
        login_page = browser.get("/login")
        csrf = parse_form(login_page.text).fields["csrf"]
        logged_in = browser.post(
            "/login", data={"email": "ror@example.com", "password": "hemligt-lösenord-123", "csrf": csrf}
        )
        assert logged_in.status_code == 200

        page = browser.get(page_url)
        assert page.status_code == 200
        assert "Aktivera integration" in page.text
        assert "Verifikationer" in page.text
        assert "Fakturautkast" in page.text
        csrf = re.findall(r'name="csrf" value="([^"]+)"', page.text)[0]

        forged = browser.post(page_url, data={"csrf": "wrong", "action": "activate"})
        assert forged.status_code == 403

        page = browser.post(page_url, data={"csrf": csrf, "action": "activate"})
        assert "Koppla till Visma eEkonomi" in page.text
        page = browser.post(page_url, data={"csrf": csrf, "action": "mode", "mode": "voucher"})
        assert 'value="voucher" checked' in page.text

        # "Koppla till Visma eEkonomi" → Visma's login → consent → our callback → back on the page.
        login = browser.post(page_url, data={"csrf": csrf, "action": "connect"})
        form = parse_form(login.text)
        fields = {**form.fields, "username": SEED_EMAIL, "password": SEED_PASSWORD, "decision": "allow"}
        page = browser.post(str(login.url.join(form.action or "")), data=fields)
        assert urlsplit(str(page.url)).path == page_url
        assert "Kopplingen till Visma eEkonomi är klar." in page.text
        assert 'data-state="connected"' in page.text
        assert "Demo Bygg &amp; Service AB" in page.text
        assert 'data-key="fallback_article" data-ok="false"' in page.text

        page = browser.post(page_url, data={"csrf": csrf, "action": "fallback_articles"})
        assert 'data-key="fallback_article" data-ok="true"' in page.text
        page = browser.post(page_url, data={"csrf": csrf, "action": "disconnect"})
        assert 'data-state="not_connected"' in page.text


def test_a_flow_started_on_the_page_cannot_be_finished_in_another_browser(running: Running) -> None:
    db = running.container.db
    company_id = create_company_with_details(db, "Takläggarna AB").id
    create_user(db, company_id, "tak@example.com", "hemligt-lösenord-456")
    page_url = "/settings/integrations/visma"
    with httpx.Client(base_url=running.url, timeout=30, follow_redirects=True) as attacker:
        csrf = parse_form(attacker.get("/login").text).fields["csrf"]
        credentials = {"email": "tak@example.com", "password": "hemligt-lösenord-456", "csrf": csrf}
        assert attacker.post("/login", data=credentials).status_code == 200
        csrf = re.findall(r'name="csrf" value="([^"]+)"', attacker.get(page_url).text)[0]
        attacker.post(page_url, data={"csrf": csrf, "action": "activate"})
        started = attacker.post(page_url, data={"csrf": csrf, "action": "connect"}, follow_redirects=False)
        authorize_url = started.headers["location"]
    # The victim opens the link, logs in to their own Visma and consents; the callback is refused.
    with httpx.Client(timeout=30, follow_redirects=True) as victim:
        callback = login_and_consent(victim, authorize_url)
        refused = victim.get(callback)
    assert refused.status_code == 400
    assert "annan webbläsare" in refused.text
    api_token = create_api_token(db, company_id).token
    view = httpx.get(
        f"{running.url}/api/v1/integrations/visma", headers={"Authorization": f"Bearer {api_token}"}
    ).json()
    assert view["state"] == "not_connected"
