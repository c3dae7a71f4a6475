"""The `/_sandbox` control API, per-company isolation, app activation and running mounted under a prefix."""

from __future__ import annotations

import re
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient

from fakturabro.sandbox.app import create_sandbox_app
from fakturabro.sandbox.seed import SEED_COMPANY_ID

from .conftest import bearer, get_token


def customer_body(client: TestClient, headers: dict[str, str], name: str) -> dict[str, Any]:
    terms = client.get("/v2/termsofpayments", headers=headers).json()["Data"][0]["Id"]
    return {
        "Name": name,
        "InvoiceCity": "Malmö",
        "InvoicePostalCode": "21100",
        "IsActive": True,
        "IsPrivatePerson": True,
        "TermsOfPaymentId": terms,
    }


def test_token_returns_company_id(client: TestClient) -> None:
    token = get_token(client)
    assert token["company_id"] == SEED_COMPANY_ID
    assert token["access_token"]


def test_reset_brings_back_the_seed(client: TestClient, headers: dict[str, str]) -> None:
    client.post("/v2/customers", headers=headers, json=customer_body(client, headers, "Temporär"))
    client.put("/_sandbox/companysettings", json={"UsesReverseConstructionVat": True})
    assert client.post("/_sandbox/reset").status_code == 200
    fresh = bearer(get_token(client))
    assert client.get("/v2/customers", headers=headers).status_code == 401  # tokens are gone too
    names = [row["Name"] for row in client.get("/v2/customers", headers=fresh).json()["Data"]]
    assert "Temporär" not in names
    assert client.get("/v2/companysettings", headers=fresh).json()["UsesReverseConstructionVat"] is False


def test_put_companysettings_changes_any_field(client: TestClient, headers: dict[str, str]) -> None:
    answer = client.put(
        "/_sandbox/companysettings",
        json={
            "UsesReverseConstructionVat": True,
            "ShowPricesExclVatPC": True,
            "NextCustomerInvoiceNumber": 5000,
            "CompanyRotRutSettings": {"RotReducedInvoicingPercent": 0.5},
        },
    )
    assert answer.status_code == 200, answer.text
    settings = client.get("/v2/companysettings", headers=headers).json()
    assert settings["UsesReverseConstructionVat"] is True
    assert settings["ShowPricesExclVatPC"] is True
    assert settings["NextCustomerInvoiceNumber"] == 5000
    assert settings["CompanyRotRutSettings"]["RotReducedInvoicingPercent"] == 0.5
    assert settings["CompanyRotRutSettings"]["RotReducedInvoicingMaxAmount"] == 50000.0
    assert client.put("/_sandbox/companysettings", json={"UsesRotReducedInvoicing": "yes"}).status_code == 400
    assert client.put("/_sandbox/companysettings", json={"NoSuchSetting": 1}).status_code == 400


def test_put_companysettings_over_the_api_keeps_read_only_fields(client: TestClient, headers: dict[str, str]) -> None:
    settings = client.get("/v2/companysettings", headers=headers).json()
    writable = {
        key: settings[key] for key in ("Name", "Address1", "City", "CountryCode", "PostalCode", "Email", "Phone")
    }
    answer = client.put("/v2/companysettings", headers=headers, json={**writable, "UsesRotReducedInvoicing": False})
    assert answer.status_code == 200, answer.text
    assert answer.json()["UsesRotReducedInvoicing"] is False
    assert answer.json()["NextCustomerInvoiceNumber"] == 1001


def test_companies_are_isolated(client: TestClient) -> None:
    other = client.post("/_sandbox/companies", json={"name": "Grannfirman AB"}).json()
    mine = bearer(get_token(client))
    theirs = bearer(get_token(client, company_id=other["company_id"]))
    created = client.post("/v2/customers", headers=theirs, json=customer_body(client, theirs, "Deras kund")).json()
    assert client.get(f"/v2/customers/{created['Id']}", headers=mine).status_code == 404
    assert "Deras kund" not in [row["Name"] for row in client.get("/v2/customers", headers=mine).json()["Data"]]
    assert client.get(f"/v2/customers/{created['Id']}", headers=theirs).status_code == 200
    assert client.get("/v2/companysettings", headers=theirs).json()["Name"] == "Grannfirman AB"
    # the same customer number may exist once per company
    assert created["CustomerNumber"] == "1003"
    mine_created = client.post("/v2/customers", headers=mine, json=customer_body(client, mine, "Min kund")).json()
    assert mine_created["CustomerNumber"] == "1003"


