"""Every page, at 1280 px and at 390 px: nothing scrolls sideways, no table cell is narrower than its longest
word (no names wrapped letter by letter), and axe-core finds no serious or critical accessibility violation.

One app (in this process, on a free port) and one seeded book (``walk_book``) serve the whole module; each page is
opened once per width in a fresh, logged-in context. Screenshots of every page at both widths are written to
``test-artifacts/walk/`` (``FAKTURABRO_WALK_SCREENSHOTS`` to change it) for a person to look through.

axe-core (MPL-2.0, from the npm registry) is vendored unmodified as ``vendor/axe.min.js`` with its licence.
"""

from __future__ import annotations

import os
import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from playwright.sync_api import Browser, BrowserContext, Page, expect
from tests.web.conftest import make_settings

from fakturabro.bootstrap import Container, build
from fakturabro.store.migrate import upgrade
from fakturabro.web.app import create_app

from .conftest import ROOT, free_port
from .walk_book import LONG_EXPORT_ERROR, WalkBook, seed_walk_book

pytestmark = pytest.mark.browser

WIDTHS = {"desktop": 1280, "mobil": 390}
AXE = Path(__file__).parent / "vendor" / "axe.min.js"
WALK_SCREENSHOTS = Path(os.environ.get("FAKTURABRO_WALK_SCREENSHOTS", ROOT / "test-artifacts" / "walk"))

# name → path; ``{name}`` in a path is the seeded invoice of that state.
PAGES: dict[str, str] = {
    "fakturor-alla": "/invoices",
    "fakturor-utkast": "/invoices?tab=utkast",
    "fakturor-godkanda": "/invoices?tab=godkanda",
    "fakturor-betalade": "/invoices?tab=betalade",
    "faktura-ny": "/invoices/new",
    "faktura-utkast": "/invoices/{utkast}",
    "faktura-godkann": "/invoices/{utkast}/approve",
    "faktura-godkand": "/invoices/{godkand}",
    "faktura-exporterad": "/invoices/{exporterad}",
    "faktura-misslyckad": "/invoices/{misslyckad}",
    "faktura-betald": "/invoices/{betald}",
    "faktura-krediterad": "/invoices/{krediterad}",
    "faktura-kreditfaktura": "/invoices/{kreditfaktura}",
    "faktura-kreditfaktura-rot": "/invoices/{kreditfaktura-rot}",
    "faktura-kreditera": "/invoices/{godkand}/credit",
    "faktura-omvand-moms": "/invoices/{omvand}",
    "faktura-rot": "/invoices/{rot}",
    "faktura-rot-brf": "/invoices/{rot-brf}",
    "faktura-rut": "/invoices/{rut}",
    "faktura-gron-teknik": "/invoices/{gron-teknik}",
    "faktura-utskrift": "/invoices/{rot}/print",
    "kunder": "/customers",
    "kund": "/customers/{customer}",
    "kund-ny": "/customers/new",
    "kund-andra": "/customers/{customer}/edit",
    "artiklar": "/articles",
    "artikel-ny": "/articles/new",
    "artikel-andra": "/articles/{article}/edit",
    "register-artiklar": "/registers/articles",
    "register-kunder": "/registers/customers",
    "husavdrag": "/husavdrag",
    "import-export": "/billing",
    "installningar-foretaget": "/settings/company",
    "installningar-integrationer": "/settings/integrations",
    "installningar-visma": "/settings/integrations/visma",
    "installningar-visma-avstamning": "/settings/integrations/visma/reconciliation",
    "installningar-api": "/settings/api",
}

