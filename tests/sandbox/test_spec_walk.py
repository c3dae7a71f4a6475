"""The spec walk: every operation issue 3 lists is called for real, and every answer validates against Visma's
official OpenAPI schema (openapi-core response validation); a request that violates the schema is refused with
Visma's error body, which validates too.

The official spec needs one repair to be usable at all (two path items for one URL template in
`/customerinvoicedrafts/{id}`; see `fakturabro.sandbox.spec.repair`); schemas are used unchanged.
"""

from __future__ import annotations

import copy
import functools
import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from fastapi.testclient import TestClient
from openapi_core import Config, OpenAPI
from openapi_core.testing import MockRequest, MockResponse
from openapi_spec_validator import validate as validate_spec

from fakturabro.sandbox import seed, spec

SHARED_SPEC = Path(__file__).resolve().parents[3] / "shared" / "visma" / "openapi-v2.yaml"
HOST = "http://visma.test"

# Every operation issue 3 lists, as (METHOD, official path template).
ISSUE_OPERATIONS = {
    ("GET", "/companysettings"),
    ("GET", "/appstore/status"),
    ("GET", "/bankaccounts"),
    ("GET", "/termsofpayments"),
    ("GET", "/units"),
    ("GET", "/articleaccountcodings"),
    ("GET", "/vatcodes"),
    ("GET", "/fiscalyears"),
    ("GET", "/customers"),
    ("GET", "/customers/{customerId}"),
    ("POST", "/customers"),
    ("PUT", "/customers/{customerId}"),
    ("GET", "/articles"),
    ("GET", "/articles/{articleId}"),
    ("POST", "/articles"),
    ("PUT", "/articles/{articleId}"),
    ("GET", "/customerinvoicedrafts"),
    ("GET", "/customerinvoicedrafts/{customerInvoiceDraftId}"),
    ("POST", "/customerinvoicedrafts"),
    ("PUT", "/customerinvoicedrafts/{customerInvoiceDraftId}"),
    ("DELETE", "/customerinvoicedrafts/{customerInvoiceDraftId}"),
    ("POST", "/customerinvoicedrafts/{customerInvoiceDraftId}/convert"),
    ("GET", "/customerinvoices"),
    ("GET", "/customerinvoices/{invoiceId}"),
    ("POST", "/customerinvoices"),
    ("POST", "/customerinvoices/{invoiceId}/payments"),
    ("GET", "/customerledgeritems"),
    ("POST", "/customerledgeritems/customerledgeritemswithvoucher"),
    ("GET", "/vouchers"),
    ("GET", "/vouchers/{fiscalyearId}/{voucherId}"),
    ("POST", "/vouchers"),
    ("GET", "/partnerresourcelinks"),
    ("POST", "/partnerresourcelinks"),
}


def official_text() -> bytes:
    return SHARED_SPEC.read_bytes() if SHARED_SPEC.exists() else spec.SPEC_FILE.read_bytes()


