"""Every route a browser or htmx sends to answers its errors in Swedish HTML, never the REST API's JSON, and a
refused action changes nothing. The REST API keeps its JSON: the format is decided by route, not by headers."""

from __future__ import annotations

import json
from decimal import Decimal

import httpx
from sqlalchemy import select

from fakturabro.bootstrap import Container
from fakturabro.invoicing import articles, customers, invoices
from fakturabro.invoicing.articles import list_articles
from fakturabro.invoicing.companies import create_api_token
from fakturabro.invoicing.inputs import ArticleInput, CustomerInput, InvoiceInput
from fakturabro.registers.runs import list_runs
from fakturabro.store.register_models import RegisterRun
from fakturabro.sync.connection import activate, connection_status

from .conftest import User

VISMA_PAGE = "/settings/integrations/visma"
PRICE_LIST = "Artikelnummer;Benämning;Enhet;Pris;Moms\r\n1;Skruv;st;2,50;25\r\n".encode()
HTMX = {"HX-Request": "true"}


def html(response: httpx.Response, status: int, *texts: str) -> str:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("text/html"), response.headers["content-type"]
    assert '"detail"' not in response.text
    for text in texts:
        assert text in response.text, response.text
    return response.text


def fragment(response: httpx.Response, status: int, *texts: str) -> None:
    """An htmx answer: the message alone, put in the page's message area (base.html lets htmx swap a 4xx)."""
    body = html(response, status, *texts)
    assert "<html" not in body
    assert 'id="fel"' in body
    assert response.headers["HX-Retarget"] == "#meddelanden"
    assert response.headers["HX-Reselect"] == "#fel"


# --- the Visma settings page ----------------------------------------------------------------------------------


def test_visma_page_refusals_are_pages_and_change_nothing(user: User, web_container: Container) -> None:
    db, company_id = web_container.db, user.company.id
    before = connection_status(db, company_id)

    html(user.post(VISMA_PAGE, {"action": "activate"}, csrf=False), 403, "Formuläret har gått ut")
    html(user.post(VISMA_PAGE, {"action": "activate", "csrf": "forged"}, csrf=False), 403, "Formuläret har gått ut")
    back = {"Referer": f"http://testserver{VISMA_PAGE}"}
    page = html(user.post(VISMA_PAGE, {"action": "hacka"}, headers=back), 422, "Knappen: Välj ett av alternativen.")
    assert f'href="{VISMA_PAGE}">Tillbaka<' in page  # back to the form it came from
    elsewhere = html(user.post(VISMA_PAGE, {"action": "hacka"}, headers={"Referer": "https://evil.example/"}), 422)
    assert 'href="/invoices">Till fakturorna<' in elsewhere  # never a link to another site
    html(user.post(VISMA_PAGE, {"action": "connect"}), 409, "Aktivera integrationen innan du kopplar")
    assert connection_status(db, company_id) == before

    for mode in ({}, {"mode": "kvitto"}):
        page = html(user.post(VISMA_PAGE, {"action": "mode", **mode}), 422, "Välj verifikationer eller fakturautkast.")
        assert 'id="m-mode"' in page  # at the field, on the settings page itself
        assert "Exportläge" in page
    assert connection_status(db, company_id).mode == before.mode


def test_a_visma_call_that_cannot_be_made_is_explained_on_the_page(user: User, web_container: Container) -> None:
    activate(web_container.db, user.company.id)
    before = connection_status(web_container.db, user.company.id)
    for action in ("check", "fallback_articles"):
        html(user.post(VISMA_PAGE, {"action": action}), 409, "inte kopplat till Visma eEkonomi")
    assert connection_status(web_container.db, user.company.id) == before


def test_a_visma_callback_nobody_started_is_a_page(user: User) -> None:
    html(user.get("/integrations/visma/callback", params={"state": "x" * 500}), 422, "Kopplingens kod från Visma")
    unknown = user.get("/integrations/visma/callback", params={"state": "okänd"})
    html(unknown, 400, "Tillbaka till Visma-inställningarna")


# --- the registers pages ---------------------------------------------------------------------------------------


