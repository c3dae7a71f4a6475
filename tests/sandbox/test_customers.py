"""`/customers`: Visma's rules and the listing features the integration relies on."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from fakturabro.sandbox.testing import FakeClock, LiveSandbox


def terms_id(client: TestClient, headers: dict[str, str]) -> str:
    terms: str = client.get("/v2/termsofpayments", headers=headers).json()["Data"][0]["Id"]
    return terms


def new_customer(client: TestClient, headers: dict[str, str], **overrides: Any) -> dict[str, Any]:
    return {
        "Name": "Kalle Kund",
        "InvoiceCity": "Lund",
        "InvoicePostalCode": "22100",
        "IsActive": True,
        "IsPrivatePerson": True,
        "TermsOfPaymentId": terms_id(client, headers),
        **overrides,
    }


def test_create_assigns_number_and_returns_full_shape(client: TestClient, headers: dict[str, str]) -> None:
    created = client.post("/v2/customers", headers=headers, json=new_customer(client, headers))
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["CustomerNumber"] == "1003"
    assert body["TermsOfPayment"]["Name"] == "30 dagar netto"
    assert body["ChangedUtc"].endswith("Z")
    assert client.get(f"/v2/customers/{body['Id']}", headers=headers).json() == body
    follow_up = client.post("/v2/customers", headers=headers, json=new_customer(client, headers)).json()
    assert follow_up["CustomerNumber"] == "1004"


def test_duplicate_customer_number_is_rejected(client: TestClient, headers: dict[str, str]) -> None:
    answer = client.post("/v2/customers", headers=headers, json=new_customer(client, headers, CustomerNumber="1001"))
    assert answer.status_code == 400
    body = answer.json()
    assert body["ErrorCode"] == 4000
    assert body["Errors"][0]["Field"] == "CustomerNumber"
    assert body["ErrorId"]


@pytest.mark.parametrize(
    "missing", ["Name", "InvoiceCity", "InvoicePostalCode", "IsActive", "IsPrivatePerson", "TermsOfPaymentId"]
)
def test_missing_required_field_is_rejected(client: TestClient, headers: dict[str, str], missing: str) -> None:
    body = new_customer(client, headers)
    del body[missing]
    answer = client.post("/v2/customers", headers=headers, json=body)
    assert answer.status_code == 400
    assert answer.json()["ErrorCode"] == 4002
    assert [error["Field"] for error in answer.json()["Errors"]] == [missing]


def test_reverse_charge_needs_vat_number(client: TestClient, headers: dict[str, str]) -> None:
    body = new_customer(client, headers, IsPrivatePerson=False, ReverseChargeOnConstructionServices=True)
    answer = client.post("/v2/customers", headers=headers, json=body)
    assert answer.status_code == 400
    assert answer.json()["Errors"][0]["Field"] == "VatNumber"
    body["VatNumber"] = "SE556000016701"
    assert client.post("/v2/customers", headers=headers, json=body).status_code == 201


def test_unknown_terms_of_payment_is_rejected(client: TestClient, headers: dict[str, str]) -> None:
    body = new_customer(client, headers, TermsOfPaymentId="00000000-0000-4000-8000-000000000000")
    answer = client.post("/v2/customers", headers=headers, json=body)
    assert answer.status_code == 400
    assert answer.json()["ErrorCode"] == 3000


def test_unknown_customer_id_is_404(client: TestClient, headers: dict[str, str]) -> None:
    answer = client.get("/v2/customers/00000000-0000-4000-8000-000000000000", headers=headers)
    assert answer.status_code == 404
    assert answer.json()["ErrorCode"] == 3000


def test_schema_violations_are_rejected(client: TestClient, headers: dict[str, str]) -> None:
    wrong_type = client.post("/v2/customers", headers=headers, json=new_customer(client, headers, Name=12))
    assert wrong_type.status_code == 400
    assert wrong_type.json()["ErrorCode"] == 2000
    unknown_field = client.post("/v2/customers", headers=headers, json=new_customer(client, headers, Foo="bar"))
    assert unknown_field.status_code == 400
    too_long = client.post("/v2/customers", headers=headers, json=new_customer(client, headers, Name="x" * 51))
    assert too_long.status_code == 400
    not_json = client.post("/v2/customers", headers={**headers, "Content-Type": "application/json"}, content=b"{")
    assert not_json.status_code == 400


def test_update_replaces_and_keeps_number_unique(client: TestClient, headers: dict[str, str], clock: FakeClock) -> None:
    created = client.post("/v2/customers", headers=headers, json=new_customer(client, headers)).json()
    clock.advance(60)
    changed = client.put(
        f"/v2/customers/{created['Id']}", headers=headers, json=new_customer(client, headers, Name="Kalle Ändrad")
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["Name"] == "Kalle Ändrad"
    assert changed.json()["CustomerNumber"] == created["CustomerNumber"]
    assert changed.json()["ChangedUtc"] > created["ChangedUtc"]
    clash = client.put(
        f"/v2/customers/{created['Id']}", headers=headers, json=new_customer(client, headers, CustomerNumber="1002")
    )
    assert clash.status_code == 400
    assert clash.json()["ErrorCode"] == 4000
    missing = client.put(
        "/v2/customers/00000000-0000-4000-8000-000000000000", headers=headers, json=new_customer(client, headers)
    )
    assert missing.status_code == 404


def test_filter_and_pagination(client: TestClient, headers: dict[str, str]) -> None:
    for index in range(5):
        client.post("/v2/customers", headers=headers, json=new_customer(client, headers, Name=f"Kund {index}"))
    page = client.get("/v2/customers", headers=headers, params={"$page": 2, "$pagesize": 3}).json()
    assert page["Meta"]["TotalNumberOfResults"] == 7
    assert page["Meta"]["TotalNumberOfPages"] == 3
    assert page["Meta"]["CurrentPage"] == 2
    assert len(page["Data"]) == 3
    found = client.get("/v2/customers", headers=headers, params={"$filter": "CustomerNumber eq '1002'"}).json()
    assert [row["Name"] for row in found["Data"]] == ["Byggbolaget i Väst AB"]
    both = client.get(
        "/v2/customers", headers=headers, params={"$filter": "IsPrivatePerson eq true and Name eq 'Kund 3'"}
    ).json()
    assert [row["Name"] for row in both["Data"]] == ["Kund 3"]
    bad = client.get("/v2/customers", headers=headers, params={"$filter": "Name eq"})
    assert bad.status_code == 400


def test_filter_on_changed_utc(client: TestClient, headers: dict[str, str], clock: FakeClock) -> None:
    clock.advance(600)
    cutoff = client.get("/v2/customers", headers=headers).json()["Meta"]["ServerTimeUtc"]
    clock.advance(1)
    client.post("/v2/customers", headers=headers, json=new_customer(client, headers, Name="Ny kund"))
    recent = client.get("/v2/customers", headers=headers, params={"$filter": f"ChangedUtc gt '{cutoff}'"}).json()
    assert [row["Name"] for row in recent["Data"]] == ["Ny kund"]


def test_concurrent_creates_over_http_get_distinct_numbers(live: LiveSandbox) -> None:
    headers = {"Authorization": f"Bearer {live.token()['access_token']}"}
    terms = httpx.get(f"{live.api_url}/termsofpayments", headers=headers).json()["Data"][0]["Id"]

    def create(index: int) -> str:
        body = {
            "Name": f"Parallell {index}",
            "InvoiceCity": "Lund",
            "InvoicePostalCode": "22100",
            "IsActive": True,
            "IsPrivatePerson": True,
            "TermsOfPaymentId": terms,
        }
        response = httpx.post(f"{live.api_url}/customers", headers=headers, json=body, timeout=10)
        assert response.status_code == 201, response.text
        number: str = response.json()["CustomerNumber"]
        return number

    with ThreadPoolExecutor(max_workers=8) as pool:
        numbers = list(pool.map(create, range(16)))
    assert len(set(numbers)) == 16
