"""End to end with the real export: our API approves, the export workflow (DBOS, in a worker-like subprocess)
sends the invoice to the sandbox, the bookkeeper acts in Visma, and the import brings the payment back."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from payment_helpers import Connected, Visma, run_import
from sqlalchemy import select

from fakturabro.invoicing.companies import create_api_token
from fakturabro.store.payment_sync_models import PaymentImportDeviation
from fakturabro.web.app import create_app


def export_for_real(connected: Connected, mode: str, what: str = "single") -> list[dict[str, Any]]:
    script = Path(__file__).with_name("export_worker.py")
    done = subprocess.run(
        [sys.executable, str(script), str(connected.ours.company_id), mode, what],
        env={**os.environ, **connected.settings_env},
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    exported: list[dict[str, Any]] = json.loads(done.stdout.strip().splitlines()[-1])
    assert [row["state"] for row in exported] == ["exported"] * len(exported), exported
    return exported


def invoice_through_api(connected: Connected, invoice_id: int) -> dict[str, Any]:
    token = create_api_token(connected.container.db, connected.ours.company_id).token
    with TestClient(create_app(connected.container)) as client:
        answer = client.get(f"/api/v1/invoices/{invoice_id}", headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


def number_mismatches(connected: Connected) -> list[tuple[int | None, int | None]]:
    with connected.container.db.transaction() as session:
        rows = session.scalars(
            select(PaymentImportDeviation).where(
                PaymentImportDeviation.company_id == connected.ours.company_id,
                PaymentImportDeviation.kind == "number_mismatch",
            )
        )
        return [(row.visma_invoice_number, row.our_invoice_number) for row in rows]


def test_a_draft_exported_converted_and_paid_in_visma_comes_back_paid(visma: Visma, connected: Connected) -> None:
    [exported] = export_for_real(connected, "draft")
    assert exported["document_type"] == "draft"
    converted = visma.convert(exported["visma_id"])
    visma.pay(converted["Id"], exported["to_pay"], complete=True)

    result = run_import(visma, connected.ours)

    assert (result.paid, result.partially_paid, result.api_calls) == (1, 0, 1)
    invoice = invoice_through_api(connected, exported["invoice_id"])
    assert invoice["status"] == "paid"
    assert [(p["amount"], p["source"]) for p in invoice["payments"]] == [(exported["to_pay"], "visma")]
    # Visma numbered the converted draft from its own series: the seed's warning, flagged when they differ.
    expected = (
        [] if converted["InvoiceNumber"] == exported["number"] else [(converted["InvoiceNumber"], exported["number"])]
    )
    assert number_mismatches(connected) == expected
    assert result.deviations == len(expected)


def test_a_verifikation_settled_in_visma_comes_back_paid(visma: Visma, connected: Connected) -> None:
    [exported] = export_for_real(connected, "voucher")
    assert exported["document_type"] == "voucher"
    visma.advance()
    visma.bookkeeper_edits("ledger_item", exported["visma_id"], Decimal("0.00"))

    result = run_import(visma, connected.ours)

    assert result.paid == 1
    assert invoice_through_api(connected, exported["invoice_id"])["status"] == "paid"
    assert number_mismatches(connected) == []


def test_a_credit_matched_against_its_original_in_visma_registers_no_payment(
    visma: Visma, connected: Connected
) -> None:
    original, credit = export_for_real(connected, "draft", "credit")
    converted_original = visma.convert(original["visma_id"])
    converted_credit = visma.convert(credit["visma_id"])
    visma.bookkeeper_edits("invoice", converted_original["Id"], Decimal("0.00"))
    visma.bookkeeper_edits("invoice", converted_credit["Id"], Decimal("0.00"))

    result = run_import(visma, connected.ours)

    assert (result.paid, result.partially_paid) == (0, 0)
    body = invoice_through_api(connected, original["invoice_id"])
    assert (body["status"], body["payments"]) == ("credited", [])
    with connected.container.db.transaction() as session:
        unknown = session.scalars(
            select(PaymentImportDeviation).where(
                PaymentImportDeviation.company_id == connected.ours.company_id,
                PaymentImportDeviation.kind == "unknown_invoice",
            )
        ).all()
    assert unknown == []
