"""Two lanes per company: exports that may create a customer or an article run one at a time (the serial lane),
exports that only POST their document run several at once (the parallel lane). A parallel export whose routing
went stale hands itself over to the serial lane instead of creating anything.

End to end through our REST API, DBOS (``PER_COMPANY_CONCURRENCY`` parallel exports per company) and the sandbox.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import httpx
import pytest
from dbos import DBOS
from fastapi.testclient import TestClient
from sqlalchemy import delete

from fakturabro.bootstrap import Container
from fakturabro.store.export_models import VismaCustomerLink
from fakturabro.sync import runtime
from fakturabro.sync.export import steps, workflow
from fakturabro.sync.export.planner import ExportLane, RowArticles, choose_lane

from .conftest import Connections
from .export_helpers import ADDRESS, ExportApi

LABOUR = {"text": "Arbete", "quantity": "2", "unit_price": "500", "kind": "labour"}
BOOKS = {"text": "Böcker", "quantity": "1", "unit_price": "200", "kind": "material", "vat_rate": "6"}
MANY = 12


# --- the decision, with literals --------------------------------------------------------------------------------


def test_an_unlinked_customer_goes_to_the_customers_lane() -> None:
    assert choose_lane(False, [], {"MINUBA"}) is ExportLane.CUSTOMER
    assert choose_lane(False, [RowArticles(None, "MINUBA")], {"MINUBA"}) is ExportLane.CUSTOMER
    assert choose_lane(False, [RowArticles(None, "MINUBA-6")], {"MINUBA"}) is ExportLane.CUSTOMER  # then serial


def test_a_linked_customer_with_every_article_cached_goes_to_the_parallel_lane() -> None:
    rows = [RowArticles("9000", "MINUBA"), RowArticles(None, "MINUBA-12"), RowArticles("7", "MINUBA")]
    assert choose_lane(True, rows, {"9000", "MINUBA", "MINUBA-12"}) is ExportLane.PARALLEL
    assert choose_lane(True, [], set()) is ExportLane.PARALLEL  # verifikation: no articles at all


def test_a_row_whose_own_article_is_cached_needs_no_fallback() -> None:
    assert choose_lane(True, [RowArticles("9000", "MINUBA-6")], {"9000"}) is ExportLane.PARALLEL


def test_a_row_needing_an_uncached_fallback_goes_to_the_serial_lane() -> None:
    assert choose_lane(True, [RowArticles("9000", "MINUBA-6")], {"MINUBA"}) is ExportLane.SERIAL
    rows = [RowArticles(None, "MINUBA"), RowArticles(None, "MINUBA-ROTRUT")]
    assert choose_lane(True, rows, {"MINUBA"}) is ExportLane.SERIAL


# --- end to end -------------------------------------------------------------------------------------------------


def _queue_of(workflow_id: str) -> str | None:
    status = DBOS.get_workflow_status(workflow_id)
    assert status is not None, workflow_id
    return status.queue_name


def _export_all(api: ExportApi, invoices: list[dict[str, Any]]) -> None:
    for invoice in invoices:
        assert api.wait_exported(invoice["id"], timeout=120, states={"exported"}).state == "exported"
        assert runtime.wait_for(invoice["id"]) == "exported"
    drafts = Counter(draft["ContractNumber"] for draft in api.visma_list("/customerinvoicedrafts"))
    assert all(count == 1 for count in drafts.values())  # none twice (with the warm-up invoice's), none missing
    assert {f"fakturabro-{invoice['number']}" for invoice in invoices} <= set(drafts)


def _linked_customer(api: ExportApi) -> dict[str, Any]:
    """A customer exported once, so linked, with the 25 % fallback article cached."""
    customer = api.created("/customers", {"name": "Kund Känd", **ADDRESS})
    first = api.approve(customer, [LABOUR])
    api.wait_exported(first["id"], states={"exported"})
    return customer


def test_many_invoices_of_one_new_customer_create_it_once(api: ExportApi) -> None:
    customer = api.created("/customers", {"name": "Kund Ny", **ADDRESS})
    invoices = [api.approve(customer, [LABOUR, BOOKS]) for _ in range(MANY)]

    _export_all(api, invoices)
    assert len(api.visma_list("/customers", f"CustomerNumber eq '{customer['customer_number']}'")) == 1
    assert len(api.visma_list("/articles", "Number eq 'MINUBA-6'")) == 1
    # The first is routed to the customer's lane, which creates the customer and hands the export on to the serial
    # lane for the articles; those approved once the customer was linked may go parallel.
    first = workflow.workflow_id(invoices[0]["id"], 1)
    assert _queue_of(first) == workflow.CUSTOMER_EXPORT_QUEUE
    assert _queue_of(workflow.handed_over_id(first, ExportLane.SERIAL)) == workflow.EXPORT_QUEUE
    assert [entry.step for entry in api.log_of(invoices[0]["id"]) if _hand_over(entry.outcome)] == ["resolve_articles"]


def test_invoices_of_many_new_customers_create_each_customer_and_article_once_side_by_side(api: ExportApi) -> None:
    customers = [api.created("/customers", {"name": f"Ny Kund {n}", **ADDRESS}) for n in range(6)]
    invoices = [api.approve(customer, [LABOUR, BOOKS]) for customer in customers for _ in range(2)]

    _export_all(api, invoices)
    for customer in customers:
        assert len(api.visma_list("/customers", f"CustomerNumber eq '{customer['customer_number']}'")) == 1
    assert len(api.visma_list("/articles", "Number eq 'MINUBA'")) == 1
    assert len(api.visma_list("/articles", "Number eq 'MINUBA-6'")) == 1
    # Each new customer has its own partition of the customers' lane: one company's new customers do not queue
    # behind each other (only an export that must create an article goes on to the company's serial lane).
    firsts = [DBOS.get_workflow_status(workflow.workflow_id(invoices[2 * n]["id"], 1)) for n in range(6)]
    assert {status.queue_name for status in firsts if status} == {workflow.CUSTOMER_EXPORT_QUEUE}
    assert len({status.queue_partition_key for status in firsts if status}) == 6


def test_known_customers_with_cached_articles_run_in_the_parallel_lane(api: ExportApi) -> None:
    customer = _linked_customer(api)
    invoices = [api.approve(customer, [LABOUR, LABOUR]) for _ in range(MANY)]

    _export_all(api, invoices)
    assert {_queue_of(workflow.workflow_id(invoice["id"], 1)) for invoice in invoices} == {
        workflow.PARALLEL_EXPORT_QUEUE
    }
    assert all(entry.outcome != "serial_lane" for invoice in invoices for entry in api.log_of(invoice["id"]))
    assert len(api.visma_list("/customers")) == 2 + 1  # the two seeded, ours once


def test_a_fallback_article_missing_from_the_cache_sends_the_export_to_the_serial_lane(api: ExportApi) -> None:
    customer = _linked_customer(api)
    invoice = api.approve(customer, [LABOUR, BOOKS])  # MINUBA-6 is not cached yet

    _export_all(api, [invoice])
    assert _queue_of(workflow.workflow_id(invoice["id"], 1)) == workflow.EXPORT_QUEUE
    assert len(api.visma_list("/articles", "Number eq 'MINUBA-6'")) == 1


@pytest.fixture
def stale_routing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Routing decided before the state changed behind the export's back: everything goes to the parallel lane."""

    def parallel(deps: steps.ExportDeps, company_id: int, invoice_id: int) -> steps.ExportRoute:
        return steps.ExportRoute(ExportLane.PARALLEL, steps.customer_of(deps, company_id, invoice_id))

    monkeypatch.setattr(steps, "export_lane", parallel)


