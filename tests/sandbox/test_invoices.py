"""`/v2/customerinvoices` over HTTP: numbering, bookkeeping, payments, `modifiedSinceUtc`, schema validity."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from openapi_core.testing import MockRequest, MockResponse

from fakturabro.sandbox import seed, spec
from fakturabro.sandbox.app import create_sandbox_app
from fakturabro.sandbox.testing import FakeClock

ANNA = "198001011231"


class Visma:
    """A test client for the sandbox that checks every answer against the official spec (2xx and 400)."""

    def __init__(self, client: TestClient, clock: FakeClock) -> None:
        self.client = client
        self.clock = clock
        self.login()

    def login(self) -> None:
        token = self.client.post("/_sandbox/token").json()["access_token"]
        self.client.headers["Authorization"] = f"Bearer {token}"

    def advance(self, seconds: float) -> None:
        """Move the sandbox's clock; a fresh token, as the integration would refresh an expired one."""
        self.clock.advance(seconds)
        self.login()

    def sid(self, key: str) -> str:
        return seed.seeded_id(seed.SEED_COMPANY_ID, key)

    def call(self, method: str, path: str, template: str, body: Any = None, **params: Any) -> Any:
        response = self.client.request(method, f"/v2{path}", json=body, params=params or None)
        request = MockRequest(
            spec.VALIDATION_HOST, method.lower(), f"/v2{path}", path_pattern=f"/v2{template}", args=params
        )
        answer = MockResponse(response.content, response.status_code, content_type="application/json")
        if response.content and (response.is_success or response.status_code == 400):
            spec.openapi().validate_response(request, answer)
        return response

    def settings(self, **changes: Any) -> None:
        assert self.client.put("/_sandbox/companysettings", json=changes).status_code == 200

    def row(self, article: str, quantity: float, price: float, **extra: Any) -> dict[str, Any]:
        return {"ArticleId": self.sid(f"article:{article}"), "Quantity": quantity, "UnitPrice": price} | extra

    def invoice(self, customer: str = "1001", **fields: Any) -> dict[str, Any]:
        body = {
            "CustomerId": self.sid(f"customer:{customer}"),
            "EuThirdParty": False,
            "RotReducedInvoicingType": 0,
            "Rows": [self.row("9000", 2, 100)],
        } | fields
        return body


@pytest.fixture
def visma(client: TestClient, clock: FakeClock) -> Visma:
    return Visma(client, clock)


def create(visma: Visma, body: dict[str, Any]) -> Any:
    return visma.call("POST", "/customerinvoices", "/customerinvoices", body)


def pay(visma: Visma, invoice_id: str, amount: float, payment_type: int = 1, **extra: Any) -> Any:
    body = {
        "CompanyBankAccountId": visma.sid("bank:foretagskonto"),
        "PaymentAmount": amount,
        "PaymentCurrency": "SEK",
        "PaymentType": payment_type,
    } | extra
    return visma.call(
        "POST", f"/customerinvoices/{invoice_id}/payments", "/customerinvoices/{invoiceId}/payments", body
    )


def test_created_invoice_takes_the_next_number_and_is_bookkept(visma: Visma) -> None:
    first = create(visma, visma.invoice())
    assert first.status_code == 201, first.text
    invoice = first.json()
    assert invoice["InvoiceNumber"] == 1001
    # 2 × 100 + 25 % = 250
    assert invoice["TotalAmount"] == 250.0
    assert invoice["TotalVatAmount"] == 50.0
    assert invoice["RemainingAmount"] == 250.0
    assert invoice["CreatedFromDraftId"] is None
    assert invoice["ModifiedUtc"].startswith("2026-03-02T09:00:00")
    assert invoice["DueDate"].startswith("2026-04-01")  # 30 days net
    second = create(visma, visma.invoice()).json()
    assert second["InvoiceNumber"] == 1002
    settings = visma.call("GET", "/companysettings", "/companysettings").json()
    assert settings["NextCustomerInvoiceNumber"] == 1003

    year = visma.sid("fiscalyear:2026")
    voucher = visma.call(
        "GET", f"/vouchers/{year}/{invoice['VoucherId']}", "/vouchers/{fiscalyearId}/{voucherId}"
    ).json()
    rows = {row["AccountNumber"]: (row["DebitAmount"], row["CreditAmount"]) for row in voucher["Rows"]}
    assert rows == {1510: (250.0, 0.0), 3001: (0.0, 200.0), 2611: (0.0, 50.0)}
    assert visma.call("GET", f"/customerinvoices/{invoice['Id']}", "/customerinvoices/{invoiceId}").json() == invoice


