"""Skatteverket's decisions over the REST API: entered per invoice or imported from the decision file, and the
confirmed invoice back to the buyer for a refused part; every step in the invoice's history."""

from __future__ import annotations

import json
from typing import Any

from .helpers import PRIVATE_PNR, SECOND_PNR, Api
from .test_husavdrag_claims import husavdrag_invoice


def claimed(api: Api, persons: list[tuple[str, str]] | None = None) -> tuple[dict[str, Any], dict[str, Any]]:
    invoice = husavdrag_invoice(api, persons=persons)
    claim = api.created("/husavdrag/claims", {"type": "rot", "invoice_ids": [invoice["id"]]})
    return invoice, claim


def decision_file(claim: dict[str, Any], cases: list[dict[str, Any]]) -> bytes:
    body = {
        "version": "1",
        "utforare": "165560360793",
        "beslut": [{"namn": claim["name"], "referensnummer": "20260000185-01", "arenden": cases}],
    }
    return json.dumps(body).encode()


def post_file(api: Api, data: bytes) -> Any:
    headers = {**api.headers, "Content-Type": "application/json"}
    return api.client.post("/api/v1/husavdrag/decision-files?decided_at=2026-04-20", content=data, headers=headers)


def test_a_partial_refusal_becomes_a_confirmed_invoice_to_the_buyer_for_the_difference(api: Api) -> None:
    invoice, claim = claimed(api)
    number = invoice["number"]
    response = api.post(
        f"/husavdrag/claims/{claim['id']}/decision",
        {
            "decided_at": "2026-04-20",
            "invoices": [{"invoice_id": invoice["id"], "approved_amount": "1000", "reason": "Takbeloppet är nått"}],
        },
    )
    assert response.status_code == 200, response.text
    state = api.get(f"/invoices/{invoice['id']}").json()["house_work"]["claim"]
    assert (state["state"], state["requested_amount"], state["approved_amount"]) == ("approved", "1875.00", "1000.00")
    assert state["decided_at"] == "2026-04-20"
    assert state["reason"] == "Takbeloppet är nått"

    back = api.post(f"/husavdrag/invoices/{invoice['id']}/invoice-back")
    assert back.status_code == 201, back.text
    back_invoice = back.json()
    assert back_invoice["status"] == "approved"
    assert back_invoice["customer"]["id"] == invoice["customer"]["id"]
    assert back_invoice["totals"]["to_pay"] == "875.00"
    assert back_invoice["totals"]["vat"]["total"] == "0.00"  # the VAT was on the original invoice
    text = back_invoice["rows"][0]["text"]
    assert f"faktura {number}" in text
    assert "875,00" in text
    assert "Takbeloppet är nått" in text

    original = api.get(f"/invoices/{invoice['id']}").json()
    assert original["totals"] == invoice["totals"]  # the original stays as it was
    assert original["remaining"] == "0.00"
    assert original["house_work"]["claim"]["back_invoice_id"] == back_invoice["id"]
    again = api.post(f"/husavdrag/invoices/{invoice['id']}/invoice-back")
    assert again.status_code == 409
    assert "redan" in again.json()["detail"][0]["msg"]

    steps = [entry["step"] for entry in api.get(f"/husavdrag/invoices/{invoice['id']}/history").json()]
    assert steps == ["claimed", "decision", "invoiced_back"]
    assert "875" in api.get(f"/husavdrag/invoices/{invoice['id']}/history").json()[2]["message"]


def test_a_full_approval_leaves_nothing_to_invoice(api: Api) -> None:
    invoice, _ = claimed(api)
    decided = api.post(
        f"/husavdrag/invoices/{invoice['id']}/decision", {"decided_at": "2026-04-20", "approved_amount": "1875"}
    )
    assert decided.json()["state"] == "approved"
    assert api.post(f"/husavdrag/invoices/{invoice['id']}/invoice-back").status_code == 409
    second = api.post(
        f"/husavdrag/invoices/{invoice['id']}/decision", {"decided_at": "2026-04-21", "approved_amount": "0"}
    )
    assert second.status_code == 422  # already decided
    assert "redan ett beslut" in second.json()["detail"][0]["msg"]


def test_bad_decisions_are_refused_and_change_nothing(api: Api) -> None:
    invoice, claim = claimed(api, persons=[(PRIVATE_PNR, "50"), (SECOND_PNR, "50")])
    unclaimed = husavdrag_invoice(api)
    path = f"/husavdrag/claims/{claim['id']}/decision"

    def decide(*items: dict[str, Any]) -> Any:
        return api.post(path, {"decided_at": "2026-04-20", "invoices": list(items)})

    over = decide({"invoice_id": invoice["id"], "approved_amount": "5000"})
    assert over.status_code == 422
    no_reason = decide({"invoice_id": invoice["id"], "approved_amount": "900"})
    assert [e["type"] for e in no_reason.json()["detail"]] == ["required"]
    per_buyer = decide({"invoice_id": invoice["id"], "approved_amount": "900", "reason": "Tak"})
    assert per_buyer.json()["detail"][0]["loc"][-1] == "buyers"  # two buyers: say which got what
    wrong_sum = decide({"invoice_id": invoice["id"], "approved_amount": "900", "buyers": ["900", "100"], "reason": "x"})
    assert wrong_sum.status_code == 422
    mixed = decide(
        {"invoice_id": invoice["id"], "approved_amount": "1874"},
        {"invoice_id": unclaimed["id"], "approved_amount": "0"},
    )
    assert mixed.status_code == 422
    assert api.get(f"/invoices/{invoice['id']}").json()["house_work"]["claim"]["state"] == "requested"

    ok = decide({"invoice_id": invoice["id"], "approved_amount": "937", "buyers": ["0", "937"], "reason": "Tak"})
    assert ok.status_code == 200, ok.text
    buyers = api.get(f"/husavdrag/claims/{claim['id']}").json()["invoices"][0]["buyers"]
    assert [(b["requested"], b["approved"]) for b in buyers] == [("937.00", "0.00"), ("937.00", "937.00")]


def test_the_decision_file_records_approved_amounts_per_buyer(api: Api) -> None:
    invoice, claim = claimed(api, persons=[(PRIVATE_PNR, "50"), (SECOND_PNR, "50")])
    data = decision_file(
        claim,
        [
            {"personnummer": "198112189876", "fakturanummer": str(invoice["number"]), "godkantBelopp": 937},
            {"personnummer": "198502032397", "fakturanummer": str(invoice["number"]), "godkantBelopp": 500},
        ],
    )
    response = post_file(api, data)
    assert response.status_code == 200, response.text
    state = api.get(f"/invoices/{invoice['id']}").json()["house_work"]["claim"]
    assert (state["state"], state["approved_amount"], state["decided_at"]) == ("approved", "1437.00", "2026-04-20")
    assert "20260000185-01" in state["reason"]
    assert post_file(api, data).status_code == 422  # the same file again: already decided, nothing changes


def test_a_decision_file_that_does_not_fit_changes_nothing(api: Api) -> None:
    invoice, claim = claimed(api)
    for data in (
        b"not json",
        b'{"beslut": "x"}',
        json.dumps({"beslut": [{"namn": "OKAND", "arenden": []}]}).encode(),
        decision_file(claim, [{"personnummer": "198502032397", "fakturanummer": "1", "godkantBelopp": 1}]),
        b"[" * 100_000,
    ):
        response = post_file(api, data)
        assert response.status_code == 422, data[:40]
        assert response.json()["detail"][0]["msg"]
    assert api.get(f"/invoices/{invoice['id']}").json()["house_work"]["claim"]["state"] == "requested"