# For each cell: is its content box narrower than its longest word? (Text the page cuts on purpose, inside an
# element with the class ``cut``, and text only a screen reader reads, ``sr-only``, are left out.)
NARROW_CELLS = """() => {
  const canvas = document.createElement("canvas").getContext("2d");
  const found = [];
  for (const cell of document.querySelectorAll("td, th")) {
    if (!cell.getClientRects().length) continue;
    const style = getComputedStyle(cell);
    const room = cell.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
    const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
    let widest = 0, word = "";
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const parent = node.parentElement;
      if (!parent || !parent.getClientRects().length || parent.closest(".cut, .sr-only")) continue;
      canvas.font = getComputedStyle(parent).font;
      for (const w of node.textContent.split(/[\\s\\u00a0\\u202f]+/)) {
        const width = canvas.measureText(w).width;
        if (width > widest) { widest = width; word = w; }
      }
    }
    if (widest > room + 1) found.push(`${word} (${Math.round(widest)} px in ${Math.round(room)} px)`);
  }
  return found;
}"""

AXE_RUN = """async () => {
  const result = await axe.run(document, {resultTypes: ["violations"]});
  return result.violations
    .filter(v => v.impact === "serious" || v.impact === "critical")
    .map(v => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.slice(0, 3).map(n => n.target.join(" ")).join(", ")}`);
}"""


@dataclass(frozen=True)
class Walk:
    url: str
    book: WalkBook
    storage: dict[str, Any]

    def path(self, template: str) -> str:
        ids = {**{k: str(v) for k, v in self.book.invoices.items()}}
        ids |= {"customer": str(self.book.customer_id), "article": str(self.book.article_id)}
        for name, value in ids.items():
            template = template.replace("{" + name + "}", value)
        return f"{self.url}{template}"


@pytest.fixture(scope="module")
def walk_container(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Container]:
    container = build(make_settings(tmp_path_factory.mktemp("walk")))
    upgrade(container.engine)
    yield container
    container.close()


@pytest.fixture(scope="module")
def walk(walk_container: Container, browser: Browser) -> Iterator[Walk]:
    book = seed_walk_book(walk_container)
    port = free_port()
    config = uvicorn.Config(create_app(walk_container), host="127.0.0.1", port=port, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "the walk's app did not start"
    url = f"http://127.0.0.1:{port}"
    context = browser.new_context(locale="sv-SE")
    page = context.new_page()
    page.goto(f"{url}/login")
    page.get_by_label("E-post").fill(book.email)
    page.get_by_label("Lösenord").fill(book.password)
    page.get_by_role("button", name="Logga in").click()
    expect(page.get_by_role("heading", name="Fakturor")).to_be_visible()
    storage = context.storage_state()
    context.close()
    yield Walk(url, book, dict(storage))
    server.should_exit = True
    thread.join(timeout=10)


def open_context(browser: Browser, walk: Walk, width: int) -> BrowserContext:
    # bypass_csp: axe is injected as an inline script, which the app's Content-Security-Policy rightly refuses.
    context = browser.new_context(
        locale="sv-SE",
        viewport={"width": width, "height": 900},
        storage_state=walk.storage,  # type: ignore[arg-type]
        bypass_csp=True,
    )
    context.set_default_timeout(10_000)
    return context


def assert_page_reads_well(page: Page, name: str) -> None:
    """The three checks every page must pass; the screenshot is taken first so a failure can be looked at."""
    WALK_SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(WALK_SCREENSHOTS / f"{name}.png"), full_page=True)
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{name} scrolls sideways by {overflow} px"
    narrow = page.evaluate(NARROW_CELLS)
    assert not narrow, f"{name}: cells narrower than their longest word: {narrow[:5]}"
    text = page.locator("body").inner_text()
    hyphens = re.findall(r"(?<![\w\-−])-\s?\d[\d\s\u00a0]*(?:,\d+)?", text)
    assert not hyphens, f"{name}: a hyphen where the minus sign (−) belongs: {hyphens[:5]}"
    assert "−-" not in text, f"{name}: a doubled minus sign"
    assert "−−" not in text, f"{name}: a doubled minus sign"
    page.add_script_tag(path=str(AXE))
    violations = page.evaluate(AXE_RUN)
    assert not violations, f"{name}: axe-core: {violations}"


