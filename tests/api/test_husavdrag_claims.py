"""Husavdrag claims over the REST API: Skatteverket's file for paid invoices, refusals per invoice."""

from __future__ import annotations

from typing import Any

from fakturabro.skatteverket.begaran import read_claim_file, validation_errors

from .helpers import BRF_ORG, PRIVATE_PNR, SECOND_PNR, Api

LABOUR = {"text": "Elarbete", "quantity": "10", "unit": "tim", "unit_price": "500", "kind": "labour"}
MATERIAL = {"text": "Kabel", "quantity": "1", "unit": "st", "unit_price": "800", "kind": "material"}
TRAVEL = {"text": "Resa", "quantity": "1", "unit": "st", "unit_price": "200", "kind": "other"}


def husavdrag_invoice(
    api: Api,
    kind: str = "rot",
    persons: list[tuple[str, str]] | None = None,
    *,
    paid_on: str | None = "2026-03-20",
    work: str | None = None,
    **house: Any,
) -> dict[str, Any]:
    customer = api.private_customer()
    work_type = work or {"rot": "el", "rut": "stadning", "green": "laddpunkt"}[kind]
    if kind == "rot" and not house:
        house = {"property_designation": "Malmö Kungsten 3:12"}
    invoice = api.approved(
        customer,
        rows=[{**LABOUR, "house_work_type": work_type}, MATERIAL, TRAVEL],
        house_work={
            "type": kind,
            "persons": [{"personal_number": p, "share": s} for p, s in (persons or [(PRIVATE_PNR, "100")])],
            **house,
        },
    )
    if paid_on is not None:
        response = api.post(
            f"/invoices/{invoice['id']}/payments",
            {"amount": invoice["totals"]["to_pay"], "payment_date": paid_on},
        )
        assert response.status_code == 201, response.text
        invoice = response.json()
    return invoice


def test_a_rot_claim_for_a_house_with_two_buyers_offers_a_valid_file(api: Api) -> None:
    invoice = husavdrag_invoice(api, persons=[(PRIVATE_PNR, "50"), (SECOND_PNR, "50")])
    assert invoice["house_work"]["claim"]["state"] == "ready"
    claim = api.created("/husavdrag/claims", {"type": "rot", "invoice_ids": [invoice["id"]]})
    assert claim["name"] == "ROT 2026 nr 1"
    assert claim["payment_year"] == 2026
    # labour 6 250 kr incl. VAT, 30 %: 937 kr per buyer (937.50 is each buyer's exact share)
    assert claim["requested_amount"] == "1874.00"
    assert [b["requested"] for b in claim["invoices"][0]["buyers"]] == ["937.00", "937.00"]
    assert claim["invoices"][0]["buyers"][0]["personal_number"] == "19811218-****"

    response = api.get(f"/husavdrag/claims/{claim['id']}/file")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/xml")
    assert validation_errors(response.content) == []
    cases = read_claim_file(response.content).cases
    assert [(c.buyer, c.labour, c.paid, c.requested) for c in cases] == [
        ("198112189876", 3125, 2188, 937),
        ("198502032397", 3125, 2188, 937),
    ]
    assert {c.property_designation for c in cases} == {"Malmö Kungsten 3:12"}
    assert [c.other_costs for c in cases] == [125, 125]  # 200 + VAT, half each
    assert [(w.hours, w.material) for c in cases for w in c.work] == [(5, 500), (5, 500)]  # material with the El

    after = api.get(f"/invoices/{invoice['id']}").json()["house_work"]["claim"]
    assert after == {
        "state": "requested",
        "label": "Begärd",
        "source": "fakturabro",
        "requested_amount": "1874.00",
        "approved_amount": None,
        "decided_at": None,
        "reason": None,
        "claim_id": claim["id"],
        "back_invoice_id": None,
    }
    assert api.get(f"/husavdrag/claims/{claim['id']}").json() == claim


def test_a_rot_claim_in_a_bostadsratt_names_the_coop_and_apartment(api: Api) -> None:
    invoice = husavdrag_invoice(api, housing_coop_org_number=BRF_ORG, apartment_number="1102")
    claim = api.created("/husavdrag/claims", {"type": "rot", "invoice_ids": [invoice["id"]]})
    case = read_claim_file(api.get(f"/husavdrag/claims/{claim['id']}/file").content).cases[0]
    assert (case.apartment_number, case.housing_coop_org_number, case.property_designation) == (
        "1102",
        "167696062392",
        None,
    )


