"""Inställningar → Företaget in the browser at 1280 and 390 px: a bad bankgiro is shown at its field and nothing
is saved, a good change is saved, and a logo is uploaded, previewed, refused when it carries a script, removed."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image
from playwright.sync_api import Page, expect

from .conftest import Server, screenshot
from .test_invoice_followup import _fits, sized_page  # noqa: F401 - fixture
from .test_seed_flow import log_in

pytestmark = pytest.mark.browser


def test_the_settings_page_checks_saves_and_takes_a_logo(
    sized_page: tuple[Page, int],  # noqa: F811 - the fixture imported above
    server: Server,
    tmp_path: Path,
) -> None:
    page, width = sized_page
    log_in(page, server)
    page.goto(f"{server.url}/settings/integrations")
    page.get_by_role("navigation", name="Inställningar").get_by_role("link", name="Företaget").click()
    expect(page.get_by_role("heading", name="Företaget", exact=True)).to_be_visible()
    _fits(page, width)
    screenshot(page, f"company-settings-{width}")

    bankgiro = page.get_by_label("Bankgiro", exact=True)
    kept = bankgiro.input_value()
    bankgiro.fill("5050-1056")
    page.get_by_label("Telefon").fill("040-12 34 56")
    page.get_by_role("button", name="Spara uppgifterna").click()
    expect(page.get_by_text("Uppgifterna är inte sparade")).to_be_visible()
    expect(page.locator("#m-bankgiro")).to_contain_text("Bankgironumret är ogiltigt")
    expect(bankgiro).to_have_attribute("aria-invalid", "true")
    _fits(page, width)
    screenshot(page, f"company-settings-error-{width}")
    page.goto(f"{server.url}/settings/company")
    expect(page.get_by_label("Bankgiro", exact=True)).to_have_value(kept)  # nothing of the bad form was saved

    page.get_by_label("Webbplats").fill(f"www.demobygg.se/{width}")
    page.get_by_role("button", name="Spara uppgifterna").click()
    expect(page.get_by_text("Företagets uppgifter är sparade")).to_be_visible()
    expect(page.get_by_label("Webbplats")).to_have_value(f"www.demobygg.se/{width}")

    script = tmp_path / "logo.svg"
    script.write_bytes(b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>')
    page.get_by_label("Ladda upp logotyp").set_input_files(str(script))
    page.get_by_role("button", name="Ladda upp", exact=True).click()
    expect(page.locator("#m-logo")).to_contain_text("<script>")

    picture = io.BytesIO()
    Image.new("RGB", (240, 80), (29, 78, 216)).save(picture, "PNG")
    (tmp_path / "logo.png").write_bytes(picture.getvalue())
    page.get_by_label("Ladda upp logotyp").set_input_files(str(tmp_path / "logo.png"))
    page.get_by_role("button", name="Ladda upp", exact=True).click()
    expect(page.get_by_text("Logotypen är sparad")).to_be_visible()
    preview = page.get_by_role("img", name="Företagets logotyp")
    expect(preview).to_be_visible()
    assert preview.evaluate("image => image.naturalWidth") == 240  # the stored picture, served back
    _fits(page, width)
    screenshot(page, f"company-settings-logo-{width}")
    page.get_by_role("button", name="Ta bort logotypen").click()
    expect(page.get_by_text("Ingen logotyp")).to_be_visible()
