"""What approval needs from the company, the OCR reference it gives, and payments found by that reference."""

from __future__ import annotations

from fastapi.testclient import TestClient
from tests.api.helpers import Api, error_locs
from tests.company_details import complete_company_details

from fakturabro.bootstrap import Container
from fakturabro.domain.ocr import OcrMode, ocr_reference
from fakturabro.invoicing.company_settings import CompanySettingsInput, update_company_settings


def test_approval_names_each_missing_company_detail_in_swedish_and_approves_nothing(
    client: TestClient, container: Container
) -> None:
    api = Api(client, container, with_details=False)
    company = api.company
    draft = api.draft(api.private_customer())
    response = api.post(f"/invoices/{draft['id']}/approve")
    assert response.status_code == 409
    message = response.json()["detail"][0]["msg"]
    for detail in ("organisationsnummer", "momsregistreringsnummer", "adress", "bankgiro, plusgiro eller IBAN"):
        assert detail in message
    assert api.get(f"/invoices/{draft['id']}").json()["status"] == "draft"

    complete_company_details(container.db, company.id, company.name)
    approved = api.post(f"/invoices/{draft['id']}/approve").json()
    assert approved["status"] == "approved"
    assert approved["ocr"] == ocr_reference(approved["number"], OcrMode.LUHN)


def test_husavdrag_needs_f_skatt(api: Api, container: Container) -> None:
    details = {"name": api.company.name, "org_number": "559123-4561", "address_line1": "Gatan 1"}
    details |= {"postal_code": "211 11", "city": "Malmö", "bankgiro": "5050-1055", "f_skatt": False}
    update_company_settings(container.db, api.company.id, CompanySettingsInput.model_validate(details))
    draft = api.draft(
        api.private_customer(),
        rows=[{"text": "El", "quantity": "1", "unit_price": "100", "kind": "labour", "house_work_type": "el"}],
        house_work={
            "type": "rot",
            "persons": [{"personal_number": "19811218-9876", "share": "100"}],
            "property_designation": "Malmö Kungsten 3:12",
        },
    )
    response = api.post(f"/invoices/{draft['id']}/approve")
    assert response.status_code == 409
    assert "F-skatt" in response.json()["detail"][0]["msg"]


def test_the_ocr_mode_with_length_digit_and_payment_terms_come_from_the_company(api: Api, container: Container) -> None:
    settings = CompanySettingsInput.model_validate(
        {
            "name": api.company.name,
            "org_number": "559123-4561",
            "address_line1": "Gatan 1",
            "postal_code": "211 11",
            "city": "Malmö",
            "bankgiro": "5050-1055",
            "ocr_mode": "luhn_length",
            "payment_terms_days": 10,
        }
    )
    update_company_settings(container.db, api.company.id, settings)
    invoice = api.approved(api.private_customer())
    assert invoice["due_date"] == "2026-03-12"  # invoice date 2026-03-02 + 10 days
    assert invoice["ocr"] == ocr_reference(invoice["number"], OcrMode.LUHN_LENGTH)
    assert invoice["ocr"][-2] == str(len(invoice["ocr"]) % 10)


def test_a_payment_finds_its_invoice_by_ocr(api: Api, other_api: Api) -> None:
    invoice = api.approved(api.private_customer())
    spaced = " ".join(invoice["ocr"])
    paid = api.post("/payments/by-ocr", {"ocr": spaced, "amount": invoice["totals"]["to_pay"]})
    assert paid.status_code == 201, paid.text
    assert paid.json()["id"] == invoice["id"]
    assert paid.json()["status"] == "paid"

    typo = invoice["ocr"][:-1] + str((int(invoice["ocr"][-1]) + 1) % 10)
    wrong = api.post("/payments/by-ocr", {"ocr": typo, "amount": "1"})
    assert wrong.status_code == 422
    assert error_locs(wrong) == [["body", "ocr"]]
    assert "kontrollsiffran" in wrong.json()["detail"][0]["msg"]

    elsewhere = other_api.post("/payments/by-ocr", {"ocr": invoice["ocr"], "amount": "1"})
    assert elsewhere.status_code == 422  # another company's reference is not found
    assert "Ingen godkänd faktura" in elsewhere.json()["detail"][0]["msg"]