def test_register_file_refusals_are_told_at_the_file_field(user: User, web_container: Container) -> None:
    db, company_id = web_container.db, user.company.id
    csrf = {"csrf": user.csrf("/registers/articles")}
    no_file = html(user.client.post("/registers/articles/preview", data=csrf), 422, "Välj en fil att importera.")
    assert 'id="m-file"' in no_file
    assert 'aria-invalid="true"' in no_file
    columns = {"file": ("lista.csv", b"Kod;Text\r\n1;x\r\n", "text/csv")}
    html(user.client.post("/registers/articles/preview", data=csrf, files=columns), 422, "Artikelnummer")
    broken = {"file": ("lista.xlsx", b"PK\x03\x04trasig", "application/octet-stream")}
    html(user.client.post("/registers/customers/preview", data=csrf, files=broken), 422, 'id="m-file"')
    good = {"file": ("lista.csv", PRICE_LIST, "text/csv")}
    forged = user.client.post("/registers/articles/preview", data={"csrf": "forged"}, files=good)
    html(forged, 403, "Formuläret har gått ut")
    assert list_runs(db, company_id) == []
    assert list_articles(db, company_id) == []


def test_register_visma_refusals_are_told_in_the_visma_section(user: User, web_container: Container) -> None:
    for kind, action in (("articles", "push"), ("customers", "pull")):
        page = html(user.post(f"/registers/{kind}/preview", {"action": action}), 409, "inte kopplat")
        assert page.index("inte kopplat") > page.index('id="visma-head"')
        html(user.post(f"/registers/{kind}/apply", {"operation": f"{kind}_{action}"}), 409, "inte kopplat")
    assert list_runs(web_container.db, user.company.id) == []


def test_register_apply_refusals_write_nothing(user: User, other_user: User, web_container: Container) -> None:
    db = web_container.db
    csrf = {"csrf": user.csrf("/registers/articles")}
    files = {"file": ("lista.csv", PRICE_LIST, "text/csv")}
    assert user.client.post("/registers/articles/preview", data=csrf, files=files).status_code == 200
    [run] = list_runs(db, user.company.id)

    html(other_user.post("/registers/articles/apply", {"run_id": str(run.id)}), 404, "Körningen finns inte.")
    html(user.post("/registers/articles/apply", {"run_id": "tolv"}), 404, "Körningen finns inte.")
    html(user.post("/registers/articles/apply", {"operation": "articles_import"}), 409, "Förhandsgranska först")
    assert list_articles(db, user.company.id) == []

    assert user.post("/registers/articles/apply", {"run_id": str(run.id)}).status_code == 303
    decided = {"run_id": str(run.id), "decide:1": "use_incoming"}
    html(user.post("/registers/articles/apply", decided), 409, f"Körning {run.id} är redan genomförd.")
    with db.transaction() as session:
        decisions = session.scalar(select(RegisterRun.decisions_json).where(RegisterRun.id == run.id))
    assert json.loads(decisions or "{}") == {}


def test_register_addresses_to_nothing_are_pages_and_fragments(user: User) -> None:
    html(user.get("/registers/leverantorer"), 404, "Adressen pekar inte på något som finns.", "Till fakturorna")
    html(user.get("/registers/articles/runs/999999"), 404, "Körningen finns inte")
    fragment(user.get("/registers/articles/runs/999999", headers=HTMX), 404, "Körningen finns inte")


# --- the invoice, customer and article pages -------------------------------------------------------------------


def test_page_addresses_and_parameters_refused_in_swedish(user: User) -> None:
    html(user.get("/invoices/tolv"), 404, "Sidan finns inte")
    html(user.get("/invoices", params={"tab": "arkiv"}), 422, "Fliken: Välj ett av alternativen.")
    html(user.get("/invoices/1/export-badge", params={"detalj": "ja"}), 422, "Adressen: Skriv ett heltal.")
    fragment(user.get("/customers", params={"q": "x" * 101}, headers=HTMX), 422, "Sökningen: Texten är för lång.")
    fragment(
        user.get("/customers/validate/org_number", params={"org_number": "5" * 60}, headers=HTMX),
        422,
        "Organisationsnummer: Texten är för lång.",
    )