@pytest.mark.parametrize("width", WIDTHS.values(), ids=WIDTHS.keys())
@pytest.mark.parametrize("name", PAGES)
def test_the_page_reads_well(browser: Browser, walk: Walk, name: str, width: int) -> None:
    context = open_context(browser, walk, width)
    page = context.new_page()
    response = page.goto(walk.path(PAGES[name]))
    assert response is not None
    assert response.status == 200, f"{name}: {response.status}"
    assert_page_reads_well(page, f"{name}-{width}")
    context.close()


# --- the findings of issue 20, one test each ----------------------------------------------------------------


def open_page(browser: Browser, walk: Walk, path: str, width: int = 1280) -> Page:
    page = open_context(browser, walk, width).new_page()
    page.goto(walk.path(path))
    return page


def test_on_a_phone_the_menu_opens_from_a_button(browser: Browser, walk: Walk) -> None:
    page = open_page(browser, walk, "/invoices", width=390)
    menu = page.get_by_role("navigation", name="Huvudmeny")
    button = page.get_by_role("button", name="Meny")
    expect(menu).to_be_hidden()
    header = page.locator(".topbar").bounding_box()
    assert header is not None
    assert header["height"] < 60, f"the top bar takes {header['height']} px"
    button.click()
    expect(button).to_have_attribute("aria-expanded", "true")
    menu.get_by_role("link", name="Artiklar").click()
    expect(page.get_by_role("heading", name="Artiklar")).to_be_visible()
    page.context.close()
    desktop = open_page(browser, walk, "/invoices")
    expect(desktop.get_by_role("navigation", name="Huvudmeny")).to_be_visible()
    expect(desktop.get_by_role("button", name="Meny")).to_be_hidden()
    desktop.context.close()


def test_a_long_export_reason_is_cut_in_the_list_and_whole_on_the_invoice(browser: Browser, walk: Walk) -> None:
    page = open_page(browser, walk, "/invoices")
    invoice = walk.book.invoices["misslyckad"]
    reason = page.locator(f"#export-{invoice} .export-reason")
    box = reason.bounding_box()
    assert box is not None
    assert box["height"] < 50, "the list shows at most two lines of the reason"
    page.locator(f"#export-{invoice}").get_by_role("link", name="Visa hela orsaken").click()
    expect(page.locator(f"#export-{invoice} .export-reason")).to_have_text(LONG_EXPORT_ERROR)
    page.context.close()


def test_no_export_again_while_the_export_waits(browser: Browser, walk: Walk) -> None:
    page = open_page(browser, walk, "/invoices/{vantar}")
    expect(page.locator("[data-export-state=waiting]")).to_contain_text("Väntar på export")
    expect(page.get_by_role("button", name="Exportera igen")).to_have_count(0)
    page.context.close()


def test_a_credit_invoice_reads_as_a_credit(browser: Browser, walk: Walk) -> None:
    page = open_page(browser, walk, "/invoices/{kreditfaktura}")
    rows = page.locator("table tbody tr")
    for amount in rows.locator("td:last-child").all_inner_texts():
        assert amount.startswith("−"), f"a row of a credit invoice shows {amount}"
    facts = page.locator("dl.facts").all_inner_texts()
    assert not any("Förfallodag" in fact or "Att betala" in fact for fact in facts), facts
    expect(page.locator("dl.facts").get_by_role("link", name=re.compile("faktura \\d+"))).to_be_visible()
    expect(page.locator("tfoot")).not_to_contain_text("Att betala")
    page.context.close()
    rot = open_page(browser, walk, "/invoices/{kreditfaktura-rot}")
    deduction = rot.locator("tfoot tr", has_text="Preliminär skattereduktion").locator("td")
    expect(deduction).to_have_text(re.compile(r"^\d[\d\u00a0]*,\d\d\u00a0kr$"))  # given back: no minus at all
    rot.context.close()


def test_reverse_charge_shows_no_vat_rate(browser: Browser, walk: Walk) -> None:
    page = open_page(browser, walk, "/invoices/{omvand}")
    table = page.locator(".table-wrap table").first
    expect(table.locator("tbody")).not_to_contain_text("25 %")
    expect(table.locator("tfoot")).not_to_contain_text("Moms 25 %")
    expect(table.locator("tfoot")).to_contain_text("omvänd betalningsskyldighet")
    page.context.close()


