"""Exactly once under faults: injected 5xx, answers lost after the write committed, and Visma's rate limit.

CI runs 10 invoices under a rate limit they stay below; EXPORT_CHAOS_INVOICES=40 (or 400) with the default
EXPORT_CHAOS_RATE_LIMIT=45 also runs into Visma's 429 and its "Try again in N seconds" (about two minutes).
"""

from __future__ import annotations

import os
import time
from collections import Counter
from collections.abc import Iterator

import httpx
import pytest

from .conftest import Connections
from .export_helpers import ADDRESS, ExportApi, money

INVOICES = int(os.environ.get("EXPORT_CHAOS_INVOICES", "10"))
RATE_LIMIT = int(os.environ.get("EXPORT_CHAOS_RATE_LIMIT", "45"))
CUSTOMERS = max(1, INVOICES // 4)


@pytest.fixture
def faults(control: httpx.Client, connections: Connections) -> Iterator[httpx.Client]:
    connections.read_timeout = 1.0
    yield control
    control.put("/faults", json={"error_rate": 0, "timeout_after_commit_rate": 0, "rate_limit_per_minute": 0})
    connections.read_timeout = 5.0


def test_every_invoice_arrives_exactly_once_under_faults(api: ExportApi, faults: httpx.Client) -> None:
    customers = [
        api.created("/customers", {"name": f"Kund {n}", "org_number": None, **ADDRESS}) for n in range(CUSTOMERS)
    ]
    rows = [
        {"text": "Arbete", "quantity": "2.5", "unit_price": "612.40", "kind": "labour"},
        {"text": "Material", "quantity": "3", "unit_price": "99.95", "kind": "material", "vat_rate": "12"},
    ]
    response = faults.put(
        "/faults",
        json={
            "error_rate": 0.15,
            "timeout_after_commit_rate": 0.15,
            "timeout_after_commit_ms": 1500,
            "rate_limit_per_minute": RATE_LIMIT,
            "seed": 7,
        },
    )
    assert response.status_code == 200, response.text
    started = time.monotonic()
    invoices = [api.approve(customers[n % CUSTOMERS], rows) for n in range(INVOICES)]

    exports = {
        invoice["number"]: api.wait_exported(invoice["id"], timeout=600, states={"exported"}) for invoice in invoices
    }

    assert {api.wait_link(invoice["id"], timeout=600) for invoice in invoices} == {"linked"}  # in their own lane
    faults.put("/faults", json={"error_rate": 0, "timeout_after_commit_rate": 0, "rate_limit_per_minute": 0})
    drafts = api.visma_list("/customerinvoicedrafts")
    by_marker = Counter(draft["ContractNumber"] for draft in drafts)
    assert by_marker == Counter(
        {f"fakturabro-{invoice['number']}": 1 for invoice in invoices}
    )  # none twice, none missing
    by_id = {draft["Id"]: draft for draft in drafts}
    for invoice in invoices:
        export = exports[invoice["number"]]
        assert export.totals_difference is None
        assert money(by_id[export.visma_id]["TotalAmount"]) == money(invoice["totals"]["total"])
    assert len(api.visma_list("/customers")) == 2 + CUSTOMERS  # the two seeded, then ours once each
    assert len(api.visma_list("/articles", "Number eq 'MINUBA'")) == 1
    links = Counter(link["ResourceId"] for link in api.visma_list("/partnerresourcelinks"))
    assert set(links) == set(by_id)
    assert max(links.values()) == 1
    retried = [entry for invoice in invoices for entry in api.log_of(invoice["id"]) if entry.outcome == "retry"]
    assert retried, "the faults should have forced retries"
    assert time.monotonic() - started < 600
