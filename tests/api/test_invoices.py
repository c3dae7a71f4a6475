"""Invoices through the REST API: drafts with article defaults, husavdrag, reverse charge, approval, bad input."""

from __future__ import annotations

from typing import Any

import pytest

from .helpers import BRF_ORG, PRIVATE_PNR, SECOND_PNR, Api, error_locs, error_types

ROT_ROW = {
    "text": "Elarbete",
    "quantity": "10",
    "unit": "tim",
    "unit_price": "650",
    "kind": "labour",
    "house_work_type": "el",
}


def rot(**fields: Any) -> dict[str, Any]:
    return {
        "type": "rot",
        "persons": [{"personal_number": PRIVATE_PNR, "share": "100"}],
        "property_designation": "Malmö Kungsten 3:12",
        **fields,
    }


def test_rows_take_defaults_from_the_article_and_explicit_values_win(api: Api) -> None:
    api.created(
        "/articles",
        {
            "number": "8000",
            "name": "Montör",
            "unit": "tim",
            "unit_price": "650",
            "vat_rate": 25,
            "kind": "labour",
            "house_work_type": "el",
        },
    )
    customer = api.private_customer()
    invoice = api.draft(
        customer,
        rows=[
            {"article_number": "8000", "quantity": "3"},
            {"article_number": "8000", "quantity": "1", "text": "Jourtillägg", "unit_price": "900"},
            {"text": "Tack för uppdraget!"},
        ],
    )
    first, second, note = invoice["rows"]
    assert (first["text"], first["unit"], first["unit_price"], first["kind"], first["house_work_type"]) == (
        "Montör",
        "tim",
        "650.00",
        "labour",
        "el",
    )
    assert (second["text"], second["unit_price"]) == ("Jourtillägg", "900.00")
    assert note["kind"] == "text"
    assert invoice["status"] == "draft"
    assert invoice["number"] is None
    assert invoice["totals"] == {
        "net": "2850.00",
        "vat": {"rates": {"25": "712.50"}, "total": "712.50"},
        "rounding": "0.50",
        "total": "3563.00",
        "house_work_deduction": "0.00",
        "to_pay": "3563.00",
    }


def test_mixed_vat_rates_and_discount(api: Api) -> None:
    customer = api.private_customer()
    invoice = api.draft(
        customer,
        rows=[
            {
                "text": "Material",
                "quantity": "3",
                "unit_price": "99.90",
                "vat_rate": 25,
                "kind": "material",
                "discount_percent": "10",
            },
            {"text": "Bok", "quantity": "1", "unit_price": "100", "vat_rate": 6, "kind": "other"},
        ],
    )
    # 3 × 99.90 = 299.70, −10 % = 269.73; VAT 25 % = 67.4325 → 67.43; 6 % of 100 = 6.00
    assert invoice["totals"]["net"] == "369.73"
    assert invoice["totals"]["vat"] == {"rates": {"25": "67.43", "6": "6.00"}, "total": "73.43"}
    assert invoice["totals"]["total"] == "443.00"
    assert invoice["totals"]["rounding"] == "-0.16"


def test_rot_invoice_with_two_persons_in_a_bostadsratt(api: Api) -> None:
    customer = api.private_customer()
    house_work = {
        "type": "rot",
        "housing_coop_org_number": BRF_ORG,
        "apartment_number": "1102",
        "persons": [{"personal_number": PRIVATE_PNR, "share": "50"}, {"personal_number": SECOND_PNR, "share": "50"}],
    }
    invoice = api.draft(customer, rows=[ROT_ROW], house_work=house_work)
    # 6 500 + 25 % = 8 125 incl. VAT; ROT 30 % (2026) of each buyer's 4 062.50 = 1 218.75 → 1 218 (whole kronor,
    # down: no buyer may request more than the rate × his or her share of the labour)
    assert invoice["totals"]["total"] == "8125.00"
    assert invoice["totals"]["house_work_deduction"] == "2436.00"
    assert invoice["totals"]["to_pay"] == "5689.00"
    persons = invoice["house_work"]["persons"]
    assert [p["deduction"] for p in persons] == ["1218.00", "1218.00"]
    assert persons[0]["personal_number"] == "198112189876"
    listed = api.get("/invoices").json()[0]
    assert listed["house_work"]["persons"][0]["personal_number"] == "19811218-****"
    approved = api.post(f"/invoices/{invoice['id']}/approve").json()
    assert approved["status"] == "approved"
    assert approved["totals"] == invoice["totals"]
    assert invoice["house_work"]["claim"] is None  # a draft is not claimed
    claim = approved["house_work"].pop("claim")
    assert approved["house_work"] == {k: v for k, v in invoice["house_work"].items() if k != "claim"}
    assert claim["state"] == "awaiting_payment"
    assert claim["label"] == "Väntar på betalning"
    assert claim["source"] == "fakturabro"


