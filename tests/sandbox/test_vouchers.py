"""`/v2/vouchers` over HTTP: balance, fiscal years, numbering, listing per year, schema validity."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from fakturabro.sandbox.state import SandboxState
from fakturabro.sandbox.testing import FakeClock

from .test_invoices import Visma

VOUCHERS = "/vouchers"
IN_YEAR = "/vouchers/{fiscalyearId}"
ONE = "/vouchers/{fiscalyearId}/{voucherId}"


@pytest.fixture
def visma(client: TestClient, clock: FakeClock) -> Visma:
    return Visma(client, clock)


def voucher(day: str = "2026-03-01", debit: float = 1000, credit: float = 1000, **fields: Any) -> dict[str, Any]:
    return {
        "VoucherDate": f"{day}T00:00:00Z",
        "VoucherText": "Kontantförsäljning",
        "Rows": [
            {"AccountNumber": 1930, "DebitAmount": debit, "CreditAmount": 0},
            {"AccountNumber": 3001, "DebitAmount": 0, "CreditAmount": credit},
        ],
    } | fields


def post(visma: Visma, body: dict[str, Any], **params: Any) -> Any:
    return visma.call("POST", VOUCHERS, VOUCHERS, body, **params)


def test_balanced_voucher_is_created_numbered_and_listed(visma: Visma) -> None:
    first = post(visma, voucher())
    assert first.status_code == 201, first.text
    created = first.json()
    assert created["NumberAndNumberSeries"] == "A1"
    assert created["VoucherType"] == 2
    assert created["ModifiedUtc"].startswith("2026-03-02T09:00:00")
    assert post(visma, voucher()).json()["NumberAndNumberSeries"] == "A2"

    year = visma.sid("fiscalyear:2026")
    fetched = visma.call("GET", f"/vouchers/{year}/{created['Id']}", ONE).json()
    assert fetched == created
    assert len(visma.call("GET", VOUCHERS, VOUCHERS).json()["Data"]) == 2
    assert len(visma.call("GET", f"/vouchers/{year}", IN_YEAR).json()["Data"]) == 2


def test_unbalanced_voucher_is_refused(visma: Visma) -> None:
    response = post(visma, voucher(debit=1000, credit=999.99))
    assert response.status_code == 400
    assert "not balanced" in response.json()["DeveloperErrorMessage"]
    assert visma.call("GET", VOUCHERS, VOUCHERS).json()["Data"] == []


def test_voucher_outside_any_fiscal_year_is_refused(visma: Visma) -> None:
    response = post(visma, voucher(day="2025-12-31"))
    assert response.status_code == 400
    assert response.json()["ErrorCode"] == 3001


def test_voucher_in_a_locked_fiscal_year_is_refused(visma: Visma, state: SandboxState, company_id: str) -> None:
    state.companies[company_id].fiscal_years[visma.sid("fiscalyear:2026")]["IsLockedForAccounting"] = True
    response = post(visma, voucher())
    assert response.status_code == 400
    assert "locked" in response.json()["DeveloperErrorMessage"]


def test_unknown_account_and_single_row_are_refused(visma: Visma) -> None:
    body = voucher()
    body["Rows"][1]["AccountNumber"] = 99
    assert post(visma, body).json()["ErrorCode"] == 3002
    single = voucher()
    single["Rows"] = single["Rows"][:1]
    assert post(visma, single).status_code == 400
    assert post(visma, voucher(debit=0, credit=0)).status_code == 400  # nothing on either side


def test_missing_voucher_text_is_refused_by_the_schema(visma: Visma) -> None:
    body = voucher()
    del body["VoucherText"]
    response = visma.client.post("/v2/vouchers", json=body)
    assert response.status_code == 400
    assert response.json()["ErrorCode"] == 4002


def test_voucher_of_another_year_is_not_found_in_this_one(visma: Visma) -> None:
    created = post(visma, voucher()).json()
    nobody = "00000000-0000-4000-8000-000000000000"
    assert visma.client.get(f"/v2/vouchers/{nobody}/{created['Id']}").status_code == 404
    assert visma.client.get(f"/v2/vouchers/{nobody}").status_code == 404
