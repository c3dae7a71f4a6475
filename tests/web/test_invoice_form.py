"""The draft editor's form → the use cases' input, without a server."""

from __future__ import annotations

from decimal import Decimal

from fakturabro.web.views.invoice_form import editor_errors, from_form, to_input, with_blank_rows


def test_swedish_numbers_empty_rows_and_a_bostadsratt() -> None:
    form = {
        "customer_number": "1001",
        "rows-0-kind": "labour",
        "rows-0-text": "Målning",
        "rows-0-quantity": "7,5",
        "rows-0-unit_price": "1\u00a0250,50",
        "rows-0-hours": "7,5",
        "rows-1-kind": "material",  # left empty: ignored
        "rows-2-kind": "text",
        "rows-2-text": "Tack för uppdraget",
        "rows-2-quantity": "3",  # a text row has no amounts
        "hw_type": "rot",
        "hw_pn_0": "19811218-9876",
        "hw_share_0": "50",
        "hw_pn_1": "19850203-2397",
        "hw_share_1": "50",
        "hw_home": "brf",
        "hw_property": "ignored for a bostadsrätt",
        "hw_coop": "769606-2392",
        "hw_apartment": "1102",
    }
    data = to_input(from_form(form))
    assert [row.kind for row in data.rows] == ["labour", "text"]
    assert data.rows[0].quantity == Decimal("7.5")
    assert data.rows[0].unit_price == Decimal("1250.50")
    assert data.rows[1].quantity is None
    assert data.house_work is not None
    assert [p.share for p in data.house_work.persons] == [Decimal(50), Decimal(50)]
    assert data.house_work.property_designation is None
    assert (data.house_work.housing_coop_org_number, data.house_work.apartment_number) == ("769606-2392", "1102")
    assert data.reverse_charge is False


def test_errors_point_at_the_editor_row_not_the_input_row() -> None:
    form = {
        "rows-0-kind": "material",  # empty, skipped in the input
        "rows-1-kind": "other",
        "rows-1-text": "Resa",
        "rows-1-quantity": "två",
    }
    values = from_form(form)
    try:
        to_input(values)
    except ValueError as error:
        errors = editor_errors(error, values)
    else:
        raise AssertionError("a quantity in words is not a number")
    assert errors == {"rows.1.quantity": "Skriv ett tal, till exempel 1 234,50."}


def test_a_new_invoice_offers_an_empty_row_a_draft_shows_its_rows_and_both_have_two_buyers() -> None:
    new = with_blank_rows(from_form({}))
    assert [row["text"] for row in new.rows] == [""]
    assert len(new.persons) == 2
    # A saved draft is shown as it was saved: no empty row after its rows (issue 20).
    draft = with_blank_rows(from_form({"rows-0-kind": "labour", "rows-0-text": "Arbete"}))
    assert [row["text"] for row in draft.rows] == ["Arbete"]
    assert len(draft.persons) == 2
