"""The link back from Visma to our invoice runs in its own lane, after the export: it never delays or fails it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from dbos import DBOS

from fakturabro.store.export_models import InvoiceExport
from fakturabro.sync.export import link_workflow, workflow

from .export_helpers import ExportApi

LABOUR = {"text": "Snickeri", "quantity": "4", "unit_price": "650", "kind": "labour"}


def links_to(api: ExportApi, visma_id: str) -> list[dict[str, object]]:
    return api.visma_list("/partnerresourcelinks", f"ResourceId eq '{visma_id}'")


def test_the_export_is_one_call_and_the_link_follows_in_its_own_workflow(api: ExportApi) -> None:
    customer = api.company_customer()
    warm = api.approve(customer, [LABOUR])  # the customer and the fallback article exist after this one
    api.wait_exported(warm["id"], states={"exported"})
    api.wait_link(warm["id"])
    api.control.delete("/requests")
    invoice = api.approve(customer, [LABOUR])

    export = api.wait_exported(invoice["id"], states={"exported"})

    assert api.wait_link(invoice["id"]) == "linked"
    body = api.get(f"/invoices/{invoice['id']}").json()["export"]
    assert body["state"] == "exported"
    assert body["link"] == "linked"
    (link,) = links_to(api, str(export.visma_id))
    assert link["ResourceType"] == 5  # customer invoice draft
    assert str(link["Href"]).endswith(f"/invoices/{invoice['id']}")
    counts = api.control.get("/requests").json()["counts"]
    writes = {name: count for name, count in counts.items() if not name.startswith("GET")}
    assert writes == {"POST /v2/customerinvoicedrafts": 1, "POST /v2/partnerresourcelinks": 1}
    steps = [(entry.step, entry.outcome) for entry in api.log_of(invoice["id"])]
    assert steps.index(("finish", "exported")) < steps.index(("link_back", "linked"))
    status = workflow.DBOS.get_workflow_status(workflow.link_workflow_id(invoice["id"], 1))
    assert status is not None
    assert status.status == "SUCCESS"


def test_a_refused_link_leaves_the_invoice_exported(api: ExportApi, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(workflow.current_deps(), "public_url", "https://example.se/" + "x" * 300)  # Href > 256
    customer = api.company_customer()
    invoice = api.approve(customer, [LABOUR])

    export = api.wait_exported(invoice["id"], states={"exported"})

    assert api.wait_link(invoice["id"]) == "refused"
    assert api.get(f"/invoices/{invoice['id']}").json()["export"]["state"] == "exported"
    assert links_to(api, str(export.visma_id)) == []
    (refusal,) = [entry for entry in api.log_of(invoice["id"]) if entry.outcome == "link_refused"]
    assert refusal.step == "link_back"
    assert refusal.http_status == 400
    assert refusal.message
    assert "länken" in refusal.message


def test_link_back_off_says_so(api: ExportApi, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(workflow.current_deps(), "link_back", False)
    invoice = api.approve(api.company_customer(), [LABOUR])

    export = api.wait_exported(invoice["id"], states={"exported"})

    assert api.wait_link(invoice["id"]) == "off"
    assert links_to(api, str(export.visma_id)) == []


def test_a_ledger_item_has_no_link(api: ExportApi) -> None:
    api.connect(mode="voucher")
    invoice = api.approve(api.company_customer(), [LABOUR])

    export = api.wait_exported(invoice["id"], states={"exported"})

    assert api.get(f"/invoices/{invoice['id']}").json()["export"]["link"] == "off"
    assert links_to(api, str(export.visma_id)) == []


def test_the_sweep_starts_a_link_left_pending_again(api: ExportApi, monkeypatch: pytest.MonkeyPatch) -> None:
    deps = workflow.current_deps()
    monkeypatch.setattr(deps, "link_back", False)
    invoice = api.approve(api.company_customer(), [LABOUR])
    export = api.wait_exported(invoice["id"], states={"exported"})
    api.wait_link(invoice["id"])
    with api.container.db.transaction() as session:  # as a link workflow that gave up while Visma was down leaves it
        row = session.get(InvoiceExport, invoice["id"])
        assert row is not None
        row.visma_link_id = "pending"
        row.exported_at = datetime.now(UTC) - timedelta(minutes=10)
    monkeypatch.setattr(deps, "link_back", True)

    link_workflow.sweep_pending_links(datetime.now(UTC), None)

    assert api.wait_link(invoice["id"]) == "linked"
    assert len(links_to(api, str(export.visma_id))) == 1
    assert invoice["id"] not in {candidate[1] for candidate in link_workflow._candidates()}  # done: not again


def test_an_export_recorded_before_the_link_lane_replays_its_inline_link(
    api: ExportApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    customer = _known_customer(api)
    with monkeypatch.context() as before_the_lane:  # DBOS.patch is False for workflows recorded before it existed
        before_the_lane.setattr(DBOS, "patch", classmethod(lambda _cls, _name: False))
        before_the_lane.setattr(workflow, "ENQUEUED_EXPORT_WORKFLOW", workflow.EXPORT_WORKFLOW)  # the seven steps
        invoice = api.approve(customer, [LABOUR])
        export = api.wait_exported(invoice["id"], states={"exported"})
        old = workflow.workflow_id(invoice["id"], 1)
        assert DBOS.retrieve_workflow(old).get_result() == "exported"
    names = [step["function_name"] for step in DBOS.list_workflow_steps(old)]
    assert names.index("export.link_back") == names.index("export.send_document") + 1  # the old sequence

    linked_inline = next(s for s in DBOS.list_workflow_steps(old) if s["function_name"] == "export.link_back")
    replay = DBOS.fork_workflow(old, linked_inline["function_id"] + 1)  # from `finish`, as recovery would go on

    assert replay.get_result() == "exported"  # no DBOSUnexpectedStepError: the patch answers False here too
    replayed = [step["function_name"] for step in DBOS.list_workflow_steps(replay.workflow_id)]
    assert "DBOS.patch-link-lane" not in replayed
    assert replayed.count("export.link_back") == 1
    assert api.wait_link(invoice["id"]) == "linked"
    assert len(links_to(api, str(export.visma_id))) == 1


def test_a_seven_step_export_passes_the_patch_and_links_in_its_lane(
    api: ExportApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    customer = _known_customer(api)
    monkeypatch.setattr(workflow, "ENQUEUED_EXPORT_WORKFLOW", workflow.EXPORT_WORKFLOW)  # as recorded before two steps
    invoice = api.approve(customer, [LABOUR])
    api.wait_exported(invoice["id"], states={"exported"})

    assert DBOS.retrieve_workflow(workflow.workflow_id(invoice["id"], 1)).get_result() == "exported"
    names = [step["function_name"] for step in DBOS.list_workflow_steps(workflow.workflow_id(invoice["id"], 1))]
    assert "export.link_back" not in names
    assert names.index("DBOS.patch-link-lane") == names.index("export.send_document") + 1
    assert api.wait_link(invoice["id"]) == "linked"


def _known_customer(api: ExportApi) -> dict[str, Any]:
    """A customer exported once (linked, its article cached), so the next export runs whole in one lane, as the
    seven-step workflows recorded before did."""
    customer = api.company_customer()
    api.wait_exported(api.approve(customer, [LABOUR])["id"], states={"exported"})
    return customer