def test_reverse_charge_invoice_has_no_vat_and_carries_the_legal_text(api: Api) -> None:
    customer = api.company_customer(reverse_charge=True)
    invoice = api.draft(customer, rows=[{"text": "Montage", "quantity": "8", "unit_price": "700", "kind": "labour"}])
    assert invoice["reverse_charge"] is True
    assert invoice["reverse_charge_text"] == "Omvänd betalningsskyldighet"
    assert invoice["buyer_vat_number"] == "SE556036079301"
    assert invoice["totals"]["vat"]["total"] == "0.00"
    assert invoice["totals"]["to_pay"] == "5600.00"


def bad_cases() -> list[Any]:
    company_rows = [ROT_ROW]
    return [
        pytest.param(
            "private",
            {"rows": [ROT_ROW], "house_work": rot(persons=[{"personal_number": "19811218-9875", "share": "100"}])},
            ["body", "house_work", "persons", 0, "personal_number"],
            "invalid_personal_number",
            id="bad-personnummer",
        ),
        pytest.param(
            "company",
            {"rows": company_rows, "house_work": rot()},
            ["body", "house_work"],
            "husavdrag_needs_private_customer",
            id="husavdrag-for-company",
        ),
        pytest.param(
            "private",
            {"rows": [ROT_ROW], "house_work": rot(persons=[])},
            ["body", "house_work", "persons"],
            "required",
            id="husavdrag-without-persons",
        ),
        pytest.param(
            "private",
            {"rows": [ROT_ROW], "house_work": rot(property_designation=None)},
            ["body", "house_work", "property_designation"],
            "property_required",
            id="rot-without-property",
        ),
        pytest.param(
            "private",
            {
                "rows": [ROT_ROW],
                "house_work": rot(
                    persons=[
                        {"personal_number": PRIVATE_PNR, "share": "60"},
                        {"personal_number": SECOND_PNR, "share": "30"},
                    ]
                ),
            },
            ["body", "house_work", "persons"],
            "shares_not_100",
            id="shares-not-100",
        ),
        pytest.param(
            "private",
            {
                "rows": [ROT_ROW],
                "house_work": rot(
                    property_designation=None, housing_coop_org_number="769606-2393", apartment_number="1"
                ),
            },
            ["body", "house_work", "housing_coop_org_number"],
            "invalid_org_number",
            id="bad-brf-orgnr",
        ),
        pytest.param(
            "company_no_vat",
            {"reverse_charge": True},
            ["body", "reverse_charge"],
            "reverse_charge_needs_vat_number",
            id="reverse-charge-without-vat-number",
        ),
        pytest.param(
            "private",
            {"reverse_charge": True},
            ["body", "reverse_charge"],
            "reverse_charge_needs_company",
            id="reverse-charge-for-private",
        ),
        pytest.param(
            "company",
            {"reverse_charge": True, "rows": [ROT_ROW], "house_work": rot()},
            ["body", "reverse_charge"],
            "reverse_charge_with_husavdrag",
            id="reverse-charge-with-husavdrag",
        ),
        pytest.param(
            "private",
            {"rows": [{"text": "x", "quantity": "-1", "unit_price": "10"}]},
            ["body", "rows", 0, "quantity"],
            "out_of_range",
            id="negative-quantity",
        ),
        pytest.param(
            "private",
            {"rows": [{"text": "x", "quantity": "0", "unit_price": "10"}]},
            ["body", "rows", 0, "quantity"],
            "out_of_range",
            id="zero-quantity",
        ),
        pytest.param(
            "private",
            {"rows": [{"text": "x", "quantity": "1", "unit_price": "-10"}]},
            ["body", "rows", 0, "unit_price"],
            "out_of_range",
            id="negative-price",
        ),
        pytest.param(
            "private",
            {"rows": [{"text": "x", "quantity": "1e12", "unit_price": "10"}]},
            ["body", "rows", 0, "quantity"],
            "out_of_range",
            id="absurd-quantity",
        ),
        pytest.param(
            "private",
            {"rows": [{"text": "x", "quantity": "1", "unit_price": "1e300"}]},
            ["body", "rows", 0, "unit_price"],
            "out_of_range",
            id="absurd-price",
        ),
        pytest.param(
            "private",
            {"rows": [{"text": "x", "quantity": "1.005", "unit_price": "1"}]},
            ["body", "rows", 0, "quantity"],
            "too_precise",
            id="too-precise-quantity",
        ),
        pytest.param(
            "private",
            {"rows": [{"text": "x", "quantity": "1", "unit_price": "1", "vat_rate": "13"}]},
            ["body", "rows", 0, "vat_rate"],
            "invalid_vat_rate",
            id="bad-vat-rate",
        ),
        pytest.param(
            "private",
            {"rows": [{"text": "x", "quantity": "1", "unit_price": "1", "discount_percent": "101"}]},
            ["body", "rows", 0, "discount_percent"],
            "less_than_equal",
            id="discount-over-100",
        ),
        pytest.param(
            "private",
            {"rows": [{"text": "x", "quantity": 1, "unit_price": "Infinity"}]},
            ["body", "rows", 0, "unit_price"],
            "finite_number",
            id="infinite-price",
        ),
        pytest.param(
            "private",
            {"rows": [{"article_number": "9999", "quantity": "1"}]},
            ["body", "rows", 0, "article_number"],
            "unknown_article",
            id="unknown-article",
        ),
        pytest.param("private", {"rows": []}, ["body", "rows"], "empty_invoice", id="empty-invoice"),
        pytest.param(
            "private", {"rows": [{"text": "Bara text"}]}, ["body", "rows"], "empty_invoice", id="only-text-rows"
        ),
        pytest.param(
            "private",
            {"rows": [{"text": "x" * 2001, "quantity": "1", "unit_price": "1"}]},
            ["body", "rows", 0, "text"],
            "string_too_long",
            id="row-text-too-long",
        ),
        pytest.param(
            "private",
            {"your_reference": "x" * 201},
            ["body", "your_reference"],
            "string_too_long",
            id="reference-too-long",
        ),
        pytest.param(
            "private",
            {"customer_number": "nope"},
            ["body", "customer_number"],
            "unknown_customer",
            id="unknown-customer",
        ),
        pytest.param(
            "private",
            {"invoice_date": "1999-12-31"},
            ["body", "invoice_date"],
            "out_of_range",
            id="invoice-date-out-of-range",
        ),
        pytest.param(
            "private", {"due_date": "2026-01-01"}, ["body", "due_date"], "out_of_range", id="due-before-invoice-date"
        ),
        pytest.param(
            "private",
            {"rows": [{"text": "x", "quantity": "1", "unit_price": "1", "kind": "gift"}]},
            ["body", "rows", 0, "kind"],
            "enum",
            id="unknown-row-kind",
        ),
        pytest.param("private", {"unexpected": 1}, ["body", "unexpected"], "extra_forbidden", id="unknown-field"),
    ]


