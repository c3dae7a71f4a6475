"""Exactly once in the parallel lane: steady-state customers (linked, articles cached), several exports of one
company at once, under injected 5xx, answers lost after the write committed, and Visma's rate limit.

CI runs 16 invoices over 4 customers; EXPORT_CHAOS_INVOICES=400 for a longer run.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterator

import httpx
import pytest
from dbos import DBOS

from fakturabro.sync import runtime
from fakturabro.sync.export import workflow

from .conftest import Connections
from .export_helpers import ADDRESS, ExportApi, money

INVOICES = int(os.environ.get("EXPORT_CHAOS_INVOICES", "16"))
RATE_LIMIT = int(os.environ.get("EXPORT_CHAOS_RATE_LIMIT", "45"))
CUSTOMERS = 4
ROWS = [
    {"text": "Arbete", "quantity": "2.5", "unit_price": "612.40", "kind": "labour"},
    {"text": "Material", "quantity": "3", "unit_price": "99.95", "kind": "material", "vat_rate": "12"},
]


@pytest.fixture
def faults(control: httpx.Client, connections: Connections) -> Iterator[httpx.Client]:
    connections.read_timeout = 1.0
    yield control
    control.put("/faults", json={"error_rate": 0, "timeout_after_commit_rate": 0, "rate_limit_per_minute": 0})
    connections.read_timeout = 5.0


def test_parallel_exports_arrive_exactly_once_under_faults(api: ExportApi, faults: httpx.Client) -> None:
    assert runtime.PER_COMPANY_CONCURRENCY > 1, "the parallel lane must run several exports of a company at once"
    customers = [
        api.created("/customers", {"name": f"Kund {n}", "org_number": None, **ADDRESS}) for n in range(CUSTOMERS)
    ]
    warm_up = [api.approve(customer, ROWS) for customer in customers]  # links the customers, caches the articles
    for invoice in warm_up:
        api.wait_exported(invoice["id"], states={"exported"})
    response = faults.put(
        "/faults",
        json={
            "error_rate": 0.15,
            "timeout_after_commit_rate": 0.15,
            "timeout_after_commit_ms": 1500,
            "rate_limit_per_minute": RATE_LIMIT,
            "seed": 11,
        },
    )
    assert response.status_code == 200, response.text

    invoices = [api.approve(customers[n % CUSTOMERS], ROWS) for n in range(INVOICES)]
    exports = {
        invoice["number"]: api.wait_exported(invoice["id"], timeout=600, states={"exported"}) for invoice in invoices
    }

    faults.put("/faults", json={"error_rate": 0, "timeout_after_commit_rate": 0, "rate_limit_per_minute": 0})
    statuses = [DBOS.get_workflow_status(workflow.workflow_id(invoice["id"], 1)) for invoice in invoices]
    assert {status.queue_name for status in statuses if status is not None} == {workflow.PARALLEL_EXPORT_QUEUE}
    assert all(status is not None for status in statuses)
    drafts = api.visma_list("/customerinvoicedrafts")
    assert Counter(draft["ContractNumber"] for draft in drafts) == Counter(
        {f"fakturabro-{invoice['number']}": 1 for invoice in warm_up + invoices}
    )  # none twice, none missing
    by_id = {draft["Id"]: draft for draft in drafts}
    for invoice in invoices:
        export = exports[invoice["number"]]
        assert export.totals_difference is None
        assert money(by_id[export.visma_id]["TotalAmount"]) == money(invoice["totals"]["total"])
    assert len(api.visma_list("/customers")) == 2 + CUSTOMERS  # the two seeded, then ours once each
    assert len(api.visma_list("/articles", "Number eq 'MINUBA'")) == 1
    assert len(api.visma_list("/articles", "Number eq 'MINUBA-12'")) == 1
    retried = [entry for invoice in invoices for entry in api.log_of(invoice["id"]) if entry.outcome == "retry"]
    assert retried, "the faults should have forced retries"