@pytest.mark.usefixtures("stale_routing")
def test_a_removed_customer_link_hands_the_export_to_the_customers_lane(api: ExportApi) -> None:
    customer = _linked_customer(api)
    with api.container.db.transaction() as session:
        session.execute(delete(VismaCustomerLink).where(VismaCustomerLink.company_id == api.company.id))
    invoice = api.approve(customer, [LABOUR])

    _export_all(api, [invoice])
    assert _queue_of(workflow.workflow_id(invoice["id"], 1)) == workflow.PARALLEL_EXPORT_QUEUE
    handed_over = workflow.handed_over_id(workflow.workflow_id(invoice["id"], 1), ExportLane.CUSTOMER)
    assert _queue_of(handed_over) == workflow.CUSTOMER_EXPORT_QUEUE
    assert [entry.step for entry in api.log_of(invoice["id"]) if entry.outcome == "customer_lane"] == [
        "resolve_customer"
    ]
    # Found again by its number in the customer's lane, linked again, not created twice.
    assert len(api.visma_list("/customers", f"CustomerNumber eq '{customer['customer_number']}'")) == 1
    with api.container.db.transaction() as session:
        assert session.get(VismaCustomerLink, (api.company.id, customer["id"])) is not None


@pytest.mark.usefixtures("stale_routing")
def test_parallel_exports_needing_one_new_article_create_it_once_in_the_serial_lane(api: ExportApi) -> None:
    customer = _linked_customer(api)
    invoices = [api.approve(customer, [LABOUR, BOOKS]) for _ in range(MANY)]

    _export_all(api, invoices)
    assert len(api.visma_list("/articles", "Number eq 'MINUBA-6'")) == 1
    handed_over = [invoice for invoice in invoices if _handed_over(api, invoice["id"])]
    assert handed_over, "at least the first export needing MINUBA-6 must have gone to the serial lane"
    for invoice in handed_over:
        assert [entry.step for entry in api.log_of(invoice["id"]) if entry.outcome == "serial_lane"] == [
            "resolve_articles"
        ]


@pytest.mark.usefixtures("stale_routing")
def test_parallel_exports_of_one_new_customer_create_it_once(api: ExportApi) -> None:
    customer = api.created("/customers", {"name": "Kund Ny Parallell", **ADDRESS})
    invoices = [api.approve(customer, [LABOUR]) for _ in range(MANY)]

    _export_all(api, invoices)
    assert len(api.visma_list("/customers", f"CustomerNumber eq '{customer['customer_number']}'")) == 1
    assert len(api.visma_list("/articles", "Number eq 'MINUBA'")) == 1


@pytest.mark.usefixtures("stale_routing")
def test_hand_overs_of_several_companies_at_once_all_finish(
    api: ExportApi, app_client: TestClient, export_container: Container, control: httpx.Client, connections: Connections
) -> None:
    """Each waiting parallel export holds a thread until its serial child is done: with more waiting than DBOS's
    default thread pool holds (6 on two cores), the children would never start."""
    companies = [api] + [ExportApi.connected(app_client, export_container, control, connections) for _ in range(2)]
    invoices = []
    for company in companies:
        customer = company.created("/customers", {"name": "Kund Ny Parallell", **ADDRESS})
        invoices += [(company, company.approve(customer, [LABOUR])) for _ in range(4)]

    for company, invoice in invoices:
        assert company.wait_exported(invoice["id"], timeout=120, states={"exported"}).state == "exported"
    assert sum(_handed_over(company, invoice["id"]) for company, invoice in invoices) >= len(companies)


def _handed_over(api: ExportApi, invoice_id: int) -> bool:
    return any(_hand_over(entry.outcome) for entry in api.log_of(invoice_id))


def _hand_over(outcome: str) -> bool:
    return outcome in {"serial_lane", "customer_lane"}
