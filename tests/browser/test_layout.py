"""The pages on a phone-sized screen and with the keyboard only."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, expect

from .conftest import Server, screenshot
from .test_seed_flow import DEMO_EMAIL, DEMO_PASSWORD

pytestmark = pytest.mark.browser
LONG_NAME = "Bostadsrättsföreningen" + "Lång" * 40 + " AB"
PAGES = ["/invoices", "/invoices?tab=utkast", "/customers", "/articles", "/invoices/new", "/invoices/1", "/billing"]


def test_pages_fit_a_narrow_screen(browser: Browser, server: Server) -> None:
    context = browser.new_context(locale="sv-SE", viewport={"width": 375, "height": 800})
    page = context.new_page()
    page.goto(f"{server.url}/login")
    page.get_by_label("E-post").fill(DEMO_EMAIL)
    page.get_by_label("Lösenord").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Logga in").click()
    expect(page.get_by_role("heading", name="Fakturor")).to_be_visible()
    page.goto(f"{server.url}/customers/new")
    page.get_by_label("Namn").fill(LONG_NAME)  # one unbroken word of 185 letters
    page.get_by_role("button", name="Spara kund").click()
    expect(page.get_by_text("Kunden är sparad")).to_be_visible()
    for path in PAGES:
        page.goto(f"{server.url}{path}")
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 1, f"{path} is {overflow}px wider than the screen"
    page.goto(f"{server.url}/invoices/new")
    screenshot(page, "20-mobil-fakturautkast")
    page.goto(f"{server.url}/invoices")
    screenshot(page, "21-mobil-fakturor")
    page.goto(f"{server.url}/customers")
    screenshot(page, "22-mobil-kunder-langt-namn")
    context.close()


def test_login_and_navigation_work_with_the_keyboard(browser: Browser, server: Server) -> None:
    context = browser.new_context(locale="sv-SE")
    page = context.new_page()
    page.goto(f"{server.url}/login")
    expect(page.get_by_label("E-post")).to_be_focused()  # autofocus
    page.keyboard.type(DEMO_EMAIL)
    page.keyboard.press("Tab")
    page.keyboard.type(DEMO_PASSWORD)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Fakturor")).to_be_visible()
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Hoppa till innehållet")).to_be_focused()
    for _ in range(3):  # logo, then the first menu items
        page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Kunder", exact=True)).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Kunder")).to_be_visible()
    context.close()
