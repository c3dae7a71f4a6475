"""Inställningar → Företaget: the form saves the invoice details or shows each bad field in Swedish and saves
nothing; the logo is uploaded, previewed and removed here."""

from __future__ import annotations

import io
import re

from PIL import Image

from fakturabro.bootstrap import Container
from fakturabro.invoicing import customers
from fakturabro.invoicing.company_settings import get_company_settings
from fakturabro.invoicing.inputs import CustomerInput

from .conftest import User
from .invoice_samples import make_invoice

FORM = {
    "name": "Elbolaget i Malmö AB",
    "org_number": "5591234561",
    "vat_number": "",
    "address_line1": "Verkstadsgatan 7",
    "postal_code": "212 15",
    "city": "Malmö",
    "f_skatt": "on",
    "bankgiro": "5050-1055",
    "payment_terms_days": "20",
    "ocr_mode": "luhn_length",
    "late_interest_text": "Vid betalning efter förfallodagen debiteras ränta enligt räntelagen.",
}


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (90, 30), (29, 78, 216)).save(out, "PNG")
    return out.getvalue()


def field_error(page: str, name: str) -> str:
    match = re.search(rf'id="m-{name}"[^>]*>\s*<p class="field-error"[^>]*>([^<]+)</p>', page)
    assert match is not None, f"no error at {name}"
    return match.group(1)


def test_the_old_address_and_the_settings_home_lead_to_the_page(user: User) -> None:
    assert user.get("/company").headers["location"] == "/settings/company"
    page = user.get("/settings/company")
    assert page.status_code == 200
    assert '<a href="/settings/company" aria-current="page">Företaget</a>' in page.text
    assert 'value="Verkstadsgatan 7"' in page.text  # the test company's details, filled in


def test_saving_the_form_stores_every_field(user: User, web_container: Container) -> None:
    saved = user.post("/settings/company", FORM)
    assert saved.status_code == 303
    assert saved.headers["location"] == "/settings/company?sparad=uppgifter"
    settings = get_company_settings(web_container.db, user.company.id)
    assert (settings.name, settings.org_number, settings.vat_number) == (
        "Elbolaget i Malmö AB",
        "559123-4561",
        "SE559123456101",
    )
    assert settings.f_skatt
    assert (settings.payment_terms_days, settings.ocr_mode.value) == (20, "luhn_length")
    assert "Företagets uppgifter är sparade" in user.get(saved.headers["location"]).text


def test_bad_values_are_shown_at_their_fields_and_nothing_is_saved(user: User, web_container: Container) -> None:
    before = get_company_settings(web_container.db, user.company.id)
    bad = {**FORM, "city": "Lund", "bankgiro": "5050-1056", "iban": "SE45 5000", "payment_terms_days": "trettio"}
    page = user.post("/settings/company", bad)
    assert page.status_code == 422
    assert "Uppgifterna är inte sparade" in page.text
    assert "Bankgironumret är ogiltigt" in field_error(page.text, "bankgiro")
    assert "IBAN" in field_error(page.text, "iban")
    assert field_error(page.text, "payment_terms_days") == "Skriv ett heltal."
    assert 'value="Lund"' in page.text  # what was typed stays in the form to correct
    assert get_company_settings(web_container.db, user.company.id) == before


def test_a_company_without_details_is_told_what_approval_will_ask_for(user: User) -> None:
    user.post("/settings/company", {"name": "Tom Firma AB", "payment_terms_days": "30"})
    page = user.get("/settings/company").text
    assert "Det här saknas på fakturorna" in page
    assert "organisationsnummer" in page
    assert "godkänd för F-skatt" in page


def test_a_logo_is_uploaded_previewed_and_removed(user: User) -> None:
    uploaded = user.client.post(
        "/settings/company/logo",
        data={"csrf": user.csrf("/settings/company")},
        files={"logo": ("logo.png", png(), "image/png")},
    )
    assert uploaded.status_code == 303
    page = user.get("/settings/company").text
    assert '<img class="logo-preview" src="/settings/company/logo"' in page
    served = user.get("/settings/company/logo")
    assert served.content == png()
    assert served.headers["x-content-type-options"] == "nosniff"
    assert user.post("/settings/company/logo/remove", {}).status_code == 303
    assert user.get("/settings/company/logo").status_code == 404
    assert "Ingen logotyp" in user.get("/settings/company").text


def test_an_svg_with_a_script_is_refused_at_the_logo_field(user: User) -> None:
    svg = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><rect width="9" height="9"/></svg>'
    page = user.client.post(
        "/settings/company/logo",
        data={"csrf": user.csrf("/settings/company")},
        files={"logo": ("logo.svg", svg, "image/svg+xml")},
    )
    assert page.status_code == 422
    assert "onload" in field_error(page.text, "logo")
    assert "Ingen logotyp" in page.text


def test_a_file_larger_than_any_upload_is_a_message_at_the_logo_field(user: User) -> None:
    page = user.client.post(
        "/settings/company/logo",
        data={"csrf": user.csrf("/settings/company")},
        files={"logo": ("huge.png", b"\x89PNG" + b"\0" * (21 * 1024 * 1024), "image/png")},
    )
    assert page.status_code == 422
    assert "högst 1,0 MB" in field_error(page.text, "logo")


def test_uploading_without_a_file_asks_for_one(user: User) -> None:
    page = user.post("/settings/company/logo", {})
    assert page.status_code == 422
    assert "Välj en bild" in field_error(page.text, "logo")


def test_approval_without_the_details_points_to_this_page(user: User, web_container: Container) -> None:
    customer = customers.create_customer(web_container.db, user.company.id, CustomerInput(name="Åsa Åkesson"))
    draft = make_invoice(web_container, user.company.id, customer.customer_number, "Byte av kran", "400", "2026-11-20")
    user.post("/settings/company", {"name": user.company.name, "payment_terms_days": "30"})
    page = user.post(f"/invoices/{draft}/approve", {})
    assert "Det saknas: organisationsnummer" in page.text
    assert '<a class="btn btn-small" href="/settings/company">Fyll i företagets uppgifter</a>' in page.text