def test_roundings_and_vat_specification(visma: Visma) -> None:
    body = visma.invoice(Rows=[visma.row("9000", 1, 297.99), visma.row("8000", 1, 10.10)])
    invoice = create(visma, body).json()
    # 25 % on 308.09 = 77.0225 → 77.02; 385.11 → 385
    assert invoice["TotalVatAmount"] == 77.02
    assert invoice["TotalAmount"] == 385.0
    assert invoice["TotalRoundings"] == -0.11
    assert invoice["VatSpecification"] == [
        {"AmountInvoiceCurrency": 308.09, "VatAmountInvoiceCurrency": 77.02, "VatPercent": 0.25}
    ]


def test_payments_partial_then_complete_then_overpayment_refused(visma: Visma) -> None:
    invoice = create(visma, visma.invoice()).json()
    visma.advance(3600)
    partial = pay(visma, invoice["Id"], 100)
    assert partial.status_code == 201, partial.text
    after_partial = visma.call("GET", f"/customerinvoices/{invoice['Id']}", "/customerinvoices/{invoiceId}").json()
    assert after_partial["RemainingAmount"] == 150.0
    assert after_partial["PaymentStatus"] == 1
    assert after_partial["ModifiedUtc"].startswith("2026-03-02T10:00:00")

    assert pay(visma, invoice["Id"], 100, payment_type=2).status_code == 400  # complete must pay the rest
    visma.advance(3600)
    assert pay(visma, invoice["Id"], 150, payment_type=2).status_code == 201
    paid = visma.call("GET", f"/customerinvoices/{invoice['Id']}", "/customerinvoices/{invoiceId}").json()
    assert paid["RemainingAmount"] == 0.0
    assert paid["PaymentStatus"] == 0
    assert paid["ModifiedUtc"].startswith("2026-03-02T11:00:00")

    refused = pay(visma, invoice["Id"], 1)
    assert refused.status_code == 400
    assert refused.json()["ErrorCode"] == 4002


def test_overpayment_and_unknown_bank_account_are_refused(visma: Visma) -> None:
    invoice = create(visma, visma.invoice()).json()
    over = pay(visma, invoice["Id"], 250.01)
    assert over.status_code == 400
    assert "exceeds" in over.json()["DeveloperErrorMessage"]
    unknown = pay(visma, invoice["Id"], 10, CompanyBankAccountId="00000000-0000-4000-8000-000000000000")
    assert unknown.status_code == 400
    assert pay(visma, invoice["Id"], 10, PaymentCurrency="EUR").status_code == 400
    assert pay(visma, invoice["Id"], 10, PaymentDate="2026-03-03T00:00:00Z").status_code == 400  # future
    unchanged = visma.call("GET", f"/customerinvoices/{invoice['Id']}", "/customerinvoices/{invoiceId}").json()
    assert unchanged["RemainingAmount"] == 250.0


def test_payment_updates_the_ledger_item(visma: Visma) -> None:
    invoice = create(visma, visma.invoice()).json()
    pay(visma, invoice["Id"], 50)
    items = visma.call("GET", "/customerledgeritems", "/customerledgeritems").json()["Data"]
    [item] = [item for item in items if item["InvoiceNumber"] == invoice["InvoiceNumber"]]
    assert item["TotalAmountInvoiceCurrency"] == 250.0
    assert item["RemainingAmountInvoiceCurrency"] == 200.0


