"""The export's outcomes reach the event feed: `invoice.exported` and `invoice.export_failed`, once per outcome,
in the transaction that records it."""

from __future__ import annotations

from typing import Any

from fakturabro.sync import runtime
from fakturabro.web.views import exporting

from .export_helpers import ExportApi

LABOUR = {"text": "Elarbete", "quantity": "2", "unit_price": "700", "kind": "labour"}


def _events(api: ExportApi) -> list[dict[str, Any]]:
    answer = api.get("/events?limit=1000")
    assert answer.status_code == 200, answer.text
    events: list[dict[str, Any]] = answer.json()["events"]
    return events


def test_an_exported_invoice_records_its_export(api: ExportApi) -> None:
    invoice = api.approve(api.private_customer(), [LABOUR])
    export = api.wait_exported(invoice["id"])
    assert export.state == "exported", export.error
    events = _events(api)
    assert [e["type"] for e in events] == ["invoice.created", "invoice.approved", "invoice.exported"]
    exported = events[-1]["data"]
    assert exported["invoice_id"] == invoice["id"]
    assert exported["export"]["visma_id"] == export.visma_id
    assert exported["export"]["totals_difference"] is None


def test_each_failed_attempt_records_one_export_failed(api: ExportApi) -> None:
    customer = api.private_customer(postal_code=None, city=None)  # Visma refuses a customer without postal town
    invoice = api.approve(customer, [LABOUR])
    assert api.wait_exported(invoice["id"]).state == "failed"
    exporting.export_again(api.company.id, invoice["id"])
    assert runtime.wait_for(invoice["id"], generation=2) == "failed"
    failed = [e for e in _events(api) if e["type"] == "invoice.export_failed"]
    assert len(failed) == 2
    assert failed[0]["data"]["export"]["message"]