def test_the_editor_fills_what_it_knows_and_says_what_does_not_add_up(browser: Browser, walk: Walk) -> None:
    page = open_page(browser, walk, "/invoices/new")
    page.get_by_label("Kund").select_option("1001")  # Anna Svensson, a private person
    expect(page.get_by_label("Personnummer 1")).to_have_value("19811218-9876")  # the buyer, with the dash
    # A labour row in hours: Antal 1 with Timmar 10 would bill one hour and report ten.
    page.locator("#r0-article_number").fill("8001")
    page.locator("#r0-article_number").press("Tab")
    expect(page.locator("#r0-text")).to_have_value("Elarbete ROT")
    expect(page.locator("#r0-unit_price")).to_have_value("695,00")  # a price with its öre
    page.locator("#r0-quantity").fill("1")
    page.locator("#r0-hours").fill("10")
    expect(page.locator("#totals")).to_contain_text("antalet (1) är timmarna")
    expect(page.get_by_text("Redo att godkännas")).to_have_count(0)
    page.locator("#r0-hours").fill("")
    expect(page.get_by_text("Redo att godkännas")).to_be_visible()
    # The home: only the chosen kind's fields.
    page.get_by_label("Avdrag").select_option("rot")
    page.get_by_label(re.compile("Villa eller")).check()
    expect(page.get_by_label("Fastighetsbeteckning", exact=True)).to_be_visible()
    expect(page.get_by_label("Lägenhetsnummer", exact=True)).to_be_hidden()
    page.get_by_label(re.compile("Bostadsrätt \\(")).check()
    expect(page.get_by_label("Lägenhetsnummer", exact=True)).to_be_visible()
    expect(page.get_by_label("Fastighetsbeteckning", exact=True)).to_be_hidden()
    page.get_by_label(re.compile("Villa eller")).check()
    page.get_by_label("Fastighetsbeteckning", exact=True).fill("Malmö Möllevången 12:3")
    # The VAT select shows its choice whole.
    vat = page.locator("#r0-vat_rate")
    assert vat.evaluate("select => select.scrollWidth <= select.clientWidth + 1"), "the VAT select is cut off"
    page.get_by_role("button", name="Spara utkast").click()
    expect(page).to_have_url(re.compile(r"/invoices/\d+\?sparad=1"))
    expect(page.locator(".row-card")).to_have_count(1)  # as saved: no empty row added
    expect(page.get_by_label("Personnummer 1")).to_have_value("19811218-9876")
    page.context.close()


PRICE_LIST = (
    "Artikelnummer;Benämning;Enhet;Pris;Moms\n"
    "1420;Dvärgbrytare 16 A 1-pol C-karakteristik;st;132,50;25\n"  # a new name for an existing number
    "1310;Vägguttag 2-vägs infällt;st;92;25\n"  # a new price
    "1500;Kopplingsdosa;st;19,90;25\n"  # new
    "1600;;st;5;25\n"  # no name: refused
)


@pytest.mark.parametrize("width", WIDTHS.values(), ids=WIDTHS.keys())
def test_the_register_preview_reads_well(browser: Browser, walk: Walk, width: int, tmp_path: Path) -> None:
    prices = tmp_path / "prislista.csv"
    prices.write_text(PRICE_LIST, encoding="utf-8")
    context = open_context(browser, walk, width)
    page = context.new_page()
    page.goto(walk.path("/registers/articles"))
    page.get_by_label("Fil", exact=True).set_input_files(prices)
    page.get_by_role("button", name="Förhandsgranska", exact=True).click()
    expect(page.get_by_role("heading", name="Förhandsgranskning")).to_be_visible()
    expect(page.locator("#preview-head + p")).to_contain_text("1 läggs till · 1 ändras")
    expect(page.get_by_text("här ”Dvärgbrytare 16 A”, nytt ”Dvärgbrytare 16 A 1-pol C-karakteristik”")).to_be_visible()
    assert_page_reads_well(page, f"register-forhandsgranskning-{width}")
    context.close()
