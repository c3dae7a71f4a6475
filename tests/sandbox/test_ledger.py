"""`/v2/customerledgeritems` over HTTP: items with the caller's invoice number and a balanced voucher."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from fakturabro.sandbox.errors import VismaApiError
from fakturabro.sandbox.resources.ledger import register_item_payment
from fakturabro.sandbox.state import SandboxState
from fakturabro.sandbox.testing import FakeClock

from .test_invoices import Visma

ITEMS = "/customerledgeritems"
ONE = "/customerledgeritems/{customerLedgerItemId}"
WITH_VOUCHER = "/customerledgeritems/customerledgeritemswithvoucher"


@pytest.fixture
def visma(client: TestClient, clock: FakeClock) -> Visma:
    return Visma(client, clock)


def item(visma: Visma, number: int = 5001, **fields: Any) -> dict[str, Any]:
    return {
        "CustomerId": visma.sid("customer:1001"),
        "InvoiceNumber": number,
        "InvoiceDate": "2026-03-01T00:00:00Z",
        "DueDate": "2026-03-31T00:00:00Z",
        "CurrencyCode": "SEK",
        "IsCreditInvoice": False,
        "TotalAmountInvoiceCurrency": 1250.0,
        "RemainingAmountInvoiceCurrency": 1250.0,
        "VATAmountInvoiceCurrency": 250.0,
        "Voucher": {
            "VoucherDate": "2026-03-01T00:00:00Z",
            "VoucherText": f"Faktura {number}",
            "Rows": [
                {"AccountNumber": 1510, "DebitAmount": 1250.0, "CreditAmount": 0},
                {"AccountNumber": 3001, "DebitAmount": 0, "CreditAmount": 1000.0},
                {"AccountNumber": 2611, "DebitAmount": 0, "CreditAmount": 250.0},
            ],
        },
    } | fields


def post(visma: Visma, body: dict[str, Any]) -> Any:
    return visma.call("POST", WITH_VOUCHER, WITH_VOUCHER, body)


def test_item_with_voucher_keeps_the_callers_number(visma: Visma) -> None:
    response = post(visma, item(visma))
    assert response.status_code == 201, response.text
    created = response.json()
    assert created["InvoiceNumber"] == 5001
    assert created["RemainingAmountInvoiceCurrency"] == 1250.0
    assert created["ModifiedUtc"].startswith("2026-03-02T09:00:00")
    year = visma.sid("fiscalyear:2026")
    voucher = visma.call(
        "GET", f"/vouchers/{year}/{created['VoucherId']}", "/vouchers/{fiscalyearId}/{voucherId}"
    ).json()
    assert voucher["VoucherText"] == "Faktura 5001"
    assert visma.call("GET", f"{ITEMS}/{created['Id']}", ONE).json() == created
    assert [row["InvoiceNumber"] for row in visma.call("GET", ITEMS, ITEMS).json()["Data"]] == [5001]
    # the company's invoice series is Visma's own and is not touched
    settings = visma.call("GET", "/companysettings", "/companysettings").json()
    assert settings["NextCustomerInvoiceNumber"] == 1001


def test_unbalanced_voucher_refuses_the_item(visma: Visma) -> None:
    body = item(visma)
    body["Voucher"]["Rows"][2]["CreditAmount"] = 249.0
    response = post(visma, body)
    assert response.status_code == 400
    assert "not balanced" in response.json()["DeveloperErrorMessage"]
    assert visma.call("GET", ITEMS, ITEMS).json()["Data"] == []
    assert visma.call("GET", "/vouchers", "/vouchers").json()["Data"] == []


def test_duplicate_invoice_number_is_refused(visma: Visma) -> None:
    assert post(visma, item(visma)).status_code == 201
    duplicate = post(visma, item(visma))
    assert duplicate.status_code == 400
    assert duplicate.json()["Errors"][0]["Field"] == "InvoiceNumber"


def test_unknown_customer_and_unknown_account_are_refused(visma: Visma) -> None:
    unknown = post(visma, item(visma, CustomerId="00000000-0000-4000-8000-000000000000"))
    assert unknown.json()["ErrorCode"] == 3000
    body = item(visma)
    body["Voucher"]["Rows"][1]["AccountNumber"] = 12
    assert post(visma, body).json()["ErrorCode"] == 3002


def test_remaining_above_total_is_refused(visma: Visma) -> None:
    assert post(visma, item(visma, RemainingAmountInvoiceCurrency=1300.0)).status_code == 400


def test_missing_voucher_is_refused_by_the_schema(visma: Visma) -> None:
    body = item(visma)
    del body["Voucher"]
    response = visma.client.post(f"/v2{WITH_VOUCHER}", json=body)
    assert response.status_code == 400
    assert response.json()["ErrorCode"] == 4002


def test_item_on_an_existing_manual_voucher(visma: Visma) -> None:
    voucher = visma.call("POST", "/vouchers", "/vouchers", item(visma)["Voucher"]).json()
    body = item(visma, 5002, VoucherId=voucher["Id"])
    del body["Voucher"]
    response = visma.call("POST", ITEMS, ITEMS, body)
    assert response.status_code == 201, response.text
    assert response.json()["VoucherId"] == voucher["Id"]


def test_filter_on_modified_utc(visma: Visma) -> None:
    post(visma, item(visma, 5001))
    visma.advance(600)
    post(visma, item(visma, 5002))
    found = visma.call("GET", ITEMS, ITEMS, **{"$filter": "ModifiedUtc gt '2026-03-02T09:05:00Z'"}).json()
    assert [row["InvoiceNumber"] for row in found["Data"]] == [5002]


def test_a_payment_on_the_callers_item_reduces_its_remaining_amount(
    visma: Visma, state: SandboxState, company_id: str
) -> None:
    created = post(visma, item(visma)).json()
    company = state.companies[company_id]
    payment = {"CompanyBankAccountId": visma.sid("bank:foretagskonto"), "PaymentAmount": 250.0, "PaymentType": 1}
    visma.advance(60)
    with state.lock:
        register_item_payment(company, state, company.ledger_items[created["Id"]], payment)
    paid = visma.call("GET", f"{ITEMS}/{created['Id']}", ONE).json()
    assert paid["RemainingAmountInvoiceCurrency"] == 1000.0
    assert paid["ModifiedUtc"].startswith("2026-03-02T09:01:00")
    with state.lock, pytest.raises(VismaApiError):
        register_item_payment(company, state, company.ledger_items[created["Id"]], payment | {"PaymentAmount": 1000.01})


def test_a_payment_on_an_invoices_item_pays_the_invoice(visma: Visma, state: SandboxState, company_id: str) -> None:
    invoice = visma.call("POST", "/customerinvoices", "/customerinvoices", visma.invoice()).json()
    company = state.companies[company_id]
    [own] = [row for row in company.ledger_items.values() if row["VoucherId"] == invoice["VoucherId"]]
    payment = {"CompanyBankAccountId": visma.sid("bank:foretagskonto"), "PaymentAmount": 250.0, "PaymentType": 2}
    with state.lock:
        register_item_payment(company, state, own, payment | {"PaymentCurrency": "SEK"})
    paid = visma.call("GET", f"/customerinvoices/{invoice['Id']}", "/customerinvoices/{invoiceId}").json()
    assert paid["RemainingAmount"] == 0.0
    assert own["RemainingAmountInvoiceCurrency"] == 0.0
