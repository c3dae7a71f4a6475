"""The core: seeded data is reachable with a token, errors have Visma's shape, state persists."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from fakturabro.sandbox.app import create_sandbox_app
from fakturabro.sandbox.seed import SEED_COMPANY_ID
from fakturabro.sandbox.testing import FakeClock, LiveSandbox

from .conftest import bearer, get_token


def test_seeded_company_settings_are_served(client: TestClient, headers: dict[str, str]) -> None:
    settings = client.get("/v2/companysettings", headers=headers).json()
    assert settings["UsesRotReducedInvoicing"] is True
    assert settings["UsesReverseConstructionVat"] is False
    assert settings["ShowPricesExclVatPC"] is False
    assert settings["CompanyRotRutSettings"]["RotReducedInvoicingPercent"] == 0.3
    assert settings["NextCustomerInvoiceNumber"] == 1001


def test_unauthenticated_call_gets_visma_401(client: TestClient) -> None:
    response = client.get("/v2/customers")
    assert response.status_code == 401
    body = response.json()
    assert body["ErrorCode"] == 4005
    assert set(body) >= {"ErrorCode", "DeveloperErrorMessage", "ErrorId"}


def test_state_survives_restart_with_data_dir(tmp_path: Any) -> None:
    clock = FakeClock()
    first = TestClient(create_sandbox_app(tmp_path, clock=clock))
    token = get_token(first)
    created = first.post(
        "/v2/customers",
        headers=bearer(token),
        json={
            "Name": "Persistent AB",
            "InvoiceCity": "Umeå",
            "InvoicePostalCode": "90325",
            "IsActive": True,
            "IsPrivatePerson": False,
            "TermsOfPaymentId": first.get("/v2/termsofpayments", headers=bearer(token)).json()["Data"][0]["Id"],
        },
    )
    assert created.status_code == 201, created.text
    second = TestClient(create_sandbox_app(tmp_path, clock=clock))
    again = second.get(f"/v2/customers/{created.json()['Id']}", headers=bearer(token))
    assert again.status_code == 200
    assert again.json()["Name"] == "Persistent AB"


def test_live_sandbox_answers_over_http(live: LiveSandbox) -> None:
    import httpx

    token = live.token()
    assert token["company_id"] == SEED_COMPANY_ID
    response = httpx.get(f"{live.api_url}/units", headers=bearer(token), timeout=10)
    assert response.status_code == 200
    assert response.json()["Meta"]["TotalNumberOfResults"] >= 3


def test_server_banner_lists_urls_and_login() -> None:
    from fakturabro.sandbox.server import describe

    lines = "\n".join(describe("http://127.0.0.1:8765/", None))
    for expected in (
        "http://127.0.0.1:8765/connect/authorize",
        "http://127.0.0.1:8765/connect/token",
        "http://127.0.0.1:8765/v2",
        "http://127.0.0.1:8765/_sandbox",
        "demo@sandbox.local / sandbox",
    ):
        assert expected in lines


def test_unknown_v2_route_answers_visma_body(client: TestClient, headers: dict[str, str]) -> None:
    answer = client.get("/v2/nosuchresource", headers=headers)
    assert answer.status_code == 404
    assert answer.json()["ErrorCode"] == 3000
    unparsable = client.post("/v2/customers", headers={**headers, "Content-Type": "application/json"}, content=b"\xff")
    assert unparsable.status_code == 400
    assert set(unparsable.json()) >= {"ErrorCode", "DeveloperErrorMessage", "ErrorId"}


def test_reset_keeps_seeded_ids_stable(client: TestClient, headers: dict[str, str]) -> None:
    before = {row["Number"]: row["Id"] for row in client.get("/v2/articles", headers=headers).json()["Data"]}
    client.post("/_sandbox/reset")
    fresh = bearer(get_token(client))
    after = {row["Number"]: row["Id"] for row in client.get("/v2/articles", headers=fresh).json()["Data"]}
    assert before == after
