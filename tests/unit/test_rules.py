"""The invoice rules: every broken rule is reported at its field, in Swedish, all at once."""

from __future__ import annotations

from decimal import Decimal

import pytest

from fakturabro.domain.customer import CustomerFacts, CustomerKind, customer_kind
from fakturabro.domain.errors import ValidationFailed
from fakturabro.domain.husavdrag import HouseWorkType, HusavdragKind
from fakturabro.domain.invoice import (
    HusavdragClaim,
    HusavdragPerson,
    InvoiceContent,
    InvoiceRow,
    InvoiceStatus,
    RowKind,
    status_after_settlement,
    validate_invoice,
)

from .helpers import ANNA, BERTIL, D, claim, invoice, labour, material, text

PRIVATE = CustomerFacts(CustomerKind.PRIVATE)
COMPANY = CustomerFacts(CustomerKind.COMPANY, vat_number="SE556036079301", reverse_charge=True)
COMPANY_WITHOUT_VAT = CustomerFacts(CustomerKind.COMPANY)


def codes(content: InvoiceContent, customer: CustomerFacts) -> dict[tuple[str | int, ...], str]:
    with pytest.raises(ValidationFailed) as caught:
        validate_invoice(content, customer)
    for error in caught.value.errors:
        assert error.message, "every error explains itself"
    return {error.loc: error.code for error in caught.value.errors}


def test_an_ordinary_invoice_is_valid() -> None:
    validate_invoice(invoice(labour("2", "650"), material("1", "99.90"), text("Tack!")), PRIVATE)


def test_org_number_makes_a_company() -> None:
    assert customer_kind("556036-0793") is CustomerKind.COMPANY
    assert customer_kind(None) is CustomerKind.PRIVATE
    assert customer_kind("") is CustomerKind.PRIVATE


def test_empty_invoice_and_text_only_invoice_are_rejected() -> None:
    assert codes(invoice(), PRIVATE) == {("rows",): "empty_invoice"}
    assert codes(invoice(text("Bara text")), PRIVATE) == {("rows",): "empty_invoice"}


@pytest.mark.parametrize(
    ("row", "field", "code"),
    [
        (material("-1", "10"), "quantity", "out_of_range"),
        (material("0", "10"), "quantity", "out_of_range"),
        (material("1000001", "10"), "quantity", "out_of_range"),
        (material("1.005", "10"), "quantity", "too_precise"),
        (material("1", "-5"), "unit_price", "out_of_range"),
        (material("1", "100000001"), "unit_price", "out_of_range"),
        (material("1", "9.999"), "unit_price", "too_precise"),
        (material("1", "10", vat="20"), "vat_rate", "invalid_vat_rate"),
        (material("1", "10", discount="101"), "discount_percent", "out_of_range"),
        (InvoiceRow(RowKind.MATERIAL, "x" * 2001, quantity=D("1"), unit_price=D("1")), "text", "too_long"),
        (InvoiceRow(RowKind.MATERIAL, quantity=D("NaN"), unit_price=D("1")), "quantity", "not_a_number"),
        (InvoiceRow(RowKind.MATERIAL, quantity=D("1"), unit_price=D("Infinity")), "unit_price", "not_a_number"),
    ],
)
def test_bad_rows_are_reported_at_their_field(row: InvoiceRow, field: str, code: str) -> None:
    assert codes(invoice(labour("1", "100"), row), PRIVATE) == {("rows", 1, field): code}


def test_reverse_charge_needs_a_company_with_vat_number() -> None:
    validate_invoice(invoice(labour("1", "650"), reverse_charge=True), COMPANY)
    assert codes(invoice(labour("1", "650"), reverse_charge=True), COMPANY_WITHOUT_VAT) == {
        ("reverse_charge",): "reverse_charge_needs_vat_number"
    }
    assert codes(invoice(labour("1", "650"), reverse_charge=True), PRIVATE) == {
        ("reverse_charge",): "reverse_charge_needs_company"
    }


def test_reverse_charge_cannot_be_combined_with_husavdrag() -> None:
    content = invoice(
        labour("1", "650", HouseWorkType.EL), reverse_charge=True, husavdrag=claim(HusavdragKind.ROT, (ANNA, "100"))
    )
    found = codes(content, COMPANY)
    assert found[("reverse_charge",)] == "reverse_charge_with_husavdrag"
    assert found[("house_work",)] == "husavdrag_needs_private_customer"


def test_husavdrag_only_for_private_persons() -> None:
    content = invoice(labour("1", "650", HouseWorkType.EL), husavdrag=claim(HusavdragKind.ROT, (ANNA, "100")))
    validate_invoice(content, PRIVATE)
    assert codes(content, COMPANY) == {("house_work",): "husavdrag_needs_private_customer"}


def test_husavdrag_needs_persons_with_valid_numbers_and_shares_adding_up() -> None:
    work = labour("1", "650", HouseWorkType.EL)
    assert codes(invoice(work, husavdrag=claim(HusavdragKind.ROT)), PRIVATE) == {("house_work", "persons"): "required"}
    bad_number = claim(HusavdragKind.ROT, ("198803200017", "100"))
    assert codes(invoice(work, husavdrag=bad_number), PRIVATE) == {
        ("house_work", "persons", 0, "personal_number"): "invalid_personal_number"
    }
    shares = claim(HusavdragKind.ROT, (ANNA, "50"), (BERTIL, "40"))
    assert codes(invoice(work, husavdrag=shares), PRIVATE) == {("house_work", "persons"): "shares_not_100"}
    twice = claim(HusavdragKind.ROT, (ANNA, "50"), (ANNA, "50"))
    assert codes(invoice(work, husavdrag=twice), PRIVATE) == {
        ("house_work", "persons", 1, "personal_number"): "duplicate"
    }


