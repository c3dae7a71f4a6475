"""`/v2/customerinvoicedrafts` over HTTP: CRUD, conversion with numbering and expected totals, Visma's refusals."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from fakturabro.sandbox.testing import FakeClock

from .test_invoices import Visma

ANNA = "198001011231"
BERTIL = "197505051230"
DRAFTS = "/customerinvoicedrafts"
ONE = "/customerinvoicedrafts/{customerInvoiceDraftId}"
CONVERT = "/customerinvoicedrafts/{customerInvoiceDraftId}/convert"


@pytest.fixture
def visma(client: TestClient, clock: FakeClock) -> Visma:
    return Visma(client, clock)


def draft_row(visma: Visma, article: str, quantity: float, price: float, **extra: Any) -> dict[str, Any]:
    return visma.row(article, quantity, price, IsTextRow=False, ReversedConstructionServicesVatFree=False) | extra


def draft(visma: Visma, customer: str = "1001", **fields: Any) -> dict[str, Any]:
    return visma.invoice(customer, Rows=[draft_row(visma, "9000", 2, 100)]) | fields


def rot_draft(visma: Visma, **fields: Any) -> dict[str, Any]:
    return (
        draft(
            visma,
            RotReducedInvoicingType=1,
            RotPropertyType=2,
            RotReducedInvoicingPropertyName="Göteborg Majorna 1:23",
            Persons=[{"Ssn": ANNA}, {"Ssn": BERTIL}],
            Rows=[
                draft_row(visma, "8000", 40, 650, IsWorkCost=True, WorkCostType=1, WorkHours=40),
                draft_row(visma, "9000", 10, 100),
            ],
        )
        | fields
    )


def post(visma: Visma, body: dict[str, Any]) -> Any:
    return visma.call("POST", DRAFTS, DRAFTS, body)


def convert(visma: Visma, draft_id: str, body: Any = None, **params: Any) -> Any:
    return visma.call("POST", f"{DRAFTS}/{draft_id}/convert", CONVERT, body, **params)


def next_number(visma: Visma) -> int:
    number: int = visma.call("GET", "/companysettings", "/companysettings").json()["NextCustomerInvoiceNumber"]
    return number


def test_create_get_update_list_delete(visma: Visma) -> None:
    created = post(visma, draft(visma, YourReference="Anna"))
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["TotalAmount"] == 250.0
    assert body["TotalVatAmount"] == 50.0
    assert body["Rows"][0]["Amount"] == 200.0
    assert body["Rows"][0]["ArticleNumber"] == "9000"
    assert body["CustomerIsPrivatePerson"] is True
    draft_id = body["Id"]
    assert visma.call("GET", f"{DRAFTS}/{draft_id}", ONE).json() == body

    changed = visma.call("PUT", f"{DRAFTS}/{draft_id}", ONE, draft(visma, Rows=[draft_row(visma, "9000", 3, 100)]))
    assert changed.status_code == 200, changed.text
    assert changed.json()["TotalAmount"] == 375.0
    assert changed.json()["CreatedUtc"] == body["CreatedUtc"]

    listed = visma.call("GET", DRAFTS, DRAFTS).json()
    assert [item["Id"] for item in listed["Data"]] == [draft_id]

    assert visma.call("DELETE", f"{DRAFTS}/{draft_id}", ONE).status_code == 200
    assert visma.client.get(f"/v2{DRAFTS}/{draft_id}").status_code == 404
    assert next_number(visma) == 1001  # drafts take no number


def test_convert_numbers_books_and_removes_the_draft(visma: Visma) -> None:
    draft_id = post(visma, draft(visma)).json()["Id"]
    visma.advance(86400)
    response = convert(visma, draft_id)
    assert response.status_code == 201, response.text
    invoice = response.json()
    assert invoice["InvoiceNumber"] == 1001
    assert invoice["CreatedFromDraftId"] == draft_id
    assert invoice["RemainingAmount"] == 250.0
    assert invoice["InvoiceDate"].startswith("2026-03-03")  # the day of conversion
    assert invoice["DueDate"].startswith("2026-04-02")
    assert invoice["ModifiedUtc"].startswith("2026-03-03T09:00:00")
    assert next_number(visma) == 1002
    assert visma.client.get(f"/v2{DRAFTS}/{draft_id}").status_code == 404
    assert visma.call("GET", f"/customerinvoices/{invoice['Id']}", "/customerinvoices/{invoiceId}").json() == invoice

    second = post(visma, draft(visma)).json()["Id"]
    assert convert(visma, second, keepOriginalDraftDate=True).json()["InvoiceNumber"] == 1002
    assert next_number(visma) == 1003


def test_convert_checks_the_expected_totals(visma: Visma) -> None:
    draft_id = post(visma, draft(visma)).json()["Id"]
    wrong = convert(visma, draft_id, {"TotalAmountInvoiceCurrency": 249.0, "TotalVatAmountInvoiceCurrency": 50.0})
    assert wrong.status_code == 400
    assert wrong.json()["Errors"][0]["Field"] == "TotalAmountInvoiceCurrency"
    wrong_row = convert(visma, draft_id, {"Rows": [{"LineNumber": 1, "TotalAmountIncVatInvoiceCurrency": 200.0}]})
    assert wrong_row.status_code == 400
    assert next_number(visma) == 1001  # nothing booked
    assert visma.call("GET", "/customerinvoices", "/customerinvoices").json()["Data"] == []

    expected = {
        "TotalAmountInvoiceCurrency": 250.0,
        "TotalVatAmountInvoiceCurrency": 50.0,
        "TotalRoundingsInvoiceCurrency": 0.0,
        "Rows": [
            {"LineNumber": 1, "TotalAmountNoVatInvoiceCurrency": 200.0, "TotalAmountIncVatInvoiceCurrency": 250.0}
        ],
    }
    assert convert(visma, draft_id, expected).status_code == 201


def test_zero_amount_draft_is_saved_but_not_converted(visma: Visma) -> None:
    created = post(visma, draft(visma, Rows=[draft_row(visma, "9000", 1, 0)]))
    assert created.status_code == 201
    refused = convert(visma, created.json()["Id"])
    assert refused.status_code == 400
    assert "zero" in refused.json()["DeveloperErrorMessage"]


def test_rot_draft_with_two_persons_converts(visma: Visma) -> None:
    created = post(visma, rot_draft(visma))
    assert created.status_code == 201, created.text
    body = created.json()
    # labour 26 000 + VAT = 32 500 × 30 % = 9 750; material 1 000 + 250; total 33 750
    assert body["TotalAmount"] == 33750.0
    assert body["RotReducedInvoicingAmount"] == 9750.0
    assert [person["Amount"] for person in body["Persons"]] == [4875.0, 4875.0]
    invoice = convert(visma, body["Id"]).json()
    assert invoice["RotReducedInvoicingAmount"] == 9750.0
    assert invoice["RemainingAmount"] == 24000.0
    year = visma.sid("fiscalyear:2026")
    voucher = visma.call("GET", f"/vouchers/{year}/{invoice['VoucherId']}", "/vouchers/{fiscalyearId}/{voucherId}")
    rows = {row["AccountNumber"]: (row["DebitAmount"], row["CreditAmount"]) for row in voucher.json()["Rows"]}
    assert rows == {1510: (24000.0, 0.0), 1513: (9750.0, 0.0), 3001: (0.0, 27000.0), 2611: (0.0, 6750.0)}


def test_rut_draft_uses_rut_percent(visma: Visma) -> None:
    body = draft(
        visma,
        RotReducedInvoicingType=2,
        Persons=[{"Ssn": ANNA}],
        Rows=[draft_row(visma, "8002", 4, 450, IsWorkCost=True, WorkCostType=9)],
    )
    created = post(visma, body)
    assert created.status_code == 201, created.text
    assert created.json()["RotReducedInvoicingAmount"] == 1125.0  # 2 250 × 50 %


def test_green_technology_draft(visma: Visma) -> None:
    visma.settings(UsesGreenTechnology=True)
    body = draft(
        visma,
        UsesGreenTechnology=True,
        RotPropertyType=2,
        RotReducedInvoicingPropertyName="Göteborg Majorna 1:23",
        Persons=[{"Ssn": ANNA}],
        Rows=[draft_row(visma, "8001", 10, 720, GreenTechnologyType=3), draft_row(visma, "9000", 1, 100)],
    )
    created = post(visma, body)
    assert created.status_code == 201, created.text
    assert created.json()["RotReducedInvoicingAmount"] == 4500.0  # 9 000 incl. VAT × 50 %


def test_reverse_charge_draft_has_no_vat_when_allowed(visma: Visma) -> None:
    visma.settings(UsesReverseConstructionVat=True)
    body = draft(visma, "1002", Rows=[draft_row(visma, "8000", 10, 650, ReversedConstructionServicesVatFree=True)])
    created = post(visma, body)
    assert created.status_code == 201, created.text
    assert created.json()["TotalVatAmount"] == 0.0
    assert created.json()["TotalAmount"] == 6500.0
    assert created.json()["ReverseChargeOnConstructionServices"] is True
    invoice = convert(visma, created.json()["Id"]).json()
    assert invoice["Rows"][0]["IsVatFree"] is True
    year = visma.sid("fiscalyear:2026")
    voucher = visma.call("GET", f"/vouchers/{year}/{invoice['VoucherId']}", "/vouchers/{fiscalyearId}/{voucherId}")
    rows = {row["AccountNumber"]: (row["DebitAmount"], row["CreditAmount"]) for row in voucher.json()["Rows"]}
    assert rows == {1510: (6500.0, 0.0), 3231: (0.0, 6500.0)}


def company_without_vat_number(visma: Visma) -> str:
    customer = {
        "Name": "Firma Utan Moms AB",
        "InvoiceCity": "Borås",
        "InvoicePostalCode": "50330",
        "IsActive": True,
        "IsPrivatePerson": False,
        "TermsOfPaymentId": visma.sid("terms:30-netto"),
    }
    response = visma.client.post("/v2/customers", json=customer)
    assert response.status_code == 201, response.text
    customer_id: str = response.json()["Id"]
    return customer_id


REFUSALS: list[tuple[str, dict[str, Any], dict[str, Any], str]] = [
    ("rot for a company customer", {"CustomerId": "1002"}, {"UsesReverseConstructionVat": True}, "CustomerId"),
    ("rot without persons", {"Persons": []}, {}, "Persons"),
    ("rot with a bad personnummer", {"Persons": [{"Ssn": "198001011232"}]}, {}, "Ssn"),
    ("rot when house work is off", {}, {"UsesRotReducedInvoicing": False}, "RotReducedInvoicingType"),
    ("rot without property", {"RotReducedInvoicingPropertyName": None}, {}, "RotReducedInvoicingPropertyName"),
    ("rot without property type", {"RotPropertyType": None}, {}, "RotPropertyType"),
    ("green technology with rot", {"UsesGreenTechnology": True}, {"UsesGreenTechnology": True}, "UsesGreenTechnology"),
]


@pytest.mark.parametrize(("case", "fields", "settings", "field"), REFUSALS, ids=[case for case, *_ in REFUSALS])
def test_house_work_refusals(
    visma: Visma, case: str, fields: dict[str, Any], settings: dict[str, Any], field: str
) -> None:
    if settings:
        visma.settings(**settings)
    if fields.get("CustomerId"):
        fields = fields | {"CustomerId": visma.sid(f"customer:{fields['CustomerId']}")}
    response = post(visma, rot_draft(visma, **fields))
    assert response.status_code == 400, response.text
    error = response.json()
    assert error["Errors"][0]["Field"] == field
    assert error["ErrorId"]
    assert "198001011232" not in response.text
    assert visma.call("GET", DRAFTS, DRAFTS).json()["Data"] == []


def test_reverse_charge_refused_when_the_company_setting_is_off(visma: Visma) -> None:
    rows = [draft_row(visma, "8000", 1, 650, ReversedConstructionServicesVatFree=True)]
    response = post(visma, draft(visma, "1002", Rows=rows))
    assert response.status_code == 400
    assert "company settings" in response.json()["DeveloperErrorMessage"]
    # the seeded reverse-charge customer is refused even without flagged rows while the setting is off
    assert post(visma, draft(visma, "1002")).status_code == 400


def test_reverse_charge_refused_for_a_customer_without_vat_number(visma: Visma) -> None:
    visma.settings(UsesReverseConstructionVat=True)
    customer_id = company_without_vat_number(visma)
    rows = [draft_row(visma, "8000", 1, 650, ReversedConstructionServicesVatFree=True)]
    response = post(visma, draft(visma, CustomerId=customer_id, Rows=rows))
    assert response.status_code == 400
    assert response.json()["Errors"][0]["Field"] == "VatNumber"


def test_unknown_references_and_missing_fields(visma: Visma) -> None:
    nobody = "00000000-0000-4000-8000-000000000000"
    unknown_customer = post(visma, draft(visma, CustomerId=nobody))
    assert unknown_customer.status_code == 400
    assert unknown_customer.json()["ErrorCode"] == 3000
    unknown_article = post(visma, draft(visma, Rows=[draft_row(visma, "9000", 1, 1) | {"ArticleId": nobody}]))
    assert unknown_article.status_code == 400
    assert unknown_article.json()["ErrorCode"] == 3000
    body = draft(visma)
    del body["EuThirdParty"]
    missing = visma.client.post("/v2/customerinvoicedrafts", json=body)
    assert missing.status_code == 400
    assert missing.json()["ErrorCode"] == 4002
    assert visma.client.post(f"/v2{DRAFTS}/{nobody}/convert").status_code == 404


def test_updating_a_draft_is_checked_too(visma: Visma) -> None:
    draft_id = post(visma, draft(visma)).json()["Id"]
    refused = visma.call("PUT", f"{DRAFTS}/{draft_id}", ONE, rot_draft(visma, Persons=[]))
    assert refused.status_code == 400
    assert visma.call("GET", f"{DRAFTS}/{draft_id}", ONE).json()["TotalAmount"] == 250.0


def test_contract_number_marker_carries_over_to_the_invoice(visma: Visma) -> None:
    draft_id = post(visma, draft(visma, ContractNumber="fakturabro:2026-0042")).json()["Id"]
    found = visma.call("GET", DRAFTS, DRAFTS, **{"$filter": "ContractNumber eq 'fakturabro:2026-0042'"}).json()
    assert [item["Id"] for item in found["Data"]] == [draft_id]
    invoice = convert(visma, draft_id).json()
    assert invoice["ContractNumber"] == "fakturabro:2026-0042"
    listed = visma.call(
        "GET", "/customerinvoices", "/customerinvoices", **{"$filter": "ContractNumber eq 'fakturabro:2026-0042'"}
    ).json()
    assert [item["Id"] for item in listed["Data"]] == [invoice["Id"]]
