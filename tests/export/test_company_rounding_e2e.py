"""Amounts follow the Visma company's öresavrundning (issue 13, item 4), end to end: our REST API → the export
(DBOS) → the sandbox over real HTTP, and Visma's payment back through the payment import."""

from __future__ import annotations

import time
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from dbos import DBOS

from fakturabro.store.export_models import VismaCompanyCache
from fakturabro.sync.export import workflow
from fakturabro.sync.payments.importer import ImportResult, import_payments
from fakturabro.sync.payments.reading import VismaReader

from .export_helpers import ExportApi, money

RECONCILIATION = "/integrations/visma/reconciliation"
# 2 699,00 + 25 % VAT = 3 373,75 kr: 3 374,00 kr with öresavrundning, 3 373,75 kr without.
TILES = {"text": "Kakel", "quantity": "1", "unit_price": "2699", "kind": "material"}


def company_rounds(api: ExportApi, rounding: int) -> None:
    """The Visma company's setting, and our reconciliation reading it (as it does after connecting)."""
    api.set_visma_settings(DomesticCurrencyRounding=rounding)
    assert api.post(RECONCILIATION).status_code == 202
    deadline = time.monotonic() + 60
    while api.get(RECONCILIATION).json()["state"] == "running":
        assert time.monotonic() < deadline, "the reconciliation did not finish"
        time.sleep(0.05)


def a_while_ago(api: ExportApi) -> None:
    """Our last read of the company's settings is older than the export trusts it."""
    with api.container.db.transaction() as session:
        cache = session.get(VismaCompanyCache, api.company.id)
        assert cache is not None
        assert cache.settings_read_at is not None
        cache.settings_read_at = cache.settings_read_at - timedelta(hours=1)


def import_payments_of(api: ExportApi) -> ImportResult:
    """The payment import as the schedule and the API run it, through this test's Visma connection."""
    reader = VismaReader(api.connections.client_for(api.company.id))
    return import_payments(api.container.db, reader, api.company.id, trigger="api")


def totals_of(api: ExportApi, invoice: dict[str, Any]) -> dict[str, Any]:
    body: dict[str, Any] = api.get(f"/invoices/{invoice['id']}").json()
    return body


@pytest.mark.parametrize(("rounding", "total"), [(0, "3373.75"), (1, "3374.00")])
def test_totals_equal_vismas_to_the_ore_with_oresavrundning_on_and_off(
    api: ExportApi, rounding: int, total: str
) -> None:
    company_rounds(api, rounding)
    customer = api.company_customer()
    draft = api.created("/invoices", {"customer_number": customer["customer_number"], "rows": [TILES]})
    assert money(draft["totals"]["total"]) == Decimal(total)  # the draft already shows what Visma will

    invoice = api.approve(customer, [TILES])
    export = api.wait_exported(invoice["id"])

    assert export.state == "exported", export.error
    assert export.totals_difference is None
    in_visma = api.draft_of(invoice["number"])
    assert money(in_visma["TotalAmount"]) == money(invoice["totals"]["total"]) == Decimal(total)
    assert money(in_visma["TotalRoundings"]) == money(invoice["totals"]["rounding"])


@pytest.mark.parametrize("workflow_name", [workflow.TWO_STEP_EXPORT_WORKFLOW, workflow.EXPORT_WORKFLOW])
def test_a_setting_changed_in_visma_after_approval_stops_the_export_until_it_agrees(
    api: ExportApi, workflow_name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """In both export paths: the two-step one new exports take, and the seven steps recorded exports replay."""
    monkeypatch.setattr(workflow, "ENQUEUED_EXPORT_WORKFLOW", workflow_name)
    company_rounds(api, 1)
    customer = api.company_customer()
    api.wait_exported(api.approve(customer, [TILES])["id"], states={"exported"})  # customer and articles created
    api.control.delete("/requests")
    invoice = api.approve(customer, [TILES])
    api.wait_exported(invoice["id"], states={"exported"})
    ran = DBOS.retrieve_workflow(workflow.workflow_id(invoice["id"], 1)).get_status()
    assert ran is not None
    assert ran.name == workflow_name
    reads = api.control.get("/requests").json()["counts"]
    assert "GET /v2/companysettings" not in reads  # the setting read minutes ago is trusted, not read per invoice
    api.set_visma_settings(DomesticCurrencyRounding=0)  # changed in Visma after our last read, minutes ago
    a_while_ago(api)
    second = api.approve(api.company_customer(customer_number="2002", name="Bygg & Co II AB"), [TILES])

    export = api.wait_exported(second["id"])

    assert export.state == "failed"
    assert export.error is not None
    message = export.error.replace("\N{NO-BREAK SPACE}", " ")  # amounts are written with no-break spaces
    assert "räknades med öresavrundning (totalt 3 374,00 kr)" in message
    assert "skulle få 3 373,75 kr" in message
    assert api.visma_list("/customerinvoicedrafts", f"ContractNumber eq 'fakturabro-{second['number']}'") == []
    api.set_visma_settings(DomesticCurrencyRounding=1)  # the user puts it back, then "Exportera igen"
    assert api.post(f"/invoices/{second['id']}/export").status_code == 202
    assert api.wait_exported(second["id"], states={"exported"}).totals_difference is None
    assert money(api.draft_of(second["number"])["TotalAmount"]) == Decimal("3374.00")


def test_a_payment_that_leaves_vismas_remaining_amount_at_zero_makes_the_invoice_paid(api: ExportApi) -> None:
    """Exported at 3 374,00 kr; the company then stopped rounding and booked the draft at 3 373,75 kr, which the
    customer paid in full. Visma has nothing left to pay, so neither have we: the 0,25 kr is rounding."""
    company_rounds(api, 1)
    invoice = api.approve(api.company_customer(), [TILES])
    export = api.wait_exported(invoice["id"], states={"exported"})
    api.set_visma_settings(DomesticCurrencyRounding=0)
    booked = api.visma.post(f"/customerinvoicedrafts/{export.visma_id}/convert", json={}).json()
    remaining = booked["RemainingAmount"]
    bank = api.visma.get("/bankaccounts").json()["Data"][0]["Id"]
    payment = {"CompanyBankAccountId": bank, "PaymentAmount": remaining, "PaymentCurrency": "SEK", "PaymentType": 2}
    paid = api.visma.post(f"/customerinvoices/{booked['Id']}/payments", json=payment)
    assert paid.status_code in (200, 201), paid.text

    imported = import_payments_of(api)

    assert imported.paid == 1
    body = totals_of(api, invoice)
    assert body["status"] == "paid"
    settled = sorted((p["source"], p["amount"]) for p in body["payments"])
    assert settled == [("rounding", str(Decimal("3374.00") - Decimal(str(remaining)))), ("visma", f"{remaining:.2f}")]
    assert import_payments_of(api).paid == 0  # a second import changes nothing
    assert len(totals_of(api, invoice)["payments"]) == 2
