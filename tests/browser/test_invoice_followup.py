"""Following an invoice in the browser, on a desktop (1280 px) and a phone (390 px): crediting it (whole and
partial), finding it with the search and the filters, the customer page with what the customer owes."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from .conftest import Server, screenshot
from .test_seed_flow import log_in

pytestmark = pytest.mark.browser


@pytest.fixture(params=[1280, 390], ids=["1280px", "390px"])
def sized_page(request: pytest.FixtureRequest, browser: Browser) -> Iterator[tuple[Page, int]]:
    width: int = request.param
    context = browser.new_context(locale="sv-SE", viewport={"width": width, "height": 900})
    context.set_default_timeout(15_000)
    yield context.new_page(), width
    context.close()


def _new_customer(page: Page, server: Server, name: str) -> int:
    page.goto(f"{server.url}/customers/new")
    page.get_by_label("Namn").fill(name)
    page.get_by_label("E-post").fill("kund@example.se")
    page.get_by_role("button", name="Spara kund").click()
    expect(page.get_by_text("Kunden är sparad")).to_be_visible()
    page.get_by_role("link", name=name, exact=True).click()
    return int(page.url.rsplit("/", 1)[1])


def _approved_invoice(page: Page, server: Server, customer_id: int, day: str) -> int:
    """An invoice of two rows dated ``day``, written through the editor's form and approved with its button."""
    page.goto(f"{server.url}/customers/{customer_id}")
    page.get_by_role("link", name="+ Ny faktura").click()
    token = page.locator("#editor input[name=csrf]").get_attribute("value")
    customer_number = page.locator("[name=customer_number]").input_value()
    form = {"csrf": token or "", "customer_number": customer_number, "invoice_date": day, "action": "save"}
    rows = [("labour", "Arbete", "3", "tim", "600"), ("material", "Rör", "10", "m", "40")]
    for index, (kind, text, quantity, unit, price) in enumerate(rows):
        form |= {
            f"rows-{index}-kind": kind,
            f"rows-{index}-text": text,
            f"rows-{index}-quantity": quantity,
            f"rows-{index}-unit": unit,
            f"rows-{index}-unit_price": price,
            f"rows-{index}-vat_rate": "25",
        }
    saved = page.request.post(f"{server.url}/invoices/new", form=form, max_redirects=0)
    assert saved.status == 303, saved.text()
    invoice_id = int(re.findall(r"/invoices/(\d+)", saved.headers["location"])[0])
    page.goto(f"{server.url}/invoices/{invoice_id}/approve")
    page.get_by_role("button", name=re.compile("Godkänn som faktura")).click()
    expect(page.get_by_text("Fakturan är godkänd")).to_be_visible()
    return invoice_id


def _fits(page: Page, width: int) -> None:
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 1, f"{page.url} is {overflow}px wider than the {width}px screen"


def test_credit_search_and_customer_page(sized_page: tuple[Page, int], server: Server) -> None:
    page, width = sized_page
    log_in(page, server)
    name = f"Örjan Ångström {width}"
    customer_id = _new_customer(page, server, name)
    overdue_id = _approved_invoice(page, server, customer_id, "2026-01-15")
    whole_id = _approved_invoice(page, server, customer_id, "2026-11-30")

    # Overdue: marked on the invoice, with a Kreditera button.
    page.goto(f"{server.url}/invoices/{overdue_id}")
    expect(page.locator("#overdue")).to_contain_text("Förfallen sedan")
    _fits(page, width)
    number = page.get_by_role("heading", level=1).inner_text().split()[-1]

    # Partial credit: two metres of pipe back.
    page.get_by_role("link", name="Kreditera").click()
    page.get_by_label("Valda rader och antal").check()
    page.get_by_label("Kreditera Rör").check()
    page.get_by_label("Antal att kreditera av Rör").fill("2")
    page.get_by_label("Orsak").fill("Två meter rör för mycket")
    _fits(page, width)
    screenshot(page, f"40-kreditera-rader-{width}")
    page.get_by_role("button", name="Skapa kreditfaktura").click()
    expect(page.get_by_text(f"Kreditfaktura till faktura {number}: Två meter rör för mycket")).to_be_visible()
    page.get_by_role("button", name=re.compile("Godkänn som faktura")).click()
    expect(page.locator("#credits")).to_contain_text(f"Krediterar faktura {number}: Två meter rör för mycket")
    expect(page.get_by_text(re.compile(r"[-−]100,00\s*kr")).first).to_be_visible()  # 2 m à 40 kr + 25 % moms
    screenshot(page, f"41-kreditfaktura-{width}")

    # Whole credit of the other invoice: it ends up Krediterad.
    page.goto(f"{server.url}/invoices/{whole_id}/credit")
    page.get_by_label("Orsak").fill("Fel kund")
    page.get_by_role("button", name="Skapa kreditfaktura").click()
    page.get_by_role("button", name=re.compile("Godkänn som faktura")).click()
    page.goto(f"{server.url}/invoices/{whole_id}")
    expect(page.locator("#invoice-status")).to_have_text("Krediterad")
    expect(page.get_by_role("link", name="Kreditera")).to_have_count(0)

    # Search: typing the customer's name narrows the list (htmx), the overdue filter keeps only the overdue one.
    page.goto(f"{server.url}/invoices")
    page.get_by_label("Sök faktura").fill(f"ångström {width}")
    expect(page.locator("#match-count")).to_contain_text("4 fakturor matchar")  # two invoices, two credits
    page.get_by_text("Filter", exact=True).click()
    page.get_by_label("Bara förfallna").check()
    expect(page.locator("#match-count")).to_contain_text("1 faktura matchar")
    expect(page.locator(f'[data-overdue="{overdue_id}"]')).to_be_visible()
    assert "forfallna=1" in page.url
    _fits(page, width)
    screenshot(page, f"42-fakturor-sok-filter-{width}")

    # The customer page: what is unpaid and what of it is overdue (the partly credited invoice).
    page.goto(f"{server.url}/customers/{customer_id}")
    expect(page.get_by_role("heading", name=name)).to_be_visible()
    expect(page.locator("#overdue-total")).to_have_text("2\xa0650,00\xa0kr")  # 2 750 kr less the 100 kr credit
    expect(page.locator("#unpaid")).to_have_text("2\xa0650,00\xa0kr")
    expect(page.locator("#match-count")).to_contain_text("4 fakturor")
    _fits(page, width)
    screenshot(page, f"43-kund-{width}")