def test_bad_requests_are_refused_per_invoice_and_change_nothing(api: Api, other_api: Api) -> None:
    unpaid = husavdrag_invoice(api, paid_on=None)
    rut = husavdrag_invoice(api, "rut")
    claimed = husavdrag_invoice(api)
    api.created("/husavdrag/claims", {"type": "rot", "invoice_ids": [claimed["id"]]})
    good = husavdrag_invoice(api)
    foreign = husavdrag_invoice(other_api)

    ids = [good["id"], unpaid["id"], rut["id"], claimed["id"], foreign["id"]]
    response = api.post("/husavdrag/claims", {"type": "rot", "invoice_ids": ids})
    assert response.status_code == 422
    errors = {tuple(e["loc"])[-1]: (e["type"], e["msg"]) for e in response.json()["detail"]}
    assert set(errors) == {1, 2, 3, 4}
    assert errors[1][0] == "not_paid"
    assert "inte betald" in errors[1][1]
    assert errors[2][0] == "other_kind"
    assert errors[3][0] == "already_claimed"
    assert errors[4][0] == "invoice_not_found"
    assert len(api.get("/husavdrag/claims").json()) == 1
    assert api.get(f"/invoices/{good['id']}").json()["house_work"]["claim"]["state"] == "ready"

    assert api.post("/husavdrag/claims", {"type": "rot", "invoice_ids": []}).status_code == 422
    assert api.post("/husavdrag/claims", {"type": "rot", "invoice_ids": [good["id"], good["id"]]}).status_code == 422
    assert api.post("/husavdrag/claims", {"type": "roth", "invoice_ids": [good["id"]]}).status_code == 422
    assert api.get("/husavdrag/claims/999999").status_code == 404
    assert other_api.get(f"/husavdrag/claims/{api.get('/husavdrag/claims').json()[0]['id']}").status_code == 404


def test_one_claim_holds_payments_of_one_year(api: Api) -> None:
    early = husavdrag_invoice(api, paid_on="2026-01-10")
    later = husavdrag_invoice(api, paid_on="2026-02-11")
    response = api.post("/husavdrag/claims", {"type": "rot", "invoice_ids": [early["id"], later["id"]]})
    assert response.status_code == 201
    dates = [item["payment_date"] for item in response.json()["invoices"]]
    assert dates == ["2026-01-10", "2026-02-11"]
    cases = read_claim_file(api.get(f"/husavdrag/claims/{response.json()['id']}/file").content).cases
    assert [c.payment_date.isoformat() for c in cases] == dates


def test_a_rut_claim_and_a_green_claim_without_a_file(api: Api) -> None:
    rut = husavdrag_invoice(api, "rut")
    claim = api.created("/husavdrag/claims", {"type": "rut", "invoice_ids": [rut["id"]]})
    xml = api.get(f"/husavdrag/claims/{claim['id']}/file").content
    assert b"HushallBegaran" in xml
    assert read_claim_file(xml).cases[0].requested == 3125  # 50 % of 6 250

    green = husavdrag_invoice(api, "green", property_designation="Malmö Kungsten 3:12")
    claim = api.created("/husavdrag/claims", {"type": "green", "invoice_ids": [green["id"]]})
    assert claim["has_file"] is False
    assert claim["file_url"] is None
    response = api.get(f"/husavdrag/claims/{claim['id']}/file")
    assert response.status_code == 409
    assert "grön teknik" in response.json()["detail"][0]["msg"].lower()


def test_claimable_lists_invoices_with_the_reason_they_cannot_be_claimed(api: Api) -> None:
    paid = husavdrag_invoice(api)
    unpaid = husavdrag_invoice(api, paid_on=None)
    listed = {item["invoice_id"]: item for item in api.get("/husavdrag/claimable").json()}
    assert listed[paid["id"]]["refusal"] is None
    assert listed[paid["id"]]["label"] == "Klar att begära"
    assert listed[unpaid["id"]]["state"] == "awaiting_payment"
    assert "inte betald" in listed[unpaid["id"]]["refusal"]
    assert api.put("/husavdrag/settings", {"claims_in": "elsewhere"}).status_code == 422
    assert api.put("/husavdrag/settings", {"claims_in": "fakturabro"}).json() == {"claims_in": "fakturabro"}
