"""Inställningar → Visma → Avstämning in a real browser, at 1280 px and 390 px: the run against the seeded Visma
company finds the demo's customers whose numbers are other customers there, and one is resolved on the page."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Page, expect

from .conftest import Server, screenshot
from .test_seed_flow import connect_visma, log_in

pytestmark = pytest.mark.browser
PAGE = "/settings/integrations/visma/reconciliation"


def run_reconciliation(page: Page, server: Server) -> None:
    page.goto(f"{server.url}/settings/integrations/visma")
    if page.locator("[data-state=connected]").count() == 0:
        connect_visma(page, server)
    page.get_by_role("link", name="Öppna avstämningen").click()
    expect(page.get_by_role("heading", name="Avstämning mot Visma")).to_be_visible()
    page.get_by_role("button", name="Kör avstämningen nu").click()
    expect(page.locator("#reconciliation-body")).to_have_attribute("data-state", "done", timeout=60_000)


def overflow(page: Page) -> int:
    return int(page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth"))


def test_the_reconciliation_page_finds_and_resolves_a_collision(page: Page, server: Server) -> None:
    log_in(page, server)
    run_reconciliation(page, server)

    erik = page.locator("article.finding[data-kind=number_collision]").filter(has_text="Erik Johansson")
    expect(erik).to_contain_text("Kundnummer 1002 är en annan kund i Visma")
    expect(erik).to_contain_text("Byggbolaget i Väst AB")
    expect(erik).to_contain_text("850203-****")
    expect(page.locator("body")).not_to_contain_text("19850203")
    expect(page.locator("[data-key=numbering]")).to_be_visible()
    assert overflow(page) <= 1
    screenshot(page, "30-avstamning")

    erik.get_by_role("button", name="Ge kunden här ett nytt kundnummer").click()

    expect(page.get_by_role("status")).to_contain_text("Avvikelsen är löst")
    resolved = page.locator("article.finding").filter(has_text="Erik Johansson")
    expect(resolved).to_contain_text("✓ Löst")
    expect(resolved).to_contain_text(re.compile(r"nytt kundnummer \d+"))
    expect(resolved.get_by_role("button")).to_have_count(0)
    screenshot(page, "31-avstamning-lost")


def test_the_reconciliation_page_fits_a_phone(browser: Browser, server: Server) -> None:
    context = browser.new_context(locale="sv-SE", viewport={"width": 390, "height": 844})
    page = context.new_page()
    log_in(page, server)
    page.goto(f"{server.url}{PAGE}")
    if page.locator("#reconciliation-body[data-state=done]").count() == 0:
        run_reconciliation(page, server)
        page.goto(f"{server.url}{PAGE}")

    expect(page.locator("article.finding").first).to_be_visible()
    assert overflow(page) <= 1, "the reconciliation page is wider than the phone"
    first = page.locator("article.finding").first.get_by_role("button").first
    if first.count():
        box = first.bounding_box()
        assert box is not None
        assert box["x"] + box["width"] <= 390
    screenshot(page, "32-mobil-avstamning")
    page.locator("article.finding").first.screenshot(path=str(screenshot(page, "33-mobil-avvikelse")))
    context.close()
