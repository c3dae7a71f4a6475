"""The export in two steps (`sync/export/two_steps.py`): steady-state exports are prepared from our tables alone and
sent in one more step; what needs Visma first still gets its own steps; the verdicts match the seven-step export."""

from __future__ import annotations

import pytest
from dbos import DBOS

from fakturabro.store.export_models import InvoiceExport
from fakturabro.sync.export import workflow

from .export_helpers import ExportApi, money

LABOUR = {"text": "Elinstallation", "quantity": "3", "unit_price": "725.50", "kind": "labour"}
MATERIAL = {"text": "Kabel", "quantity": "12", "unit_price": "18.25", "kind": "material", "vat_rate": "25"}


def step_names(invoice_id: int) -> list[str]:
    """The steps of the invoice's export workflow, once it has ended (the state is committed inside its last step)."""
    assert DBOS.retrieve_workflow(workflow.workflow_id(invoice_id, 1)).get_result() == "exported"
    return [step["function_name"] for step in DBOS.list_workflow_steps(workflow.workflow_id(invoice_id, 1))]


def exported_steps(names: list[str]) -> list[str]:
    return [name for name in names if name.startswith("export.")]


@pytest.fixture
def steady(monkeypatch: pytest.MonkeyPatch) -> None:
    """Production's article refresh (the tests' default refreshes before every export)."""
    monkeypatch.setattr(workflow.current_deps(), "article_refresh_seconds", 60.0)


def warm_up(api: ExportApi, customer: dict[str, object], rows: list[dict[str, str]]) -> None:
    """Two exports: the first creates the customer and the fallback articles, the second makes the first re-check
    of linked customers; within the next minute neither is due again."""
    for _ in range(2):
        api.wait_exported(api.approve(customer, rows)["id"], states={"exported"})


@pytest.mark.usefixtures("steady")
def test_a_steady_state_export_is_two_steps_and_one_call(api: ExportApi) -> None:
    customer = api.company_customer()
    warm_up(api, customer, [LABOUR, MATERIAL])
    api.control.delete("/requests")

    second = api.approve(customer, [LABOUR, MATERIAL])
    export = api.wait_exported(second["id"], states={"exported"})

    assert exported_steps(step_names(second["id"])) == ["export.prepare", "export.send_and_finish"]
    writes = {k: v for k, v in api.control.get("/requests").json()["counts"].items() if not k.startswith("GET")}
    assert writes.get("POST /v2/customerinvoicedrafts") == 1
    assert "POST /v2/customers" not in writes
    visma = api.draft_of(second["number"])
    ours = api.get(f"/invoices/{second['id']}").json()
    assert money(visma["TotalAmount"]) == money(ours["totals"]["total"])
    assert export.totals_difference is None
    assert export.visma_customer_id is not None
    logged = [entry.step for entry in api.log_of(second["id"]) if entry.step != "link_back"]  # the link lane's own
    assert logged[-1] == "finish"


def test_an_export_that_meets_a_new_customer_resolves_it_in_its_own_steps(api: ExportApi) -> None:
    warm_up(api, api.company_customer(), [LABOUR])  # the fallback article exists: only the customer is new
    customer = api.private_customer()
    invoice = api.approve(customer, [LABOUR])

    api.wait_exported(invoice["id"], states={"exported"})

    names = exported_steps(step_names(invoice["id"]))
    assert names[0] == "export.prepare"
    assert "export.resolve_customer" in names
    assert names[-1] == "export.send_and_finish"
    assert len(api.visma_list("/customers", f"CustomerNumber eq '{customer['customer_number']}'")) == 1


def test_a_prepared_attempt_of_a_superseded_generation_does_nothing(api: ExportApi) -> None:
    customer = api.company_customer()
    invoice = api.approve(customer, [LABOUR])
    api.wait_exported(invoice["id"], states={"exported"})
    with api.container.db.transaction() as session:
        row = session.get(InvoiceExport, invoice["id"])
        assert row is not None
        attempts = row.attempts

    replayed = DBOS.start_workflow(
        workflow.export_invoice_in_two_steps, api.company.id, invoice["id"], 1, "parallel"
    ).get_result()

    assert replayed == "superseded"  # exported already: the generation is done, nothing is sent again
    with api.container.db.transaction() as session:
        row = session.get(InvoiceExport, invoice["id"])
        assert row is not None
        assert (row.state, row.attempts) == ("exported", attempts)


@pytest.mark.usefixtures("steady")
def test_a_steady_state_voucher_export_is_two_steps(api: ExportApi) -> None:
    api.connect("voucher")
    customer = api.company_customer()
    warm_up(api, customer, [LABOUR])

    second = api.approve(customer, [LABOUR])
    export = api.wait_exported(second["id"], states={"exported"})

    assert exported_steps(step_names(second["id"])) == ["export.prepare", "export.send_and_finish"]
    assert export.visma_document_type == "voucher"
    assert export.totals_difference is None
