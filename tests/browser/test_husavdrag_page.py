"""Husavdrag in a real browser, at 1280 px and 390 px: a paid ROT invoice with two buyers is claimed from the
page (the unpaid one says why it cannot be), the downloaded file validates against Skatteverket's XSD, a decision
with a partial refusal is entered, the buyer is invoiced the difference and the overview counts it.

The module starts its own `fakturabro serve`: Visma must not be connected (the seed flow connects it), so the
invoices stay in fakturabro and their claim is made here."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from fakturabro.skatteverket.begaran import validation_errors

from .conftest import Server, screenshot, serve
from .test_reconciliation_page import overflow
from .test_seed_flow import log_in

pytestmark = pytest.mark.browser

BUYERS = ("19811218-9876", "19850203-2397")  # test personnummer (valid checksums), not real people


@pytest.fixture(scope="module")
def own_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with serve(tmp_path_factory.mktemp("fakturabro-husavdrag")) as running:
        yield running


def api_token(page: Page, server: Server) -> httpx.Client:
    """A write token made on Inställningar → API, as an integrator would."""
    page.goto(f"{server.url}/settings/api")
    page.get_by_label("Namn").fill("Husavdragstest")
    page.get_by_role("button", name="Skapa token").click()
    token = page.locator("#new-token").inner_text()
    return httpx.Client(base_url=f"{server.url}/api/v1", headers={"Authorization": f"Bearer {token}"}, timeout=30)


def rot_invoice(api: httpx.Client, *, paid: bool) -> dict[str, Any]:
    """10 h × 500 kr electrical work and 800 kr cable for a house with two owners: 30 % of 6 250 kr labour is
    937,50 kr each, whole kronor on the invoice and in the claim, so 937 kr each and 1 874 kr in all."""
    customer = api.post("/customers", json={"name": "Anna och Per Andersson", "personal_number": BUYERS[0]})
    assert customer.status_code == 201, customer.text
    body = {
        "customer_number": customer.json()["customer_number"],
        "rows": [
            {"kind": "labour", "text": "Elarbete", "quantity": "10", "unit": "tim", "unit_price": "500",
             "house_work_type": "el"},
            {"kind": "material", "text": "Kabel", "quantity": "1", "unit": "st", "unit_price": "800"},
        ],
        "house_work": {
            "type": "rot",
            "persons": [{"personal_number": BUYERS[0], "share": "50"}, {"personal_number": BUYERS[1], "share": "50"}],
            "property_designation": "Malmö Kungsten 3:12",
        },
    }  # fmt: skip
    draft = api.post("/invoices", json=body)
    assert draft.status_code == 201, draft.text
    approved = api.post(f"/invoices/{draft.json()['id']}/approve")
    assert approved.status_code == 200, approved.text
    invoice: dict[str, Any] = approved.json()
    if paid:
        payment = {"amount": invoice["totals"]["to_pay"], "payment_date": date.today().isoformat()}
        registered = api.post(f"/invoices/{invoice['id']}/payments", json=payment)
        assert registered.status_code == 201, registered.text
    return invoice


def test_a_claim_its_file_a_partial_refusal_and_the_invoice_back(page: Page, own_server: Server) -> None:
    log_in(page, own_server)
    with api_token(page, own_server) as api:
        paid = rot_invoice(api, paid=True)
        unpaid = rot_invoice(api, paid=False)

    page.get_by_role("navigation", name="Huvudmeny").get_by_role("link", name="Husavdrag").click()
    expect(page.get_by_role("heading", name="Husavdrag", exact=True)).to_be_visible()
    # The demo company exports to Visma eEkonomi; this tradesperson makes the claim in fakturabro instead.
    exported = page.locator(f"tr[data-invoice='{paid['id']}'] [data-refusal]")
    expect(exported).to_contain_text("exporterad till Visma eEkonomi")
    page.get_by_label("I fakturabro (filen till Skatteverket görs här)").check()
    page.get_by_role("button", name="Spara", exact=True).click()
    waiting = page.locator(f"tr[data-invoice='{unpaid['id']}']")
    expect(waiting).to_contain_text("inte betald")
    expect(waiting.get_by_role("checkbox")).to_have_count(0)
    expect(page.locator(f"#pick-{paid['id']}")).to_be_checked()
    assert overflow(page) <= 1
    screenshot(page, "40-husavdrag")

    page.get_by_role("button", name="Skapa begäran om utbetalning (ROT-avdrag)").click()
    expect(page.get_by_role("status")).to_contain_text("Begäran är skapad")
    expect(page.locator("#requested")).to_have_text("1\xa0874,00\xa0kr")
    buyers = page.locator(f"tr[data-invoice='{paid['id']}']")
    expect(buyers).to_contain_text("19811218-****: 937,00\xa0kr")
    expect(buyers).to_contain_text("19850203-****: 937,00\xa0kr")
    expect(page.locator("body")).not_to_contain_text(BUYERS[0].replace("-", ""))
    with page.expect_download() as download:
        page.locator("#download").click()
    xml = Path(download.value.path()).read_bytes()
    assert validation_errors(xml) == []
    assert xml.count(b"BegartBelopp>937</") == 2
    screenshot(page, "41-husavdrag-begaran")

    # Skatteverket approves the first buyer's 937 kr and 563 kr of the second's: 374 kr is theirs to pay.
    page.get_by_label("Godkänt för 19811218-****").fill("937")
    page.get_by_label("Godkänt för 19850203-****").fill("563,00")
    page.get_by_label("Skäl om något avslogs").fill("Delvis avslag: arbetet var inte slutfört")
    page.get_by_label("Beslutsdatum").fill(date.today().isoformat())
    page.get_by_role("button", name="Spara beslutet").click()
    decided = page.locator(f"tr[data-invoice='{paid['id']}']")
    expect(decided).to_contain_text("Delvis avslag: arbetet var inte slutfört")
    expect(decided).to_contain_text("1\xa0500,00\xa0kr")
    expect(decided).to_contain_text("19850203-****: 937,00\xa0kr → 563,00\xa0kr")
    screenshot(page, "42-husavdrag-beslut")

    page.get_by_role("link", name="Fakturera köparen 374,00\xa0kr").click()
    expect(page.locator("#difference")).to_have_text("374,00\xa0kr")
    screenshot(page, "43-husavdrag-fakturera-mellanskillnaden")
    page.get_by_role("button", name="Skapa och godkänn fakturan").click()
    expect(page.locator("body")).to_contain_text(f"faktura {paid['number']}")
    expect(page.locator("body")).to_contain_text("374,00\xa0kr")
    screenshot(page, "44-husavdrag-faktura-till-kopare")

    page.goto(f"{own_server.url}/invoices/{paid['id']}")
    expect(page.locator("#claim-state")).to_have_text("Godkänd")  # in part: 1 500 of 1 874 kr
    expect(page.get_by_role("link", name="faktura till köparen")).to_be_visible()

    page.goto(f"{own_server.url}/husavdrag?ar={date.today().year}#oversikt")
    expect(page.locator("#refused")).to_have_text("374,00\xa0kr")
    expect(page.locator("#invoiced-back")).to_have_text("374,00\xa0kr")
    screenshot(page, "45-husavdrag-oversikt")


def test_the_husavdrag_pages_fit_a_phone(browser: Browser, own_server: Server) -> None:
    context = browser.new_context(locale="sv-SE", viewport={"width": 390, "height": 844})
    page = context.new_page()
    log_in(page, own_server)
    with api_token(page, own_server) as api:
        paid = rot_invoice(api, paid=True)
        rot_invoice(api, paid=False)
        assert api.put("/husavdrag/settings", json={"claims_in": "fakturabro"}).status_code == 200
        claim = api.post("/husavdrag/claims", json={"type": "rot", "invoice_ids": [paid["id"]]})
        assert claim.status_code == 201, claim.text

    page.goto(f"{own_server.url}/husavdrag")
    expect(page.get_by_role("heading", name="Husavdrag", exact=True)).to_be_visible()
    expect(page.locator("#begaranden").get_by_role("link", name=claim.json()["name"])).to_be_visible()
    assert overflow(page) <= 1
    screenshot(page, "46-husavdrag-mobil")

    page.goto(f"{own_server.url}/husavdrag/claims/{claim.json()['id']}")
    expect(page.get_by_role("button", name="Spara beslutet")).to_be_visible()
    assert overflow(page) <= 1
    screenshot(page, "47-husavdrag-begaran-mobil")
    context.close()
