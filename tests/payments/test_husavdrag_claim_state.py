"""Visma's husavdrag claim state end to end: ROT invoices converted and paid in the sandbox, claimed and refused
there (`TaxDeductionStatus` 0–3); the payment import reads every state with its own incremental listing (no call
per invoice); a refusal entered as a partial decision becomes the buyer's invoice for the difference."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import httpx
from payment_helpers import Ours, Visma, later, run_import
from test_husavdrag_at_payment import exported_rot_invoice, next_visma_number, rot_draft_in_visma

from fakturabro.husavdrag import decisions
from fakturabro.invoicing.invoices import get_invoice

TO_PAY = Decimal("22750.00")  # 32 500 kr labour incl. VAT less ROT 30 % (9 750)


def rot_invoice_in_visma(visma: Visma, ours: Ours) -> tuple[int, str]:
    draft = rot_draft_in_visma(visma, "0.3")
    invoice_id = exported_rot_invoice(ours, draft["Id"], next_visma_number(visma), date(2026, 2, 20), TO_PAY)
    return invoice_id, visma.convert(draft["Id"])["Id"]


def claim_in_visma(visma: Visma, visma_id: str, status: int) -> None:
    response = httpx.put(
        f"{visma.sandbox.base_url}/_sandbox/customerinvoices/{visma_id}/taxdeduction",
        json={"TaxDeductionStatus": status},
        timeout=10,
    )
    assert response.status_code == 200, response.text


def claim_of(ours: Ours, invoice_id: int) -> dict:
    house_work = get_invoice(ours.container.db, ours.company_id, invoice_id).house_work
    assert house_work is not None
    assert house_work.claim is not None
    return house_work.claim.model_dump(mode="json")


def test_every_tax_deduction_status_is_read_back_with_the_payment_import(visma: Visma, ours: Ours) -> None:
    unpaid, _ = rot_invoice_in_visma(visma, ours)
    ready, ready_visma = rot_invoice_in_visma(visma, ours)
    claimed, claimed_visma = rot_invoice_in_visma(visma, ours)
    refused, refused_visma = rot_invoice_in_visma(visma, ours)
    for visma_id in (ready_visma, claimed_visma, refused_visma):
        visma.pay(visma_id, TO_PAY, complete=True, paid_on=date(2026, 3, 2))
    claim_in_visma(visma, claimed_visma, 2)
    claim_in_visma(visma, refused_visma, 2)
    claim_in_visma(visma, refused_visma, 3)
    visma.clear_requests()

    result = run_import(visma, ours)

    counts = visma.requests()["counts"]
    assert result.api_calls == 1  # one page of changed invoices, whatever the number of husavdrag invoices
    assert sum(counts.values()) == 1
    states = {invoice_id: claim_of(ours, invoice_id) for invoice_id in (unpaid, ready, claimed, refused)}
    assert {i: (s["state"], s["source"]) for i, s in states.items()} == {
        unpaid: ("awaiting_payment", "visma"),
        ready: ("ready", "visma"),
        claimed: ("requested", "visma"),
        refused: ("refused", "visma"),
    }
    assert states[claimed]["label"] == "Begärd"
    assert states[claimed]["requested_amount"] == "9750.00"
    assert states[refused]["label"] == "Avslagen"
    assert "Visma" in states[refused]["reason"]

    # Later, the ready invoice is claimed too: the next run reads only what changed, the state follows.
    later(visma)
    claim_in_visma(visma, ready_visma, 2)
    visma.clear_requests()
    again = run_import(visma, ours)
    assert again.api_calls == 1
    assert claim_of(ours, ready)["state"] == "requested"
    assert claim_of(ours, refused)["state"] == "refused"  # unchanged documents are not read again

    # Skatteverket refused part of one and approved the other in full: the user enters the decisions.
    db = ours.container.db
    decisions.record_decisions(
        db,
        ours.company_id,
        [decisions.DecisionEntry(refused, Decimal(6000), None, "Köparens tak är nått")],
        date(2026, 4, 2),
    )
    decisions.record_decisions(db, ours.company_id, [decisions.DecisionEntry(claimed, Decimal(9750))], date(2026, 4, 2))
    assert (claim_of(ours, claimed)["state"], claim_of(ours, claimed)["approved_amount"]) == ("approved", "9750.00")
    decided = claim_of(ours, refused)
    assert (decided["state"], decided["approved_amount"], decided["source"]) == ("approved", "6000.00", "visma")

    back = decisions.invoice_back(db, ours.company_id, refused)
    assert back.totals.to_pay == Decimal("3750.00")
    assert back.status == "approved"
    assert "Visma eEkonomi" in back.rows[0].text
    assert claim_of(ours, refused)["back_invoice_id"] == back.id
    steps = [entry.step for entry in decisions.history(db, ours.company_id, refused)]
    assert steps == ["visma_state", "decision", "invoiced_back"]

    # A later read of Visma's refusal does not undo the decision the user entered.
    later(visma)
    run_import(visma, ours)
    assert claim_of(ours, refused)["approved_amount"] == "6000.00"