@functools.cache
def official_validator() -> OpenAPI:
    """openapi-core over the official file itself (served paths only, repaired), not the sandbox's copy."""
    official = yaml.load(official_text(), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # noqa: S506
    paths = {path: copy.deepcopy(official["paths"][path]) for path in spec.SERVED_PATHS}
    paths["/customerinvoicedrafts/{invoiceDraftId}"] = official["paths"]["/customerinvoicedrafts/{invoiceDraftId}"]
    spec.repair(paths)
    document = {**official, "servers": [{"url": f"{HOST}/v2"}], "paths": paths}
    return OpenAPI.from_dict(document, config=Config(spec_validator_cls=None))


def test_sandbox_carries_the_official_spec_unchanged() -> None:
    if not SHARED_SPEC.exists():
        pytest.skip("the shared reference copy of the spec is not on this machine")
    assert spec.SPEC_FILE.read_bytes() == SHARED_SPEC.read_bytes()


def test_served_subset_is_a_valid_openapi_document() -> None:
    validate_spec(copy.deepcopy(spec.sandbox_spec()))


def test_issue_operations_are_all_in_the_served_subset() -> None:
    assert set(spec.served_operations()) >= ISSUE_OPERATIONS


class Walker:
    def __init__(self, client: TestClient) -> None:
        self.client = client
        token = client.post("/_sandbox/token").json()["access_token"]
        self.headers = {"Authorization": f"Bearer {token}"}
        self.visited: set[tuple[str, str]] = set()
        self.refused: set[tuple[str, str]] = set()

    def call(self, method: str, template: str, path: str | None = None, body: Any = None, **params: Any) -> Any:
        path = path or template
        response = self.client.request(method, f"/v2{path}", json=body, params=params or None, headers=self.headers)
        request = MockRequest(
            HOST,
            method.lower(),
            f"/v2{path}",
            path_pattern=f"/v2{template}",
            args={key: str(value) for key, value in params.items()},
            data=json.dumps(body).encode() if body is not None else None,
        )
        content_type = response.headers.get("content-type", "application/json").split(";")[0]
        answer = MockResponse(response.content, response.status_code, content_type=content_type)
        if response.is_success and response.content:
            official_validator().validate_response(request, answer)
        if response.status_code == 400:
            official_validator().validate_response(request, answer)
        if response.is_success:
            self.visited.add((method, template))
        return response

    def ok(self, method: str, template: str, path: str | None = None, body: Any = None, **params: Any) -> Any:
        response = self.call(method, template, path, body, **params)
        assert response.is_success, f"{method} {path or template}: {response.status_code} {response.text}"
        return response.json() if response.content else None

    def refuse(self, method: str, template: str, path: str | None = None, body: Any = None) -> None:
        """A request body that violates the schema is refused with Visma's (valid) 400 body."""
        response = self.call(method, template, path, body)
        assert response.status_code == 400, f"{method} {template} accepted a bad body: {response.text}"
        assert {"ErrorCode", "DeveloperErrorMessage", "ErrorId"} <= set(response.json())
        self.refused.add((method, template))


def sid(key: str) -> str:
    return seed.seeded_id(seed.SEED_COMPANY_ID, key)


def test_walk_every_listed_operation(client: TestClient) -> None:
    walk = Walker(client)
    for template in (
        "/companysettings",
        "/appstore/status",
        "/bankaccounts",
        "/termsofpayments",
        "/units",
        "/articleaccountcodings",
        "/vatcodes",
        "/fiscalyears",
    ):
        walk.ok("GET", template)
    walk_reference_by_id(walk)
    walk_customers_and_articles(walk)
    walk_invoicing(walk)
    missing = ISSUE_OPERATIONS - walk.visited
    assert not missing, f"operations not walked: {sorted(missing)}"
    writes = {operation for operation in ISSUE_OPERATIONS if operation[0] in ("POST", "PUT")}
    assert writes <= walk.refused, f"no schema refusal shown for: {sorted(writes - walk.refused)}"


def walk_reference_by_id(walk: Walker) -> None:
    """Beyond the issue's list: the by-id reads and the settings writes the sandbox serves too."""
    for template, key in (
        ("/bankaccounts/{bankAccountId}", "bank:foretagskonto"),
        ("/termsofpayments/{id}", "terms:30-netto"),
        ("/units/{id}", "unit:st"),
        ("/articleaccountcodings/{articleAccountCodingId}", "coding:services-25"),
        ("/vatcodes/{id}", "vat:mp1"),
        ("/fiscalyears/{id}", "fiscalyear:2026"),
    ):
        walk.ok("GET", template, template.split("{")[0] + sid(key))
    settings = walk.ok("GET", "/companysettings")
    writable = {key: settings[key] for key in ("Name", "Address1", "City", "CountryCode", "PostalCode")}
    walk.ok("PUT", "/companysettings", body=writable)
    walk.refuse("PUT", "/companysettings", body={**writable, "UsesRotReducedInvoicing": "ja"})
    walk.ok("PUT", "/appstore/status", body={"ActivationStatus": 0})
    walk.refuse("PUT", "/appstore/status", body={})


def walk_customers_and_articles(walk: Walker) -> None:
    customer = {
        "Name": "Walk AB",
        "InvoiceCity": "Visby",
        "InvoicePostalCode": "62155",
        "IsActive": True,
        "IsPrivatePerson": False,
        "TermsOfPaymentId": sid("terms:30-netto"),
        "CorporateIdentityNumber": "556000-0167",
    }
    created = walk.ok("POST", "/customers", body=customer)
    one = "/customers/{customerId}"
    walk.ok("GET", one, f"/customers/{created['Id']}")
    walk.ok("PUT", one, f"/customers/{created['Id']}", body={**customer, "Name": "Walk AB 2"})
    walk.ok("GET", "/customers", **{"$filter": "CustomerNumber eq '1001'"})
    walk.refuse("POST", "/customers", body={**customer, "IsActive": "yes"})
    walk.refuse("PUT", one, f"/customers/{created['Id']}", body={"Name": "only a name"})

    article = {
        "Number": "W-1",
        "Name": "Walk article",
        "CodingId": sid("coding:services-25"),
        "UnitId": sid("unit:tim"),
        "IsActive": True,
        "NetPrice": 500.0,
    }
    made = walk.ok("POST", "/articles", body=article)
    walk.ok("GET", "/articles/{articleId}", f"/articles/{made['Id']}")
    walk.ok("PUT", "/articles/{articleId}", f"/articles/{made['Id']}", body={**article, "Name": "Walk 2"})
    walk.ok("GET", "/articles", **{"$filter": "Number eq '8000'"})
    assert walk.call("GET", "/articles", customerId="not-a-uuid").status_code == 400  # query schema too
    walk.refuse("POST", "/articles", body={**article, "NetPrice": "lots"})
    walk.refuse("PUT", "/articles/{articleId}", f"/articles/{made['Id']}", body={**article, "Number": 8000})


def walk_invoicing(walk: Walker) -> None:
    row = {"ArticleId": sid("article:9000"), "Quantity": 2, "UnitPrice": 100.0}
    draft_row = {**row, "IsTextRow": False, "ReversedConstructionServicesVatFree": False}
    draft = {"CustomerId": sid("customer:1001"), "EuThirdParty": False, "RotReducedInvoicingType": 0}
    one_draft = "/customerinvoicedrafts/{customerInvoiceDraftId}"
    created = walk.ok("POST", "/customerinvoicedrafts", body={**draft, "Rows": [draft_row]})
    walk.ok("GET", "/customerinvoicedrafts")
    walk.ok("GET", one_draft, f"/customerinvoicedrafts/{created['Id']}")
    walk.ok("PUT", one_draft, f"/customerinvoicedrafts/{created['Id']}", body={**draft, "Rows": [draft_row] * 2})
    walk.refuse("POST", "/customerinvoicedrafts", body={**draft, "EuThirdParty": "no"})
    walk.refuse("PUT", one_draft, f"/customerinvoicedrafts/{created['Id']}", body={"CustomerId": "not-a-uuid"})
    convert = "/customerinvoicedrafts/{customerInvoiceDraftId}/convert"
    walk.refuse("POST", convert, f"/customerinvoicedrafts/{created['Id']}/convert", body={"Rows": "x"})
    invoice = walk.ok("POST", convert, f"/customerinvoicedrafts/{created['Id']}/convert", body={})
    doomed = walk.ok("POST", "/customerinvoicedrafts", body={**draft, "Rows": [draft_row]})
    walk.ok("DELETE", one_draft, f"/customerinvoicedrafts/{doomed['Id']}")

    walk.ok("POST", "/customerinvoices", body={**draft, "CustomerId": sid("customer:1001"), "Rows": [row]})
    walk.refuse("POST", "/customerinvoices", body={**draft, "Rows": [row], "RotReducedInvoicingType": "ROT"})
    walk.ok("GET", "/customerinvoices", modifiedSinceUtc="2026-01-01T00:00:00Z")
    walk.ok("GET", "/customerinvoices/{invoiceId}", f"/customerinvoices/{invoice['Id']}")
    payments = "/customerinvoices/{invoiceId}/payments"
    payment = {
        "CompanyBankAccountId": sid("bank:foretagskonto"),
        "PaymentAmount": 100.0,
        "PaymentCurrency": "SEK",
        "PaymentType": 1,
        "PaymentDate": "2026-03-02T00:00:00Z",
    }
    walk.ok("POST", payments, f"/customerinvoices/{invoice['Id']}/payments", body=payment)
    walk.refuse("POST", payments, f"/customerinvoices/{invoice['Id']}/payments", body={"PaymentAmount": 1})

    voucher = {
        "VoucherDate": "2026-03-01T00:00:00Z",
        "VoucherText": "Walk",
        "Rows": [
            {"AccountNumber": 1510, "DebitAmount": 1250.0, "CreditAmount": 0},
            {"AccountNumber": 3001, "DebitAmount": 0, "CreditAmount": 1000.0},
            {"AccountNumber": 2611, "DebitAmount": 0, "CreditAmount": 250.0},
        ],
    }
    ledger = {
        "CustomerId": sid("customer:1001"),
        "InvoiceNumber": 7001,
        "InvoiceDate": "2026-03-01T00:00:00Z",
        "DueDate": "2026-03-31T00:00:00Z",
        "CurrencyCode": "SEK",
        "IsCreditInvoice": False,
        "TotalAmountInvoiceCurrency": 1250.0,
        "RemainingAmountInvoiceCurrency": 1250.0,
        "VATAmountInvoiceCurrency": 250.0,
        "Voucher": voucher,
    }
    with_voucher = "/customerledgeritems/customerledgeritemswithvoucher"
    walk.ok("POST", with_voucher, body=ledger)
    walk.refuse("POST", with_voucher, body={**ledger, "Voucher": None})
    walk.ok("GET", "/customerledgeritems")

    made = walk.ok("POST", "/vouchers", body={**voucher, "VoucherText": "Walk manual"})
    walk.refuse("POST", "/vouchers", body={"Rows": []})
    walk.ok("GET", "/vouchers")
    year = made.get("FiscalYearId") or sid("fiscalyear:2026")
    walk.ok("GET", "/vouchers/{fiscalyearId}/{voucherId}", f"/vouchers/{year}/{made['Id']}")

    link = {
        "ResourceId": invoice["Id"],
        "ResourceType": 3,
        "Href": "https://fakturabro.example/fakturor/1",
        "PartnerCompanyName": "fakturabro",
        "PartnerSystemName": "fakturabro",
    }
    walk.ok("POST", "/partnerresourcelinks", body=link)
    walk.refuse("POST", "/partnerresourcelinks", body={**link, "Href": None})
    walk.ok("GET", "/partnerresourcelinks")
