"""Run in a subprocess by test_with_the_real_export.py: the real export, as a worker runs it, of one approved
invoice (and optionally its credit invoice); prints what the export recorded as JSON.

A separate process because DBOS is one instance per process and the export tests keep theirs for the session.
"""

from __future__ import annotations

import json
import sys
import time
from typing import Any

from fastapi.testclient import TestClient

from fakturabro.bootstrap import build
from fakturabro.invoicing.companies import create_api_token
from fakturabro.store.export_models import InvoiceExport
from fakturabro.sync import runtime
from fakturabro.sync.connection import connection_status, set_export_mode, visma_client_for
from fakturabro.sync.export import workflow
from fakturabro.sync.export.steps import ExportDeps
from fakturabro.web.app import create_app

CUSTOMER = {
    # A number of its own: the series goes on after the company's 1001, and the sandbox's Visma has another 1002.
    "customer_number": "3001",
    "name": "Bygg & Co AB",
    "org_number": "556036-0793",
    "vat_number": "SE556036079301",
    "address_line1": "Storgatan 1",
    "postal_code": "41101",
    "city": "Göteborg",
}
ROWS = [{"text": "Snickeri", "quantity": "2", "unit_price": "500", "kind": "labour"}]


def main() -> None:
    company_id, mode, with_credit = int(sys.argv[1]), sys.argv[2], sys.argv[3] == "credit"
    container = build(on_approved=[workflow.start_export])
    set_export_mode(container.db, company_id, mode)
    deps = ExportDeps(
        db=container.db,
        client_for=lambda company: visma_client_for(container, company),
        mode_for=lambda company: connection_status(container.db, company).mode.value,
        link_back=False,
    )
    runtime.launch(container.settings, deps, schedule_pending=False, polling_interval_sec=0.05)
    try:
        headers = {"Authorization": f"Bearer {create_api_token(container.db, company_id).token}"}
        with TestClient(create_app(container)) as client:
            customer = client.post("/api/v1/customers", json=CUSTOMER, headers=headers).json()
            body = {"customer_number": customer["customer_number"], "invoice_date": "2026-03-02", "rows": ROWS}
            draft = client.post("/api/v1/invoices", json=body, headers=headers).json()
            invoice = client.post(f"/api/v1/invoices/{draft['id']}/approve", headers=headers).json()
            exported = [recorded(container, invoice)]
            if with_credit:
                credit = client.post(
                    f"/api/v1/invoices/{invoice['id']}/credit", json={"approve": True}, headers=headers
                )
                exported.append(recorded(container, credit.json()))
        print(json.dumps(exported))
    finally:
        runtime.shutdown()
        container.close()


def recorded(container: Any, invoice: dict[str, Any]) -> dict[str, Any]:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with container.db.transaction() as session:
            row = session.get(InvoiceExport, invoice["id"])
            if row is not None and row.state in ("exported", "failed"):
                return {
                    "invoice_id": invoice["id"],
                    "number": invoice["number"],
                    "to_pay": invoice["totals"]["to_pay"],
                    "state": row.state,
                    "error": row.error,
                    "visma_id": row.visma_id,
                    "document_type": row.visma_document_type,
                }
        time.sleep(0.05)
    raise SystemExit(f"invoice {invoice['id']} was not exported in time")


if __name__ == "__main__":
    main()