def test_second_company_user_can_log_in(client: TestClient) -> None:
    other = client.post("/_sandbox/companies", json={"email": "anna@firma.test", "password": "hemligt"}).json()
    assert other["email"] == "anna@firma.test"
    assert client.post("/_sandbox/companies", json={"email": "anna@firma.test"}).status_code == 409


def test_inactive_app_gives_403_but_status_stays_readable(client: TestClient, headers: dict[str, str]) -> None:
    assert client.put("/_sandbox/appstatus", json={"ActivationStatus": 1}).status_code == 200
    blocked = client.get("/v2/customers", headers=headers)
    assert blocked.status_code == 403
    assert blocked.json()["ErrorCode"] == 4004
    status = client.get("/v2/appstore/status", headers=headers)
    assert status.status_code == 200
    assert status.json()["Data"][0]["ActivationStatus"] == 1
    reactivated = client.put("/v2/appstore/status", headers=headers, json={"ActivationStatus": 0})
    assert reactivated.status_code == 200
    assert client.get("/v2/customers", headers=headers).status_code == 200


def test_request_log_has_templates_and_counts(client: TestClient, headers: dict[str, str]) -> None:
    client.get("/v2/units", headers=headers)
    client.get("/v2/units", headers=headers)
    customer = client.get("/v2/customers", headers=headers).json()["Data"][0]["Id"]
    client.get(f"/v2/customers/{customer}", headers=headers)
    log = client.get("/_sandbox/requests").json()
    assert log["counts"]["GET /v2/units"] == 2
    assert log["counts"]["GET /v2/customers/{customerId}"] == 1
    entry = next(row for row in log["requests"] if row["path_template"] == "/v2/customers/{customerId}")
    assert entry["path"] == f"/v2/customers/{customer}"
    assert entry["method"] == "GET"
    assert entry["status"] == 200
    assert entry["time"].endswith("Z")
    assert not any(row["path"].startswith("/_sandbox") for row in log["requests"])


def test_registered_client_with_own_redirect_uri(client: TestClient) -> None:
    created = client.post(
        "/_sandbox/clients",
        json={
            "client_id": "partner",
            "client_secret": "s3cret",
            "redirect_uris": ["https://app.example/cb"],
            "allow_loopback": False,
        },
    )
    assert created.status_code == 201
    url = "http://testserver/connect/authorize?client_id=partner&redirect_uri=https://app.example/cb&response_type=code"
    assert (
        client.post("/_sandbox/authorize", json={"url": url})
        .json()["redirect_url"]
        .startswith("https://app.example/cb?code=")
    )
    loopback = url.replace("https://app.example/cb", "http://localhost:9/cb")
    assert client.post("/_sandbox/authorize", json={"url": loopback}).status_code == 400


def test_mounted_under_a_prefix_builds_urls_from_the_request() -> None:
    main = FastAPI()
    main.mount("/visma-sandbox", create_sandbox_app())
    client = TestClient(main)
    token = client.post("/visma-sandbox/_sandbox/token").json()
    assert client.get("/visma-sandbox/v2/units", headers=bearer(token)).status_code == 200
    page = client.get(
        "/visma-sandbox/connect/authorize",
        params={"client_id": "fakturabro-dev", "redirect_uri": "http://localhost/cb", "response_type": "code"},
    )
    action = re.search(r'action="([^"]+)"', page.text)
    assert action is not None
    assert action.group(1) == "http://testserver/visma-sandbox/connect/authorize"
    log = client.get("/visma-sandbox/_sandbox/requests").json()
    assert log["counts"]["GET /v2/units"] == 1