@pytest.mark.parametrize(("customer_kind", "fields", "loc", "code"), bad_cases())
def test_bad_invoices_get_field_errors_and_nothing_is_written(
    api: Api, customer_kind: str, fields: dict[str, Any], loc: list[Any], code: str
) -> None:
    if customer_kind == "private":
        customer = api.private_customer()
    elif customer_kind == "company":
        customer = api.company_customer(reverse_charge=True)
    else:
        customer = api.created("/customers", {"name": "Utan moms AB", "org_number": "556036-0793"})
    body = {
        "customer_number": customer["customer_number"],
        "invoice_date": "2026-03-02",
        "rows": [{"text": "Arbete", "quantity": "1", "unit_price": "100"}],
        **fields,
    }
    response = api.post("/invoices", body)
    assert response.status_code == 422, response.text
    assert loc in error_locs(response), response.text
    assert code in error_types(response), response.text
    assert api.get("/invoices").json() == []
    assert "9875" not in response.text


def test_an_absurd_invoice_total_is_refused_before_the_database(api: Api) -> None:
    customer = api.private_customer()
    rows = [{"text": "Guld", "quantity": "1000000", "unit_price": "100000000"}] * 20
    response = api.post("/invoices", {"customer_number": customer["customer_number"], "rows": rows})
    assert response.status_code == 422
    assert error_locs(response) == [["body", "rows"]]


