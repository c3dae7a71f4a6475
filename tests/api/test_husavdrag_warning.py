"""A back-dated ROT invoice keeps the invoice date's rate, and the API warns what a payment today gives instead."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient

from fakturabro.bootstrap import Container
from fakturabro.web.app import create_app

from .helpers import PRIVATE_PNR, Api
from .test_pages import _login

NBSP = "\u00a0"
# 10 h × 650 kr = 6 500 + 25 % VAT = 8 125 kr labour incl. VAT: ROT 50 % = 4 062, 30 % = 2 437.
ROT_ROW = {"text": "Elarbete", "quantity": "10", "unit": "tim", "unit_price": "650", "kind": "labour"}
ROT = {
    "type": "rot",
    "persons": [{"personal_number": PRIVATE_PNR, "share": "100"}],
    "property_designation": "Malmö Kungsten 3:12",
}


@pytest.fixture
def in_january_2026(container: Container, monkeypatch: pytest.MonkeyPatch) -> None:
    # 23:30 UTC on 31 Dec is already 1 Jan in Sweden, where the rate changes.
    monkeypatch.setattr(container.db, "clock", lambda: datetime(2025, 12, 31, 23, 30, tzinfo=UTC))


def rot_draft(api: Api, invoice_date: str) -> dict:
    customer = api.private_customer()
    return api.draft(customer, rows=[{**ROT_ROW, "house_work_type": "el"}], house_work=ROT, invoice_date=invoice_date)


@pytest.mark.usefixtures("in_january_2026")
def test_a_rot_invoice_dated_in_december_warns_that_a_payment_today_gets_30_percent(api: Api) -> None:
    draft = rot_draft(api, "2025-12-20")

    approved = api.post(f"/invoices/{draft['id']}/approve").json()

    assert approved["status"] == "approved"  # a warning, not an error
    assert approved["totals"]["house_work_deduction"] == "4062.00"  # still priced at its invoice date
    expected = {
        "code": "husavdrag_rate_today",
        "message": (
            f"Fakturadatumet ger 50{NBSP}% ROT men betalas fakturan i dag gäller 30{NBSP}%. Skatteverket betalar "
            f"då högst 2{NBSP}437{NBSP}kr i stället för 4{NBSP}062{NBSP}kr, och kunden ska betala mellanskillnaden "
            f"1{NBSP}625{NBSP}kr."
        ),
    }
    assert draft["warnings"] == [expected]
    assert approved["warnings"] == [expected]
    assert api.get(f"/invoices/{draft['id']}").json()["warnings"] == [expected]
    assert PRIVATE_PNR not in expected["message"]


@pytest.mark.usefixtures("in_january_2026")
def test_a_rot_invoice_dated_in_the_current_period_has_no_warning(api: Api) -> None:
    draft = rot_draft(api, "2026-01-01")
    assert draft["warnings"] == []
    assert api.post(f"/invoices/{draft['id']}/approve").json()["warnings"] == []


@pytest.mark.usefixtures("in_january_2026")
def test_a_paid_invoice_no_longer_warns(api: Api) -> None:
    draft = rot_draft(api, "2025-12-20")
    api.post(f"/invoices/{draft['id']}/approve")

    paid = api.post(f"/invoices/{draft['id']}/payments", {"amount": "4063.00", "payment_date": "2025-12-30"})

    assert paid.status_code in (200, 201), paid.text
    assert paid.json()["status"] == "paid"
    assert paid.json()["warnings"] == []


def test_a_payment_in_january_on_a_december_invoice_says_what_to_invoice_the_buyer(
    api: Api, container: Container, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(container.db, "clock", lambda: datetime(2026, 2, 2, 9, 0, tzinfo=UTC))
    draft = rot_draft(api, "2025-12-20")
    number = api.post(f"/invoices/{draft['id']}/approve").json()["number"]

    paid = api.post(f"/invoices/{draft['id']}/payments", {"amount": "4063.00", "payment_date": "2026-01-08"})

    assert paid.json()["status"] == "paid"
    assert paid.json()["warnings"] == [
        {
            "code": "husavdrag_rate_paid",
            "message": (
                f"Faktura {number} betalades 2026-01-08, då ROT-avdraget är 30{NBSP}% (fakturan: 50{NBSP}%). "
                f"Skatteverket betalar högst 2{NBSP}437{NBSP}kr; fakturera kunden mellanskillnaden 1{NBSP}625{NBSP}kr."
            ),
        }
    ]


def test_an_invoice_without_husavdrag_has_no_warnings(api: Api) -> None:
    invoice = api.approved(api.private_customer())
    assert invoice["warnings"] == []


@pytest.mark.usefixtures("in_january_2026")
def test_the_approval_page_and_the_invoice_page_show_the_warning(api: Api, container: Container) -> None:
    draft = rot_draft(api, "2025-12-20")
    browser = TestClient(create_app(container), raise_server_exceptions=False)
    _login(browser, api, container)

    before = browser.get(f"/invoices/{draft['id']}/approve")
    api.post(f"/invoices/{draft['id']}/approve")
    after = browser.get(f"/invoices/{draft['id']}")

    for page in (before, after):
        assert page.status_code == 200, page.text
        assert 'data-warning="husavdrag_rate_today"' in page.text
        assert f"Fakturadatumet ger 50{NBSP}% ROT men betalas fakturan i dag gäller 30{NBSP}%" in page.text
