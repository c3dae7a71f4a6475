"""The seed end to end in a real browser: log in, activate and connect Visma through the sandbox's login and
consent page, fix what the settings check finds, create a customer and a ROT invoice, approve it, watch the
export badge turn to exported, let the bookkeeper convert and pay it in Visma (the sandbox), import the payments
and find the invoice under Betalade. Screenshots of the main pages are saved on the way."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect

from .conftest import Server, screenshot

pytestmark = pytest.mark.browser

DEMO_EMAIL = "demo@demobygg.se"
DEMO_PASSWORD = "demo-bygg-2026"  # the demo login `fakturabro serve` prints
VISMA_EMAIL = "demo@sandbox.local"  # the sandbox's seeded Visma user
VISMA_PASSWORD = "sandbox"
PERSONNUMMER = "19850203-2397"  # a test number with a valid checksum, not a real person
EXPORT_TIMEOUT_MS = 90_000


def log_in(page: Page, server: Server) -> None:
    page.goto(f"{server.url}/login")
    page.get_by_label("E-post").fill(DEMO_EMAIL)
    page.get_by_label("Lösenord").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Logga in").click()
    expect(page).to_have_url(re.compile(r"/invoices$"))


def connect_visma(page: Page, server: Server) -> None:
    page.get_by_role("navigation", name="Huvudmeny").get_by_role("link", name="Inställningar").click()
    page.get_by_role("link", name=re.compile("Visma eEkonomi")).first.click()
    if page.locator("[data-state=connected]").count():  # an earlier test on this server connected already
        return
    page.get_by_role("button", name="Aktivera integration").click()
    expect(page.get_by_role("button", name="Koppla till Visma eEkonomi")).to_be_visible()
    screenshot(page, "04-visma-aktiverad")
    page.get_by_role("button", name="Koppla till Visma eEkonomi").click()
    # Visma Connect (the sandbox): log in and allow.
    page.locator("input[name=username]").fill(VISMA_EMAIL)
    page.locator("input[name=password]").fill(VISMA_PASSWORD)
    screenshot(page, "05-visma-inloggning")
    page.get_by_role("button", name=re.compile("godkänn", re.IGNORECASE)).click()
    expect(page.get_by_text("Kopplingen till Visma eEkonomi är klar")).to_be_visible()


def sandbox_api(server: Server) -> httpx.Client:
    token = httpx.post(f"{server.sandbox}/_sandbox/token", json={}, timeout=10)
    token.raise_for_status()
    headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
    return httpx.Client(base_url=f"{server.sandbox}/v2", headers=headers, timeout=30)


def next_invoice_number(page: Page) -> int:
    """Our next invoice number, as the settings check tells the user to set it in Visma (1 on a fresh server;
    more when another test on this server approved invoices first)."""
    series = page.locator("[data-key=invoice_number_series]")
    if series.get_attribute("data-ok") == "true":
        agreed = re.search(r"nästa faktura får nummer (\d+)", series.inner_text())
        assert agreed, series.inner_text()
        return int(agreed.group(1))
    found = re.search(r"i Visma \(inställningarna för fakturering\) till (\d+)", series.inner_text())
    assert found, series.inner_text()
    return int(found.group(1))


def failing_checks(page: Page) -> list[str]:
    return page.locator("[data-ok=false]").evaluate_all("items => items.map(item => item.dataset.key)")


def test_the_seed_end_to_end(page: Page, server: Server) -> None:
    log_in(page, server)
    screenshot(page, "01-fakturor")

    connect_visma(page, server)
    assert failing_checks(page), "the seeded Visma company should need fixes"
    screenshot(page, "06-visma-kontroll-att-atgarda")

    # Fix the failing settings in Visma (the sandbox's control API plays the user in Visma's settings) ...
    fixed = httpx.put(
        f"{server.sandbox}/_sandbox/companysettings",
        json={
            "ShowPricesExclVatPC": True,
            "UsesReverseConstructionVat": True,
            "NextCustomerInvoiceNumber": next_invoice_number(page),
        },
        timeout=10,
    )
    assert fixed.status_code == 200, fixed.text
    visma = sandbox_api(server)
    make_private_person(visma, "1002")  # our 1002 is a private person; Visma's seeded 1002 is a company
    # ... and let us create the fallback articles, then check again.
    page.get_by_role("button", name="Skapa artiklarna").click()
    expect(page.locator("#klart")).to_contain_text("reservartiklar är skapade i Visma")  # said, not silent
    page.get_by_role("button", name="Kontrollera nu").click()
    # The check reads Visma's settings, articles and customers again: longer than 5 s on a loaded machine.
    expect(page.locator("[data-ok=false]")).to_have_count(0, timeout=20_000)
    expect(page.get_by_role("button", name="Skapa artiklarna")).to_have_count(0)  # nothing is missing now
    screenshot(page, "07-visma-kontroll-ok")

    # A new private customer, with live validation of the personnummer.
    page.get_by_role("link", name="Kunder", exact=True).click()
    screenshot(page, "02-kunder")
    page.get_by_role("link", name="+ Ny kund").click()
    page.get_by_label("Namn").fill("Per Persson-Långnamnsson på Ekvägen")
    page.get_by_label("Personnummer").fill("19850203-2398")
    expect(page.get_by_text("Personnumret är ogiltigt")).to_be_visible()
    page.get_by_label("Personnummer").fill(PERSONNUMMER)
    expect(page.get_by_text("Giltigt personnummer")).to_be_visible()
    expect(page.locator("#customer-kind")).to_contain_text("Privatperson")
    page.get_by_label("Adress", exact=True).fill("Ekvägen 3")
    page.get_by_label("Postnummer").fill("413 01")
    page.get_by_label("Ort").fill("Göteborg")
    screenshot(page, "08-ny-kund")
    page.get_by_role("button", name="Spara kund").click()
    expect(page.get_by_text("Kunden är sparad")).to_be_visible()

    # A ROT invoice: labour on article 8000 (exists in Visma too), material, husavdrag.
    page.get_by_role("link", name="Fakturor").click()
    page.get_by_role("link", name="+ Ny faktura").click()
    customer = page.locator("#f-customer option", has_text="Per Persson").get_attribute("value")
    page.get_by_label("Kund").select_option(customer)
    page.wait_for_load_state("networkidle")  # the editor re-renders with the customer's defaults
    page.locator("#r0-article_number").fill("8000")
    page.locator("#r0-article_number").press("Tab")
    expect(page.locator("#r0-text")).to_have_value("Montör")  # filled from the article
    page.locator("#r0-quantity").fill("8")
    page.locator("#r0-hours").fill("8")
    page.locator("#r0-house_work_type").select_option("bygg")
    page.locator("#r1-kind").select_option("material")
    page.locator("#r1-text").fill("Virke och skruv")
    page.locator("#r1-quantity").fill("1")
    page.locator("#r1-unit_price").fill("1 250,50")
    page.get_by_label("Avdrag").select_option("rot")
    page.get_by_label("Personnummer 1").fill(PERSONNUMMER)
    page.get_by_label("Andel %").first.fill("100")
    page.get_by_label("Fastighetsbeteckning", exact=True).fill("Göteborg Eken 3:14")
    expect(page.get_by_text("Redo att godkännas")).to_be_visible()
    expect(page.locator("#deduction-amount")).not_to_have_text("−0,00\u00a0kr")
    to_pay = page.locator("#to-pay").inner_text()
    screenshot(page, "09-fakturautkast")
    page.get_by_role("button", name="Spara och godkänn …").click()

    expect(page.get_by_role("heading", name="Godkänn fakturan?")).to_be_visible()
    number = page.locator("#next-number").inner_text()
    screenshot(page, "10-godkann")
    page.get_by_role("button", name=f"Godkänn som faktura {number}").click()
    expect(page.get_by_text(f"Fakturan är godkänd och har fått nummer {number}")).to_be_visible()
    invoice_url = page.url

    # The export badge polls itself until the export is final.
    expect(page.locator("[data-export-state]")).to_have_attribute(
        "data-export-state", "exported", timeout=EXPORT_TIMEOUT_MS
    )
    expect(page.locator(".badge-ok", has_text="Exporterad")).to_be_visible()
    screenshot(page, "11-faktura-exporterad")

    # The export read Visma's articles: 8000 exists there too, the demo's cable will land on the fallback article.
    page.get_by_role("link", name="Artiklar").click()
    expect(page.get_by_role("row").filter(has_text="Montör")).to_contain_text("Samma nummer")
    expect(page.get_by_role("row").filter(has_text="Installationskabel")).to_contain_text("Reservartikel")
    screenshot(page, "03-artiklar")
    page.goto(invoice_url)

    # In Visma, the bookkeeper converts the draft into an invoice and the customer pays it.
    drafts: list[dict[str, Any]] = visma.get("/customerinvoicedrafts").json()["Data"]
    ours = [d for d in drafts if d.get("RotReducedInvoicingPropertyName") or "Eken" in str(d)]
    draft = ours[-1] if ours else drafts[-1]
    converted = visma.post(f"/customerinvoicedrafts/{draft['Id']}/convert", json={})
    assert converted.status_code == 201, converted.text
    invoice = converted.json()
    remaining = Decimal(str(invoice.get("RemainingAmount", invoice.get("TotalAmount"))))
    paid = visma.post(
        f"/customerinvoices/{invoice['Id']}/payments",
        json={
            "CompanyBankAccountId": _bank_account(visma),
            "PaymentAmount": float(remaining),
            "PaymentCurrency": "SEK",
            "PaymentType": 2,
        },
    )
    assert paid.status_code == 201, paid.text

    # Fakturering → Import/Export → Importera betalningar.
    page.get_by_role("link", name="Import/Export").click()
    screenshot(page, "12-import-export")
    page.get_by_role("button", name="Importera betalningar").click()
    expect(page.get_by_text("1 faktura betald")).to_be_visible(timeout=30_000)
    screenshot(page, "13-betalningar-importerade")

    page.get_by_role("link", name="Se betalade fakturor").click()
    row = page.get_by_role("row").filter(has_text="Per Persson")
    expect(row).to_contain_text("Betald")
    expect(row.get_by_role("link", name=number, exact=True)).to_be_visible()
    screenshot(page, "14-betalade")

    page.goto(invoice_url)
    expect(page.locator("#invoice-status")).to_have_text("Betald")
    expect(page.locator("#remaining")).to_have_text("0,00\u00a0kr")
    assert to_pay.replace("\u00a0", " ") in page.locator("body").inner_text().replace("\u00a0", " ")
    screenshot(page, "15-faktura-betald")

    # The printable invoice, as the browser prints it (menu and buttons hidden by the print CSS).
    page.goto(invoice_url.split("?")[0] + "/print")
    page.emulate_media(media="print")
    expect(page.get_by_role("heading", name=f"Faktura {number}")).to_be_visible()
    expect(page.get_by_role("link", name="← Tillbaka")).to_be_hidden()
    screenshot(page, "16-utskrift")


def new_private_customer(page: Page, server: Server, name: str, personnummer: str) -> str:
    """Create a private customer through the customer form; its value in the invoice editor's customer select."""
    page.goto(f"{server.url}/customers/new")
    page.get_by_label("Namn").fill(name)
    page.get_by_label("Personnummer").fill(personnummer)
    page.get_by_label("Adress", exact=True).fill("Ekvägen 5")
    page.get_by_label("Postnummer").fill("413 01")
    page.get_by_label("Ort").fill("Göteborg")
    page.get_by_role("button", name="Spara kund").click()
    expect(page.get_by_text("Kunden är sparad")).to_be_visible()
    page.goto(f"{server.url}/invoices/new")
    value = page.locator("#f-customer option", has_text=name).get_attribute("value")
    assert value is not None
    return value