def test_modified_since_lists_only_changed_invoices(visma: Visma) -> None:
    old = create(visma, visma.invoice()).json()
    visma.advance(600)
    new = create(visma, visma.invoice()).json()
    cursor = "2026-03-02T09:05:00Z"
    listed = visma.call("GET", "/customerinvoices", "/customerinvoices", modifiedSinceUtc=cursor).json()
    assert [invoice["Id"] for invoice in listed["Data"]] == [new["Id"]]
    assert listed["Meta"]["ServerTimeUtc"].startswith("2026-03-02T09:10:00")
    visma.advance(600)
    pay(visma, old["Id"], 10)
    cursor = "2026-03-02T09:15:00Z"
    listed = visma.call("GET", "/customerinvoices", "/customerinvoices", modifiedSinceUtc=cursor).json()
    assert [invoice["Id"] for invoice in listed["Data"]] == [old["Id"]]


def test_list_filters_and_pages(visma: Visma) -> None:
    for _ in range(3):
        create(visma, visma.invoice())
    page = visma.call("GET", "/customerinvoices", "/customerinvoices", **{"$pagesize": 2, "$page": 2}).json()
    assert page["Meta"]["TotalNumberOfResults"] == 3
    assert page["Meta"]["TotalNumberOfPages"] == 2
    assert len(page["Data"]) == 1
    found = visma.call("GET", "/customerinvoices", "/customerinvoices", **{"$filter": "InvoiceNumber eq 1002"}).json()
    assert [invoice["InvoiceNumber"] for invoice in found["Data"]] == [1002]


def test_rot_invoice_owes_the_customer_part(visma: Visma) -> None:
    body = visma.invoice(
        RotReducedInvoicingType=1,
        RotPropertyType=2,
        RotReducedInvoicingPropertyName="Göteborg Majorna 1:23",
        Persons=[{"Ssn": ANNA}],
        Rows=[visma.row("8000", 10, 650, WorkCostType=1), visma.row("9000", 5, 100)],
    )
    response = create(visma, body)
    assert response.status_code == 201, response.text
    invoice = response.json()
    # labour 6 500 + VAT = 8 125 × 30 % = 2 437.5 → 2 437; material 500 + 125; total 8 750
    assert invoice["TotalAmount"] == 8750.0
    assert invoice["RotReducedInvoicingAmount"] == 2437.0
    assert invoice["RotReducedInvoicingPercent"] == 0.3
    assert invoice["Persons"][0]["Amount"] == 2437.0
    assert invoice["RemainingAmount"] == 6313.0
    assert invoice["Rows"][0]["IsWorkCost"] is True


def test_credit_invoice_is_negative_and_stands_alone(visma: Visma) -> None:
    original = create(visma, visma.invoice()).json()
    credit = create(visma, visma.invoice(IsCreditInvoice=True, Rows=[visma.row("9000", -2, 100)])).json()
    assert credit["TotalAmount"] == -250.0
    assert credit["RemainingAmount"] == -250.0
    assert credit["InvoiceNumber"] == original["InvoiceNumber"] + 1
    unchanged = visma.call("GET", f"/customerinvoices/{original['Id']}", "/customerinvoices/{invoiceId}").json()
    assert unchanged["RemainingAmount"] == 250.0
    assert pay(visma, credit["Id"], -250, payment_type=2).status_code == 201


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"Rows": [{"ArticleId": "00000000-0000-4000-8000-000000000000", "Quantity": 1, "UnitPrice": 1}]}, 3000),
        ({"CustomerId": "00000000-0000-4000-8000-000000000000"}, 3000),
        ({"Rows": [{"ArticleId": None, "Text": "Bara text"}]}, 4002),
        ({"RotReducedInvoicingType": 2, "Persons": [{"Ssn": ANNA}]}, 4000),  # company customer, see below
    ],
)
def test_refusals(visma: Visma, fields: dict[str, Any], code: int) -> None:
    customer = "1002" if fields.get("RotReducedInvoicingType") else "1001"
    if customer == "1002":
        visma.settings(UsesReverseConstructionVat=True)
    response = create(visma, visma.invoice(customer, **fields))
    assert response.status_code == 400, response.text
    assert response.json()["ErrorCode"] == code
    assert visma.call("GET", "/customerinvoices", "/customerinvoices").json()["Data"] == []
    settings = visma.call("GET", "/companysettings", "/companysettings").json()
    assert settings["NextCustomerInvoiceNumber"] == 1001


