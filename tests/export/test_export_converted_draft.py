"""A draft whose POST answer was lost, converted to an invoice in Visma before the export looked it up again, is
found among the booked invoices by our marker and adopted: one document, never a second draft."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from fakturabro.sync.export import steps, workflow
from fakturabro.sync.export.planner import explain_refusal
from fakturabro.visma.errors import VismaNotFound

from .conftest import Connections
from .export_helpers import ExportApi, money

LABOUR = {"text": "Snickeri", "quantity": "4", "unit_price": "650", "kind": "labour"}
MATERIAL = {"text": "Skruv", "quantity": "10", "unit_price": "12.50", "kind": "material", "vat_rate": "12"}


@pytest.fixture
def lost_answers(control: httpx.Client, connections: Connections, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Every write is committed but answered after the client gave up; the retry waits at least 1.5 s."""
    monkeypatch.setattr(workflow.current_deps(), "backoff_base_seconds", 3.0)
    connections.read_timeout = 1.0
    response = control.put("/faults", json={"timeout_after_commit_rate": 1.0, "timeout_after_commit_ms": 1500})
    assert response.status_code == 200, response.text
    yield
    control.put("/faults", json={"timeout_after_commit_rate": 0})
    connections.read_timeout = 5.0


def wait_for_draft(api: ExportApi, number: int, timeout: float = 10.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        drafts = api.visma_list("/customerinvoicedrafts", f"ContractNumber eq 'fakturabro-{number}'")
        if drafts:
            return drafts[0]
        time.sleep(0.02)
    raise AssertionError(f"no draft for invoice {number}")


def test_a_draft_converted_after_a_lost_answer_is_adopted_as_the_booked_invoice(
    api: ExportApi, request: pytest.FixtureRequest
) -> None:
    customer = api.company_customer()
    warm = api.approve(customer, [LABOUR])  # the customer and the fallback articles exist: the draft is the one write
    api.wait_exported(warm["id"], states={"exported"})
    request.getfixturevalue("lost_answers")
    invoice = api.approve(customer, [LABOUR, MATERIAL])

    draft = wait_for_draft(api, invoice["number"])  # committed; its answer is still withheld from the export
    api.control.put("/faults", json={"timeout_after_commit_rate": 0})
    converted = api.visma.post(f"/customerinvoicedrafts/{draft['Id']}/convert", json={})
    assert converted.status_code == 201, converted.text
    booked = converted.json()
    assert booked["ContractNumber"] == f"fakturabro-{invoice['number']}"
    assert api.export_of(invoice["id"]).state == "exporting"  # the retry has not looked yet

    export = api.wait_exported(invoice["id"], states={"exported"})

    assert export.visma_id == booked["Id"]
    assert export.visma_document_type == "invoice"
    assert export.visma_invoice_number == booked["InvoiceNumber"]
    assert export.totals_difference is None
    assert money(booked["TotalAmount"]) == money(invoice["totals"]["total"])
    assert api.visma_list("/customerinvoicedrafts", f"ContractNumber eq 'fakturabro-{invoice['number']}'") == []
    invoices = api.visma_list("/customerinvoices", f"ContractNumber eq 'fakturabro-{invoice['number']}'")
    assert [booked_invoice["Id"] for booked_invoice in invoices] == [booked["Id"]]  # exactly one document
    body = api.get(f"/invoices/{invoice['id']}").json()["export"]
    assert (body["state"], body["visma_invoice_number"]) == ("exported", booked["InvoiceNumber"])
    assert api.wait_link(invoice["id"]) == "linked"
    (link,) = api.visma_list("/partnerresourcelinks", f"ResourceId eq '{booked['Id']}'")
    assert link["ResourceType"] == 3  # customer invoice


def test_a_recorded_draft_converted_before_the_export_finished_is_read_back_as_the_booked_invoice(
    api: ExportApi,
) -> None:
    """A run that recorded its draft and then stopped (crash, a retry of the attempt) reads the document back on
    the next run; if the user converted the draft in the meantime, the booked invoice is adopted, not a 404."""
    invoice = api.approve(api.company_customer(), [LABOUR, MATERIAL])
    export = api.wait_exported(invoice["id"], states={"exported"})
    assert export.visma_document_type == "draft"
    converted = api.visma.post(f"/customerinvoicedrafts/{export.visma_id}/convert", json={})
    assert converted.status_code == 201, converted.text
    booked = converted.json()

    deps = workflow.current_deps()
    assert export.visma_customer_id is not None
    again = steps.send_document(deps, export.company_id, invoice["id"], "draft", export.visma_customer_id, [])

    assert (again.visma_id, again.document_type, again.invoice_number) == (
        booked["Id"],
        "invoice",
        booked["InvoiceNumber"],
    )
    assert again.totals.total == money(invoice["totals"]["total"])
    recorded = api.export_of(invoice["id"])
    assert recorded is not None
    assert (recorded.visma_id, recorded.visma_document_type) == (booked["Id"], "invoice")
    assert len(api.visma_list("/customerinvoices", f"ContractNumber eq 'fakturabro-{invoice['number']}'")) == 1


def test_a_recorded_draft_deleted_in_visma_is_reported_and_the_next_run_creates_it_anew(api: ExportApi) -> None:
    """Gone without a trace of our marker: the run stops with Visma's 404 explained and forgets the document, so
    the user's "export again" (a new run of the same step) creates one new draft, never two."""
    invoice = api.approve(api.company_customer(), [LABOUR])
    export = api.wait_exported(invoice["id"], states={"exported"})
    assert api.visma.delete(f"/customerinvoicedrafts/{export.visma_id}").status_code in (200, 204)
    deps = workflow.current_deps()
    assert export.visma_customer_id is not None

    with pytest.raises(VismaNotFound) as gone:
        steps.send_document(deps, export.company_id, invoice["id"], "draft", export.visma_customer_id, [])
    assert "finns inte längre i Visma" in explain_refusal(gone.value)
    forgotten = api.export_of(invoice["id"])
    assert forgotten is not None
    assert forgotten.visma_id is None

    article_ids = steps.resolve_articles(deps, export.company_id, invoice["id"])
    again = steps.send_document(deps, export.company_id, invoice["id"], "draft", export.visma_customer_id, article_ids)
    (draft,) = api.visma_list("/customerinvoicedrafts", f"ContractNumber eq 'fakturabro-{invoice['number']}'")
    assert again.visma_id == draft["Id"] != export.visma_id
