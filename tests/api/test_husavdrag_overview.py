"""Caps across several invoices of one buyer in one year: the warning before approval and the overview."""

from __future__ import annotations

from typing import Any

from .helpers import PRIVATE_PNR, Api
from .test_husavdrag_claims import husavdrag_invoice

BIG_ROT = {
    "text": "Tak",
    "quantity": "100",
    "unit": "tim",
    "unit_price": "534",
    "kind": "labour",
    "house_work_type": "bygg",
}
HOUSE = {"type": "rot", "persons": [{"personal_number": PRIVATE_PNR, "share": "100"}], "property_designation": "By 1:2"}


def big_rot_draft(api: Api, customer: dict[str, Any]) -> dict[str, Any]:
    # 53 400 kr + VAT = 66 750 kr labour; ROT 30 % = 20 025 kr
    return api.draft(customer, rows=[BIG_ROT], house_work=HOUSE)


def test_a_buyer_going_over_the_rot_cap_is_warned_before_approval_and_shown_in_the_overview(api: Api) -> None:
    customer = api.private_customer()
    for _ in range(2):
        draft = big_rot_draft(api, customer)
        assert [w["code"] for w in api.get(f"/invoices/{draft['id']}").json()["warnings"]] == []
        assert api.post(f"/invoices/{draft['id']}/approve").status_code == 200
    third = big_rot_draft(api, customer)
    warnings = api.get(f"/invoices/{third['id']}").json()["warnings"]
    assert [w["code"] for w in warnings] == ["husavdrag_cap"]
    assert "högst 9\u00a0950,00\u00a0kr" in warnings[0]["message"]  # 50 000 − 2 × 20 025
    assert "19811218-****" in warnings[0]["message"]
    assert "9876" not in warnings[0]["message"]
    assert api.post(f"/invoices/{third['id']}/approve").status_code == 200  # a warning, not a stop

    view = api.get("/husavdrag/overview", params={"year": 2026}).json()
    assert view["caps"] == {"rot": "50000.00", "rot_and_rut": "75000.00", "green": "50000.00"}
    [buyer] = view["buyers"]
    assert buyer["personal_number"] == "19811218-****"
    assert (buyer["rot"], buyer["rot_left"], buyer["rut_left"], buyer["over_cap"]) == (
        "60075.00",
        "0.00",
        "14925.00",
        True,
    )
    states = {s["state"]: (s["invoices"], s["amount"]) for s in view["states"]}
    assert states["awaiting_payment"] == (3, "60075.00")


def test_the_overview_counts_claims_by_state_waiting_refused_and_invoiced_back(api: Api) -> None:
    husavdrag_invoice(api)  # paid, not claimed: ready
    claimed = husavdrag_invoice(api)
    api.created("/husavdrag/claims", {"type": "rot", "invoice_ids": [claimed["id"]]})
    decided = husavdrag_invoice(api)
    other = api.created("/husavdrag/claims", {"type": "rot", "invoice_ids": [decided["id"]]})
    api.post(
        f"/husavdrag/claims/{other['id']}/decision",
        {
            "decided_at": "2026-04-01",
            "invoices": [{"invoice_id": decided["id"], "approved_amount": "875", "reason": "Tak"}],
        },
    )
    assert api.post(f"/husavdrag/invoices/{decided['id']}/invoice-back").status_code == 201
    view = api.get("/husavdrag/overview", params={"year": 2026}).json()
    states = {s["state"]: (s["invoices"], s["amount"]) for s in view["states"]}
    assert states["ready"] == (1, "1875.00")
    assert states["requested"] == (1, "1875.00")
    assert states["approved"] == (1, "1875.00")
    assert (view["waiting"], view["refused"], view["invoiced_back"]) == ("1875.00", "1000.00", "1000.00")
    assert view["buyers"][0]["rot"] == "4625.00"  # 1 875 + 1 875 + the 875 approved; the refused part not
    assert api.get("/husavdrag/overview", params={"year": 1999}).status_code == 422
