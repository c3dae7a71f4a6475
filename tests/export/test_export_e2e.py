"""Approving an invoice exports it to Visma in the background: through our REST API, DBOS and the sandbox."""

from __future__ import annotations

from .export_helpers import ExportApi, money

LABOUR = {"text": "Snickeri", "quantity": "4", "unit_price": "650", "kind": "labour"}
MATERIAL = {"text": "Skruv", "quantity": "10", "unit_price": "12.50", "kind": "material"}


def test_a_new_private_customer_and_its_invoice_arrive_as_a_draft(api: ExportApi) -> None:
    customer = api.private_customer()
    invoice = api.approve(customer, [LABOUR, MATERIAL])

    export = api.wait_exported(invoice["id"])

    assert export.state == "exported", export.error
    draft = api.draft_of(invoice["number"])
    assert draft["Id"] == export.visma_id
    assert money(draft["TotalAmount"]) == money(invoice["totals"]["total"])
    assert draft["CustomerIsPrivatePerson"] is True
    visma_customer = api.visma_customer(customer["customer_number"])
    assert visma_customer["IsPrivatePerson"] is True
    assert export.totals_difference is None
