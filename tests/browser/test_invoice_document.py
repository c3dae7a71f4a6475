"""The invoice document in the browser at 1280 and 390 px: the PDF download from the invoice page, and the
printable page that shows the same document (seller's details, OCR, payment)."""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import Page, expect
from pypdf import PdfReader

from .conftest import Server, screenshot
from .test_invoice_followup import _approved_invoice, _fits, _new_customer, sized_page  # noqa: F401 - fixture
from .test_seed_flow import log_in

pytestmark = pytest.mark.browser


def test_the_pdf_downloads_and_the_print_page_shows_the_same_document(
    sized_page: tuple[Page, int],  # noqa: F811 - the fixture imported above
    server: Server,
) -> None:
    page, width = sized_page
    log_in(page, server)
    customer_id = _new_customer(page, server, f"Dokumentkund {uuid.uuid4().hex[:6]}")
    invoice_id = _approved_invoice(page, server, customer_id, "2026-11-02")
    number = re.findall(r"Faktura (\d+)", page.locator("h1").inner_text())[0]

    page.goto(f"{server.url}/invoices/{invoice_id}")
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Ladda ner PDF").click()
    download = download_info.value
    assert download.suggested_filename == f"Faktura-{number}.pdf"
    text = " ".join(PdfReader(download.path()).pages[0].extract_text().split())
    assert f"Faktura {number}" in text
    assert "Godkänd för F-skatt" in text
    assert "Bankgiro 5050-1055" in text

    page.goto(f"{server.url}/invoices/{invoice_id}/print")
    expect(page.get_by_role("heading", name=f"Faktura {number}")).to_be_visible()
    for needle in ("Org.nr 559123-4561", "Momsreg.nr SE559123456101", "OCR-nummer", "Bankgiro", "Att betala"):
        expect(page.get_by_text(needle).first).to_be_visible()
    _fits(page, width)
    screenshot(page, f"invoice-print-{width}")