def test_error_messages_never_repeat_the_personnummer() -> None:
    with pytest.raises(ValidationFailed) as caught:
        validate_invoice(
            invoice(labour("1", "650", HouseWorkType.EL), husavdrag=claim(HusavdragKind.ROT, ("198803200017", "100"))),
            PRIVATE,
        )
    assert "198803200017" not in str(caught.value)
    assert "8803200017" not in str(caught.value)


def test_rot_needs_a_property_house_or_apartment() -> None:
    work = labour("1", "650", HouseWorkType.EL)
    persons = (HusavdragPerson(ANNA, Decimal(100)),)
    no_property = HusavdragClaim(HusavdragKind.ROT, persons)
    assert codes(invoice(work, husavdrag=no_property), PRIVATE) == {
        ("house_work", "property_designation"): "property_required"
    }
    apartment = HusavdragClaim(
        HusavdragKind.ROT, persons, housing_coop_org_number="769621-9000", apartment_number="1102"
    )
    validate_invoice(invoice(work, husavdrag=apartment), PRIVATE)
    no_apartment = HusavdragClaim(HusavdragKind.ROT, persons, housing_coop_org_number="769621-9000")
    assert codes(invoice(work, husavdrag=no_apartment), PRIVATE) == {("house_work", "apartment_number"): "required"}
    bad_coop = HusavdragClaim(HusavdragKind.ROT, persons, housing_coop_org_number="769621-9001", apartment_number="1")
    assert codes(invoice(work, husavdrag=bad_coop), PRIVATE) == {
        ("house_work", "housing_coop_org_number"): "invalid_org_number"
    }
    both = HusavdragClaim(
        HusavdragKind.ROT, persons, "EXEMPELBY 1:23", housing_coop_org_number="769621-9000", apartment_number="1"
    )
    assert codes(invoice(work, husavdrag=both), PRIVATE) == {("house_work",): "property_ambiguous"}


def test_rut_needs_no_property() -> None:
    validate_invoice(
        invoice(labour("3", "400", HouseWorkType.STADNING), husavdrag=claim(HusavdragKind.RUT, (ANNA, "100"))),
        PRIVATE,
    )


def test_husavdrag_needs_work_of_its_own_kind() -> None:
    rot = claim(HusavdragKind.ROT, (ANNA, "100"))
    assert codes(invoice(material("1", "500"), husavdrag=rot), PRIVATE) == {("rows",): "husavdrag_without_work"}
    mixed = invoice(labour("1", "650", HouseWorkType.EL), labour("1", "400", HouseWorkType.STADNING), husavdrag=rot)
    assert codes(mixed, PRIVATE) == {("rows", 1, "house_work_type"): "house_work_type_mismatch"}


def test_husavdrag_before_known_rates_is_rejected() -> None:
    old = invoice(
        labour("1", "650", HouseWorkType.EL), day="2019-06-01", husavdrag=claim(HusavdragKind.ROT, (ANNA, "100"))
    )
    assert codes(old, PRIVATE) == {("house_work", "type"): "no_rate_for_date"}


def test_all_errors_come_at_once() -> None:
    content = invoice(material("-1", "10"), material("1", "10", vat="7"), reverse_charge=True)
    assert set(codes(content, PRIVATE)) == {
        ("rows", 0, "quantity"),
        ("rows", 1, "vat_rate"),
        ("reverse_charge",),
    }


@pytest.mark.parametrize(
    ("paid", "credited", "status"),
    [
        ("0", "0", InvoiceStatus.APPROVED),
        ("100", "0", InvoiceStatus.PARTIALLY_PAID),
        ("1000", "0", InvoiceStatus.PAID),
        ("1200", "0", InvoiceStatus.PAID),
        ("0", "1000", InvoiceStatus.CREDITED),
        ("0", "400", InvoiceStatus.PARTIALLY_PAID),
        ("600", "400", InvoiceStatus.PAID),
    ],
)
def test_status_follows_payments_and_credits(paid: str, credited: str, status: InvoiceStatus) -> None:
    assert status_after_settlement(D("1000.00"), D(paid), D(credited)) is status


def test_a_labour_row_without_work_type_is_named_with_the_values_it_may_take() -> None:
    rot = claim(HusavdragKind.ROT, (ANNA, "100"))
    content = invoice(material("1", "500"), labour("8", "650"), husavdrag=rot)
    with pytest.raises(ValidationFailed) as refused:
        validate_invoice(content, PRIVATE)
    (error,) = refused.value.errors
    assert error.loc == ("rows", 1, "house_work_type")  # the row and its field, not just "rows" (issue 20)
    assert "bygg, el," in error.message
    assert "stadning" not in error.message  # only ROT's own types


def test_a_row_priced_by_the_hour_cannot_report_other_hours() -> None:
    billed_one = InvoiceRow(RowKind.LABOUR, "Arbete", quantity=D("1"), unit="tim", unit_price=D("650"), hours=D("10"))
    assert codes(invoice(billed_one), PRIVATE) == {("rows", 0, "hours"): "hours_differ_from_quantity"}
    same = InvoiceRow(RowKind.LABOUR, "Arbete", quantity=D("10"), unit="tim", unit_price=D("650"), hours=D("10"))
    validate_invoice(invoice(same), PRIVATE)
    fixed_price = InvoiceRow(
        RowKind.LABOUR, "Fast pris", quantity=D("1"), unit="st", unit_price=D("9000"), hours=D("10")
    )
    validate_invoice(invoice(fixed_price), PRIVATE)  # a fixed price may report the hours it took