def make_private_person(visma: httpx.Client, customer_number: str) -> None:
    found = visma.get("/customers", params={"$filter": f"CustomerNumber eq '{customer_number}'"}).json()["Data"]
    customer = {**found[0], "IsPrivatePerson": True, "CorporateIdentityNumber": None, "VatNumber": None}
    customer["ReverseChargeOnConstructionServices"] = False
    answer = visma.put(f"/customers/{customer['Id']}", json=customer)
    assert answer.status_code == 200, answer.text


def _bank_account(visma: httpx.Client) -> str:
    accounts: list[dict[str, Any]] = visma.get("/bankaccounts").json()
    data = accounts["Data"] if isinstance(accounts, dict) else accounts
    return str(data[0]["Id"])


def test_a_refused_export_shows_why_and_goes_through_when_exported_again(page: Page, server: Server) -> None:
    log_in(page, server)
    page.goto(f"{server.url}/settings/integrations/visma")
    if page.locator("[data-state=connected]").count() == 0:  # this test alone: connect and fix first
        connect_visma(page, server)
        httpx.put(
            f"{server.sandbox}/_sandbox/companysettings",
            json={"ShowPricesExclVatPC": True, "UsesReverseConstructionVat": True, "NextCustomerInvoiceNumber": 1},
            timeout=10,
        ).raise_for_status()
        page.get_by_role("button", name="Skapa artiklarna").click()
    # In Visma, "Fakturerar husarbete" is switched off: a ROT invoice cannot be exported.
    rot = httpx.put(f"{server.sandbox}/_sandbox/companysettings", json={"UsesRotReducedInvoicing": False}, timeout=10)
    assert rot.status_code == 200, rot.text

    # A customer of our own: the demo's 1001 and 1002 collide with other people under the same numbers in the
    # seeded Visma company, and such an invoice stops as needs_attention before Visma is asked (the reconciliation
    # tests cover that); this test is about Visma refusing an export.
    customer = new_private_customer(page, server, "Karin Nilsson", "19811218-9876")
    page.goto(f"{server.url}/invoices/new")
    page.get_by_label("Kund").select_option(customer)
    page.wait_for_load_state("networkidle")
    page.locator("#r0-article_number").fill("8001")
    page.locator("#r0-article_number").press("Tab")
    expect(page.locator("#r0-text")).to_have_value("Elarbete ROT")  # filled from the article
    page.locator("#r0-quantity").fill("3")
    page.locator("#r0-hours").fill("3")
    page.get_by_label("Avdrag").select_option("rot")
    page.get_by_label("Personnummer 1").fill("19811218-9876")
    page.get_by_label("Fastighetsbeteckning", exact=True).fill("Malmö Eken 1")
    expect(page.get_by_text("Redo att godkännas")).to_be_visible()
    page.get_by_role("button", name="Spara och godkänn …").click()
    page.get_by_role("button", name=re.compile("Godkänn som faktura")).click()

    badge = page.locator("[data-export-state]")
    expect(badge).to_have_attribute("data-export-state", "failed", timeout=EXPORT_TIMEOUT_MS)
    expect(badge.locator(".export-reason")).not_to_be_empty()
    expect(page.get_by_role("cell", name="3 tim", exact=True)).to_be_visible()  # the quantity typed is kept
    screenshot(page, "17-export-misslyckades")

    # The user switches "Fakturerar husarbete" on in Visma, then exports again from the badge.
    rot = httpx.put(f"{server.sandbox}/_sandbox/companysettings", json={"UsesRotReducedInvoicing": True}, timeout=10)
    assert rot.status_code == 200, rot.text
    badge.get_by_role("button", name="Exportera igen").click()
    expect(page.locator("[data-export-state]")).to_have_attribute(
        "data-export-state", "exported", timeout=EXPORT_TIMEOUT_MS
    )
    page.reload()
    expect(page.get_by_text("avvisad av Visma")).to_be_visible()  # the refusal stays in the export history
    screenshot(page, "18-exporterad-efter-nytt-forsok")