def test_htmx_actions_refused_show_why_in_the_message_area(user: User, web_container: Container) -> None:
    forged = {"HX-Request": "true", "X-CSRF-Token": "forged"}
    fragment(user.client.post("/invoices/preview", data={}, headers=forged), 403, "Formuläret har gått ut")
    fragment(user.post("/invoices/999999/export-again", {}, headers=HTMX), 404, "Fakturan finns inte")
    fragment(user.post("/invoices/999999", {"action": "add_row-labour"}, headers=HTMX), 404, "Fakturan finns inte")
    fragment(user.post("/billing/import-payments", {"csrf": "forged"}, csrf=False, headers=HTMX), 403, "gått ut")
    assert invoices.list_invoices(web_container.db, user.company.id) == []


def test_every_form_sent_with_an_expired_token_is_a_swedish_page_and_changes_nothing(
    user: User, web_container: Container
) -> None:
    db, company_id = web_container.db, user.company.id
    customer = customers.create_customer(db, company_id, CustomerInput(name="Kvar Som Förut"))
    article = articles.create_article(db, company_id, ArticleInput(number="A-1", name="Kabel", unit_price=Decimal(10)))
    row = {"text": "Arbete", "quantity": "1", "unit_price": "100"}
    draft = invoices.create_invoice(
        db, company_id, InvoiceInput.model_validate({"customer_number": customer.customer_number, "rows": [row]})
    )

    def state() -> object:
        return (
            customers.list_customers(db, company_id),
            articles.list_articles(db, company_id),
            invoices.list_invoices(db, company_id),
            list_runs(db, company_id),
            connection_status(db, company_id),
        )

    before = state()
    changes = {"name": "Ändrad", "number": "A-2", "unit_price": "1", "customer_number": customer.customer_number}
    paths = [
        "/customers/new",
        f"/customers/{customer.id}/edit",
        "/articles/new",
        f"/articles/{article.id}/edit",
        "/invoices/new",
        f"/invoices/{draft.id}",
        f"/invoices/{draft.id}/delete",
        f"/invoices/{draft.id}/approve",
        f"/invoices/{draft.id}/export-again",
        "/billing/import-payments",
        "/billing/export-pending",
        VISMA_PAGE,
        "/registers/articles/preview",
        "/registers/customers/apply",
        "/logout",
    ]
    for path in paths:
        for token in ({}, {"csrf": "forged"}):
            form = {**changes, "action": "activate", "rows-0-kind": "other", "rows-0-text": "Nytt", **token}
            html(user.post(path, form, csrf=False), 403, "Formuläret har gått ut. Ladda om sidan och försök igen.")
    assert state() == before
    assert user.get("/invoices").status_code == 200  # still logged in


def test_a_login_form_without_its_fields_is_a_page(app: object, web_container: Container) -> None:
    stranger = User(app, web_container)
    html(stranger.client.post("/login", data={"csrf": stranger.csrf()}), 422, "E-post: Fyll i fältet.")
    html(stranger.client.post("/login", data={"email": stranger.email, "password": "x"}), 403, "gått ut")
    assert stranger.get("/invoices").status_code == 303  # not logged in


def test_an_address_no_route_matches_is_a_page_outside_the_api(user: User) -> None:
    html(user.get("/fakturor"), 404, "Sidan finns inte. Kontrollera adressen")
    html(user.get("/logout"), 405, "Sidan kan inte öppnas så här.")
    fragment(user.get("/fakturor", headers=HTMX), 404, "Sidan finns inte")
    api = user.get("/api/v1/fakturor")
    assert api.status_code == 404
    assert api.headers["content-type"] == "application/json"


def test_the_rest_api_keeps_its_json(user: User, web_container: Container) -> None:
    headers = {"Authorization": f"Bearer {create_api_token(web_container.db, user.company.id).token}"}
    refused = user.client.put("/api/v1/integrations/visma", json={"mode": "kvitto"}, headers=headers)
    assert refused.status_code == 422
    assert refused.headers["content-type"] == "application/json"
    assert refused.json()["detail"][0]["loc"] == ["body", "mode"]
    missing = user.client.get("/api/v1/registers/runs/999999", headers=headers | HTMX)
    assert missing.status_code == 404
    assert missing.json()["detail"][0]["type"] == "not_found"
