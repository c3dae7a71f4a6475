"""`GET/PUT /api/v1/company`: the company's details for its invoices; a bad value is a field-level Swedish message
and saves nothing."""

from __future__ import annotations

from typing import Any

import pytest
from tests.api.helpers import Api, error_locs

GOOD: dict[str, Any] = {
    "org_number": "5591234561",
    "vat_number": "",
    "address_line1": "Verkstadsgatan 7",
    "postal_code": "212 15",
    "city": "Malmö",
    "f_skatt": True,
    "bankgiro": "50501055",
    "plusgiro": "28 65 43-4",
    "iban": "SE45 5000 0000 0583 9825 7466",
    "bic": "ESSESESS",
    "payment_terms_days": 20,
    "ocr_mode": "luhn_length",
}


def editable(company: dict[str, Any]) -> dict[str, Any]:
    """What GET shows that PUT takes (the id and the logo's type are not set here)."""
    return {key: value for key, value in company.items() if key not in ("id", "logo_content_type")}


def test_a_good_put_round_trips_formatted_and_defaults_the_vat_number(api: Api) -> None:
    response = api.put("/company", {"name": api.company.name, **GOOD})
    assert response.status_code == 200, response.text
    company = api.get("/company").json()
    assert company["org_number"] == "559123-4561"
    assert company["vat_number"] == "SE559123456101"
    assert company["bankgiro"] == "5050-1055"
    assert company["plusgiro"] == "286543-4"
    assert company["iban"] == "SE45 5000 0000 0583 9825 7466"
    assert company["payment_terms_days"] == 20
    assert company["ocr_mode"] == "luhn_length"


@pytest.mark.parametrize(
    ("field", "value", "words"),
    [
        ("org_number", "559123-4562", "Organisationsnumret är ogiltigt"),
        ("vat_number", "SE559123456199", "Momsregistreringsnumret är ogiltigt"),
        ("bankgiro", "5050-1056", "Bankgironumret är ogiltigt"),
        ("plusgiro", "28 65 43-5", "Plusgironumret är ogiltigt"),
        ("iban", "SE45 5000 0000 0583 9825 7467", "IBAN-numret är ogiltigt"),
        ("bic", "ESSE", "BIC-koden är ogiltig"),
    ],
)
def test_a_bad_value_names_its_field_in_swedish_and_saves_nothing(api: Api, field: str, value: str, words: str) -> None:
    before = api.get("/company").json()
    response = api.put("/company", {**editable(before), **GOOD, "city": "Lund", field: value})
    assert response.status_code == 422, response.text
    assert error_locs(response) == [["body", field]]
    assert words in response.json()["detail"][0]["msg"]
    assert api.get("/company").json() == before  # not even the good city was saved


def test_the_next_invoice_number_can_move_up_but_never_below_one_used(api: Api) -> None:
    invoice = api.approved(api.private_customer())
    details = editable(api.get("/company").json())
    used = api.put("/company", {**details, "next_invoice_number": invoice["number"]})
    assert used.status_code == 422
    assert error_locs(used) == [["body", "next_invoice_number"]]
    assert "redan använt" in used.json()["detail"][0]["msg"]
    moved = api.put("/company", {**details, "next_invoice_number": 1001})
    assert moved.json()["next_invoice_number"] == 1001
    assert api.approved(api.private_customer())["number"] == 1001


def test_a_wrong_type_is_a_field_error(api: Api) -> None:
    response = api.put("/company", {"name": api.company.name, "payment_terms_days": "trettio"})
    assert response.status_code == 422
    assert error_locs(response) == [["body", "payment_terms_days"]]
