"""Every page, at 1280 px and at 390 px: nothing scrolls sideways, no table cell is narrower than its longest
word (no names wrapped letter by letter), and axe-core finds no serious or critical accessibility violation.

One app (in this process, on a free port) and one seeded book (``walk_book``) serve the whole module; each page is
opened once per width in a fresh, logged-in context. Screenshots of every page at both widths are written to
``test-artifacts/walk/`` (``FAKTURABRO_WALK_SCREENSHOTS`` to change it) for a person to look through.

axe-core (MPL-2.0, from the npm registry) is vendored unmodified as ``vendor/axe.min.js`` with its licence.
"""

from __future__ import annotations

import os
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
from .walk_book import WalkBook, seed_walk_book

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