def test_every_problem_is_reported_at_once(api: Api) -> None:
    customer = api.private_customer()
    rows = [{"text": "a", "quantity": "-1", "unit_price": "1"}, {"text": "b", "quantity": "1", "unit_price": "-1"}]
    response = api.post("/invoices", {"customer_number": customer["customer_number"], "rows": rows})
    assert response.status_code == 422
    assert ["body", "rows", 0, "quantity"] in error_locs(response)
    assert ["body", "rows", 1, "unit_price"] in error_locs(response)


def test_text_is_stored_verbatim_in_rows(api: Api) -> None:
    customer = api.private_customer()
    text = '<b>fet</b> \'; DELETE FROM invoices; -- "åäö" €'
    invoice = api.draft(customer, rows=[{"text": text, "quantity": "1", "unit_price": "100"}])
    assert api.get(f"/invoices/{invoice['id']}").json()["rows"][0]["text"] == text


def test_update_draft_replaces_its_content(api: Api) -> None:
    customer = api.private_customer()
    draft = api.draft(customer)
    body = {
        "customer_number": customer["customer_number"],
        "invoice_date": "2026-03-05",
        "rows": [{"text": "Nytt", "quantity": "1", "unit_price": "80"}],
        "our_reference": "Kalle",
    }
    response = api.put(f"/invoices/{draft['id']}", body)
    assert response.status_code == 200, response.text
    updated = response.json()
    assert [row["text"] for row in updated["rows"]] == ["Nytt"]
    assert updated["our_reference"] == "Kalle"
    assert updated["due_date"] == "2026-04-04"
    assert updated["totals"]["to_pay"] == "100.00"


def test_approval_freezes_the_invoice(api: Api) -> None:
    customer = api.private_customer()
    invoice = api.approved(customer)
    assert invoice["status"] == "approved"
    assert invoice["approved_at"] is not None
    body = {"customer_number": customer["customer_number"], "rows": [{"text": "x", "quantity": "1", "unit_price": "1"}]}
    edit = api.put(f"/invoices/{invoice['id']}", body)
    assert edit.status_code == 409
    assert edit.json()["detail"][0]["type"] == "not_a_draft"
    assert api.post(f"/invoices/{invoice['id']}/approve").status_code == 409
    assert api.delete(f"/invoices/{invoice['id']}").status_code == 409
    assert api.get(f"/invoices/{invoice['id']}").json() == invoice


def test_approval_validates_against_the_customer_as_it_is_now(api: Api) -> None:
    customer = api.private_customer()
    draft = api.draft(customer, rows=[ROT_ROW], house_work=rot())
    api.put(
        f"/customers/{customer['id']}",
        {"name": "Nu AB", "org_number": "556036-0793", "customer_number": customer["customer_number"]},
    )
    response = api.post(f"/invoices/{draft['id']}/approve")
    assert response.status_code == 422
    assert "husavdrag_needs_private_customer" in error_types(response)
    assert api.get(f"/invoices/{draft['id']}").json()["status"] == "draft"


def test_delete_draft(api: Api) -> None:
    draft = api.draft(api.private_customer())
    assert api.delete(f"/invoices/{draft['id']}").status_code == 204
    assert api.get(f"/invoices/{draft['id']}").status_code == 404


def test_list_filters_by_status(api: Api) -> None:
    customer = api.private_customer()
    draft = api.draft(customer)
    approved = api.approved(customer)
    assert [i["id"] for i in api.get("/invoices", params={"status": "draft"}).json()] == [draft["id"]]
    assert [i["id"] for i in api.get("/invoices", params={"status": "approved"}).json()] == [approved["id"]]
    assert api.get("/invoices", params={"status": "nonsense"}).status_code == 422