def test_missing_required_field_is_refused(visma: Visma) -> None:
    body = visma.invoice()
    del body["Rows"]
    response = visma.client.post("/v2/customerinvoices", json=body)
    assert response.status_code == 400
    assert response.json()["ErrorCode"] == 4002


def test_created_from_draft_id_books_the_draft(visma: Visma) -> None:
    rows = [visma.row("9000", 4, 100, IsTextRow=False, ReversedConstructionServicesVatFree=False)]
    draft = visma.call("POST", "/customerinvoicedrafts", "/customerinvoicedrafts", visma.invoice(Rows=rows)).json()
    invoice = create(visma, visma.invoice(CreatedFromDraftId=draft["Id"]))
    assert invoice.status_code == 201, invoice.text
    assert invoice.json()["CreatedFromDraftId"] == draft["Id"]
    assert invoice.json()["TotalAmount"] == 500.0  # the draft's rows, not the body's
    assert visma.client.get(f"/v2/customerinvoicedrafts/{draft['Id']}").status_code == 404
    unknown = create(visma, visma.invoice(CreatedFromDraftId=draft["Id"]))
    assert unknown.status_code == 400
    assert unknown.json()["ErrorCode"] == 3000


def test_zero_amount_invoice_is_refused(visma: Visma) -> None:
    response = create(visma, visma.invoice(Rows=[visma.row("9000", 1, 0)]))
    assert response.status_code == 400
    assert "zero" in response.json()["DeveloperErrorMessage"]


def test_numbers_out_of_range_are_a_400_not_a_crash(visma: Visma) -> None:
    assert create(visma, visma.invoice(Rows=[visma.row("9000", 1, 1e300)])).status_code == 400
    invoice = create(visma, visma.invoice()).json()
    assert pay(visma, invoice["Id"], 10.001).status_code == 400  # more than two decimals
    assert pay(visma, invoice["Id"], 10, PaymentDate="not a date").status_code == 400
    listed = visma.client.get("/v2/customerinvoices", params={"modifiedSinceUtc": "yesterday"})
    assert listed.status_code == 400


def test_scopes_per_operation(visma: Visma) -> None:
    invoice = create(visma, visma.invoice()).json()
    readonly = visma.client.post("/_sandbox/token", json={"scopes": ["ea:api", "ea:sales_readonly"]}).json()
    headers = {"Authorization": f"Bearer {readonly['access_token']}"}
    assert visma.client.get("/v2/customerinvoices", headers=headers).status_code == 200
    assert visma.client.get("/v2/customerinvoicedrafts", headers=headers).status_code == 200
    payment = {"CompanyBankAccountId": visma.sid("bank:foretagskonto"), "PaymentAmount": 1, "PaymentCurrency": "SEK"}
    refused = visma.client.post(
        f"/v2/customerinvoices/{invoice['Id']}/payments", json=payment | {"PaymentType": 1}, headers=headers
    )
    assert refused.status_code == 403
    draft = visma.invoice(Rows=[visma.row("9000", 1, 1, IsTextRow=False, ReversedConstructionServicesVatFree=False)])
    assert visma.client.post("/v2/customerinvoicedrafts", json=draft, headers=headers).status_code == 403
    assert visma.client.get("/v2/vouchers", headers=headers).status_code == 403  # needs ea:accounting
    sales_only = visma.client.post("/_sandbox/token", json={"scopes": ["ea:api", "ea:sales"]}).json()
    headers = {"Authorization": f"Bearer {sales_only['access_token']}"}
    assert visma.client.get("/v2/customerledgeritems", headers=headers).status_code == 200
    assert visma.client.get("/v2/partnerresourcelinks", headers=headers).status_code == 200
    assert visma.client.post("/v2/vouchers", json={"VoucherText": "x", "Rows": []}, headers=headers).status_code == 403


def test_invoices_and_payments_survive_a_restart(visma: Visma, data_dir: Path, clock: FakeClock) -> None:
    invoice = create(visma, visma.invoice()).json()
    assert pay(visma, invoice["Id"], 100).status_code == 201
    draft = visma.invoice(Rows=[visma.row("9000", 1, 1, IsTextRow=False, ReversedConstructionServicesVatFree=False)])
    draft_id = visma.call("POST", "/customerinvoicedrafts", "/customerinvoicedrafts", draft).json()["Id"]
    with TestClient(create_sandbox_app(data_dir, clock=clock)) as restarted:
        again = Visma(restarted, clock)
        reloaded = again.call("GET", f"/customerinvoices/{invoice['Id']}", "/customerinvoices/{invoiceId}").json()
        assert reloaded["RemainingAmount"] == 150.0
        assert again.client.get(f"/v2/customerinvoicedrafts/{draft_id}").status_code == 200
        settings = again.call("GET", "/companysettings", "/companysettings").json()
        assert settings["NextCustomerInvoiceNumber"] == 1002
        assert create(again, again.invoice()).json()["VoucherNumber"] == "B3"  # the series continues


def test_an_unpaid_invoice_past_its_due_date_is_overdue(visma: Visma) -> None:
    invoice = create(visma, visma.invoice()).json()  # due 2026-04-01
    visma.advance(30 * 86400)  # 2026-04-01, the due date itself
    assert get(visma, invoice["Id"])["PaymentStatus"] == 1
    visma.advance(86400)
    overdue = get(visma, invoice["Id"])
    assert overdue["PaymentStatus"] == 2
    assert overdue["ModifiedUtc"] == invoice["ModifiedUtc"]
    listed = visma.call("GET", "/customerinvoices", "/customerinvoices", **{"$filter": "PaymentStatus eq 2"})
    assert [row["Id"] for row in listed.json()["Data"]] == [invoice["Id"]]
    assert pay(visma, invoice["Id"], 250, 2, PaymentDate="2026-04-02T00:00:00Z").status_code == 201
    assert get(visma, invoice["Id"])["PaymentStatus"] == 0


def get(visma: Visma, invoice_id: str) -> Any:
    return visma.call("GET", f"/customerinvoices/{invoice_id}", "/customerinvoices/{invoiceId}").json()


def test_tax_deduction_status_follows_payment_claim_and_refusal(visma: Visma) -> None:
    body = visma.invoice(
        RotReducedInvoicingType=1,
        RotPropertyType=2,
        RotReducedInvoicingPropertyName="Göteborg Majorna 1:23",
        Persons=[{"Ssn": ANNA}],
        Rows=[visma.row("8000", 10, 650, WorkCostType=1)],
    )
    invoice = create(visma, body).json()
    plain = create(visma, visma.invoice()).json()
    path, template = f"/customerinvoices/{invoice['Id']}", "/customerinvoices/{invoiceId}"

    def status() -> int:
        return int(visma.call("GET", path, template).json()["TaxDeductionStatus"])

    def claim(value: int, which: str = invoice["Id"]) -> Any:
        return visma.client.put(f"/_sandbox/customerinvoices/{which}/taxdeduction", json={"TaxDeductionStatus": value})

    assert status() == 0  # not paid yet
    assert claim(2).status_code == 409  # nothing to claim before the customer paid
    assert pay(visma, invoice["Id"], 3000).status_code == 201
    assert status() == 0  # partly paid
    before = visma.call("GET", path, template).json()["ModifiedUtc"]
    visma.advance(5)
    assert pay(visma, invoice["Id"], invoice["RemainingAmount"] - 3000).status_code == 201
    assert status() == 1  # ready to claim
    visma.advance(5)
    assert claim(3).status_code == 409  # refused only after a claim
    assert claim(2).status_code == 200
    assert status() == 2
    claimed_at = visma.call("GET", path, template).json()["ModifiedUtc"]
    assert claimed_at > before
    changed = visma.call("GET", "/customerinvoices", "/customerinvoices", modifiedSinceUtc=claimed_at).json()
    assert [found["Id"] for found in changed["Data"]] == [invoice["Id"]]
    assert claim(3).status_code == 200
    assert status() == 3
    assert claim(1).status_code == 409
    assert claim(2, plain["Id"]).status_code == 409  # no tax reduction on it
    assert claim(2, "00000000-0000-4000-8000-000000000000").status_code == 404
    assert visma.client.put(f"/_sandbox/customerinvoices/{invoice['Id']}/taxdeduction", json={}).status_code == 400
