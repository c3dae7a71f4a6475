"""Visma's invoice arithmetic as the sandbox emulates it; every expected value is computed by hand."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from fakturabro.sandbox.pricing import (
    Pricing,
    PricingError,
    price_document,
    row_amount,
    split_between_persons,
    vat_fraction,
)

D = Decimal
TODAY = date(2026, 3, 1)
ANNA = "198001011231"
BERTIL = "19750505-1230"

# ArticleId → VAT fraction, as the resources derive it from the articles' account codings
RATES = {"a25": D("0.25"), "a12": D("0.12"), "a6": D("0.06"), "a0": D("0")}

SETTINGS: dict[str, Any] = {
    "UsesReverseConstructionVat": True,
    "UsesRotReducedInvoicing": True,
    "UsesGreenTechnology": True,
    "DomesticCurrencyRounding": 1,
    "CompanyRotRutSettings": {
        "RotReducedInvoicingPercent": 0.3,
        "RotReducedInvoicingMaxAmount": 50000,
        "RutReducedInvoicingPercent": 0.5,
        "RutMaxAmountForPersBelow65Year": 75000,
        "RutMaxAmountForPersOver65Year": 75000,
    },
    "CompanyGreenTechnologySettings": {
        "GreenTechnologyDeductionMaxAmount": 50000,
        "SollarCellDiscountPercentage": 0.15,
    },
}
PRIVATE: dict[str, Any] = {"IsPrivatePerson": True, "VatNumber": None}
COMPANY: dict[str, Any] = {"IsPrivatePerson": False, "VatNumber": "SE556677889901"}


def row(article: str | None, quantity: Any, price: Any, **extra: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "ArticleId": article,
        "IsTextRow": article is None,
        "Quantity": quantity,
        "UnitPrice": price,
        "ReversedConstructionServicesVatFree": False,
    }
    return base | extra


def text(value: str) -> dict[str, Any]:
    return {"IsTextRow": True, "Text": value, "ReversedConstructionServicesVatFree": False}


def price(
    rows: list[dict[str, Any]],
    customer: dict[str, Any] = PRIVATE,
    settings: dict[str, Any] = SETTINGS,
    **document: Any,
) -> Pricing:
    body = {"RotReducedInvoicingType": 0, "EuThirdParty": False, "Rows": rows} | document
    return price_document(body, customer=customer, settings=settings, vat_rate_of=RATES, today=TODAY)


def rot(rows: list[dict[str, Any]], persons: list[dict[str, Any]], **document: Any) -> Pricing:
    fields: dict[str, Any] = {
        "RotReducedInvoicingType": 1,
        "RotPropertyType": 2,
        "RotReducedInvoicingPropertyName": "Uppsala Kåbo 1:23",
        "Persons": persons,
    }
    return price(rows, **(fields | document))


# --- rows, VAT, roundings -------------------------------------------------------------------------------


def test_row_amount_applies_the_discount_as_a_fraction_and_rounds_to_ore() -> None:
    assert row_amount(D("3"), D("99.99"), D("0.1")) == D("269.97")  # 269.973
    assert row_amount(D("0.5"), D("0.25"), D("0")) == D("0.13")  # 0.125 rounds half up
    assert row_amount(D("-0.5"), D("0.25"), D("0")) == D("-0.13")  # half away from zero on credits
    assert row_amount(D("2"), D("100"), D("1")) == D("0.00")


def test_discount_outside_zero_to_one_is_refused() -> None:
    with pytest.raises(PricingError) as refused:
        row_amount(D("1"), D("100"), D("10"))
    assert refused.value.field == "DiscountPercentage"


def test_mixed_vat_rates_with_a_text_row() -> None:
    pricing = price([row("a25", 2, 100), row("a12", 3, "33.33"), text("Arbete utfört i mars"), row("a6", 1, "10.10")])
    # 25 %: 200 → 50.00; 12 %: 99.99 → 11.9988 → 12.00; 6 %: 10.10 → 0.606 → 0.61
    assert [(line.rate, line.base, line.vat) for line in pricing.vat_lines] == [
        (D("0.25"), D("200"), D("50.00")),
        (D("0.12"), D("99.99"), D("12.00")),
        (D("0.06"), D("10.10"), D("0.61")),
    ]
    assert pricing.net == D("310.09")
    assert pricing.vat == D("62.61")
    assert pricing.total == D("373")  # 372.70 rounds up
    assert pricing.roundings == D("0.30")
    assert pricing.rows[2].is_text_row
    assert pricing.rows[2].amount == 0
    assert pricing.rows[2].vat_rate is None


def test_vat_is_computed_on_the_sum_per_rate_not_per_row() -> None:
    pricing = price([row("a25", 1, "0.05"), row("a25", 1, "0.05"), row("a25", 1, "0.05")])
    # per row 0.0125 → 0.01 each would give 0.03; on the sum 0.15 × 25 % = 0.0375 → 0.04
    assert pricing.vat == D("0.04")


def test_total_rounds_down_below_half_a_krona() -> None:
    pricing = price([row("a25", 1, "297.99")])  # 297.99 + 74.4975 → 74.50 = 372.49
    assert pricing.vat == D("74.50")
    assert pricing.total == D("372")
    assert pricing.roundings == D("-0.49")


def test_no_rounding_when_the_company_does_not_round() -> None:
    pricing = price([row("a25", 1, "297.99")], settings=SETTINGS | {"DomesticCurrencyRounding": 0})
    assert pricing.total == D("372.49")
    assert pricing.roundings == 0


def test_row_discount_goes_into_the_vat_base() -> None:
    pricing = price([row("a25", 4, 250, DiscountPercentage=0.25)])  # 1000 × 0.75 = 750
    assert pricing.net == D("750.00")
    assert pricing.vat == D("187.50")
    assert pricing.total == D("938")
    assert pricing.roundings == D("0.50")


def test_reverse_charge_rows_have_zero_vat() -> None:
    pricing = price(
        [row("a25", 10, 500, ReversedConstructionServicesVatFree=True)],
        customer=COMPANY | {"ReverseChargeOnConstructionServices": True},
    )
    assert pricing.vat == 0
    assert pricing.total == D("5000")
    assert [(line.rate, line.vat) for line in pricing.vat_lines] == [(D("0"), D("0"))]


def test_credit_invoice_totals_are_negative() -> None:
    pricing = price([row("a25", -2, "100.10")], IsCreditInvoice=True)
    assert pricing.net == D("-200.20")
    assert pricing.vat == D("-50.05")
    assert pricing.total == D("-250")  # -250.25 rounds towards -250
    assert pricing.roundings == D("0.25")


def test_credit_flag_must_match_the_sign() -> None:
    with pytest.raises(PricingError):
        price([row("a25", 2, 100)], IsCreditInvoice=True)
    with pytest.raises(PricingError):
        price([row("a25", -2, 100)])


def test_unknown_article_and_missing_article_are_refused() -> None:
    with pytest.raises(PricingError, match="does not exist") as unknown:
        price([row("nope", 1, 100)])
    assert unknown.value.field == "ArticleId"
    with pytest.raises(PricingError) as missing:
        price([{"IsTextRow": False, "Quantity": 1, "UnitPrice": 1, "ReversedConstructionServicesVatFree": False}])
    assert missing.value.error_code == 4002
    with pytest.raises(PricingError, match="Text"):
        price([text("  ")])


def test_vat_fraction_reads_percent_or_fraction() -> None:
    assert vat_fraction({"VatRatePercent": 25}) == D("0.25")
    assert vat_fraction({"VatRatePercent": 0.12}) == D("0.12")
    assert vat_fraction({"VatRatePercent": 0}) == 0


# --- ROT, RUT, grön teknik ------------------------------------------------------------------------------


def test_rot_on_work_rows_incl_vat_split_between_two_persons() -> None:
    pricing = rot(
        [row("a25", 100, 1000, IsWorkCost=True), row("a25", 1, 8000)],  # labour 100 000, material 8 000
        [{"Ssn": ANNA}, {"Ssn": BERTIL}],
    )
    # labour incl. VAT 125 000 × 30 % = 37 500, under the cap 2 × 50 000
    assert pricing.total == D("135000")
    assert pricing.reduction == D("37500")
    assert pricing.person_amounts == (D("18750"), D("18750"))
    assert pricing.remaining == D("97500")
    assert pricing.reduction_percent == D("0.3")


def test_rot_is_capped_per_person() -> None:
    labour = [row("a25", 400, 1000, IsWorkCost=True)]  # 500 000 incl. VAT × 30 % = 150 000
    assert rot(labour, [{"Ssn": ANNA}]).reduction == D("50000")
    assert rot(labour, [{"Ssn": ANNA}, {"Ssn": BERTIL}]).reduction == D("100000")


def test_rot_rounds_down_to_whole_kronor() -> None:
    pricing = rot([row("a25", 1, "333.33", IsWorkCost=True)], [{"Ssn": ANNA}])
    # 333.33 × 1.25 = 416.6625; × 30 % = 124.99875 → 124
    assert pricing.reduction == D("124")


def test_given_person_amounts_must_add_up_to_the_reduction() -> None:
    labour = [row("a25", 100, 1000, IsWorkCost=True)]  # reduction 37 500
    given = rot(labour, [{"Ssn": ANNA, "Amount": 30000}, {"Ssn": BERTIL, "Amount": 7500}])
    assert given.person_amounts == (D("30000"), D("7500"))
    with pytest.raises(PricingError, match="add up") as refused:
        rot(labour, [{"Ssn": ANNA, "Amount": 30000}, {"Ssn": BERTIL, "Amount": 7000}])
    assert refused.value.field == "Persons"


def test_even_split_gives_the_remainder_to_the_first_person() -> None:
    assert split_between_persons(D("1125"), [D("0"), D("0")]) == (D("563"), D("562"))
    assert split_between_persons(D("100"), [D("0"), D("0"), D("0")]) == (D("34"), D("33"), D("33"))
    assert split_between_persons(D("2"), [D("0"), D("0"), D("0")]) == (D("1"), D("1"), D("0"))
    assert split_between_persons(D("300.50"), [D("0"), D("0")]) == (D("150.50"), D("150"))
    assert split_between_persons(D("-101"), [D("0"), D("0")]) == (D("-51"), D("-50"))


def test_manual_reduction_may_lower_but_not_raise() -> None:
    labour = [row("a25", 1, 1000, IsWorkCost=True)]  # 1250 × 30 % = 375
    assert rot(labour, [{"Ssn": ANNA}], RotReducedInvoicingAmount=300).reduction == D("300")
    with pytest.raises(PricingError, match="exceeds"):
        rot(labour, [{"Ssn": ANNA}], RotReducedInvoicingAmount=400)
    with pytest.raises(PricingError, match="sign"):
        rot(labour, [{"Ssn": ANNA}], RotReducedInvoicingAmount=-300)


def test_rot_on_a_credit_invoice_is_negative() -> None:
    labour = [row("a25", -1, 1000, IsWorkCost=True)]  # -1250 incl. VAT × 30 % = -375
    pricing = rot(labour, [{"Ssn": ANNA}, {"Ssn": BERTIL}], IsCreditInvoice=True)
    assert pricing.reduction == D("-375")
    assert pricing.person_amounts == (D("-188"), D("-187"))
    assert pricing.remaining == D("-875")
    given = rot(labour, [{"Ssn": ANNA, "Amount": -375}], IsCreditInvoice=True, RotReducedInvoicingAmount=-375)
    assert given.reduction == D("-375")


def test_rut_uses_the_rut_percent() -> None:
    pricing = price(
        [row("a25", 4, 450, IsWorkCost=True)],  # 1 800 + VAT 450 = 2 250
        RotReducedInvoicingType=2,
        Persons=[{"Ssn": ANNA}, {"Ssn": BERTIL}],
    )
    assert pricing.reduction == D("1125")
    assert pricing.person_amounts == (D("563"), D("562"))
    assert pricing.remaining == D("1125")


def test_green_technology_per_type_rate_and_cap() -> None:
    fields: dict[str, Any] = {
        "UsesGreenTechnology": True,
        "RotPropertyType": 2,
        "RotReducedInvoicingPropertyName": "Uppsala Kåbo 1:23",
        "Persons": [{"Ssn": ANNA}],
    }
    pricing = price(
        [row("a25", 1, 100000, GreenTechnologyType=1), row("a25", 1, 20000, GreenTechnologyType=2), row("a25", 1, 999)],
        **fields,
    )
    # solar 125 000 × 15 % = 18 750; battery 25 000 × 50 % = 12 500; the plain row gives nothing
    assert pricing.reduction == D("31250")
    capped = price([row("a25", 1, 100000, GreenTechnologyType=3)], **fields)  # 125 000 × 50 % = 62 500
    assert capped.reduction == D("50000")


# --- refusals -------------------------------------------------------------------------------------------

LABOUR = [row("a25", 10, 500, IsWorkCost=True)]


@pytest.mark.parametrize(
    ("overrides", "customer", "settings", "field"),
    [
        ({}, COMPANY, SETTINGS, "CustomerId"),
        ({"Persons": []}, PRIVATE, SETTINGS, "Persons"),
        ({"Persons": None}, PRIVATE, SETTINGS, "Persons"),
        ({"Persons": [{"Ssn": "198001011232"}]}, PRIVATE, SETTINGS, "Ssn"),
        ({"Persons": [{"Ssn": "not a number"}]}, PRIVATE, SETTINGS, "Ssn"),
        ({}, PRIVATE, SETTINGS | {"UsesRotReducedInvoicing": False}, "RotReducedInvoicingType"),
        ({"RotPropertyType": None}, PRIVATE, SETTINGS, "RotPropertyType"),
        ({"RotReducedInvoicingPropertyName": ""}, PRIVATE, SETTINGS, "RotReducedInvoicingPropertyName"),
        ({"RotPropertyType": 1}, PRIVATE, SETTINGS, "RotReducedInvoicingOrgNumber"),
        ({"UsesGreenTechnology": True}, PRIVATE, SETTINGS, "UsesGreenTechnology"),
    ],
)
def test_rot_refusals(
    overrides: dict[str, Any], customer: dict[str, Any], settings: dict[str, Any], field: str
) -> None:
    document: dict[str, Any] = {
        "RotReducedInvoicingType": 1,
        "RotPropertyType": 2,
        "RotReducedInvoicingPropertyName": "Uppsala Kåbo 1:23",
        "Persons": [{"Ssn": ANNA}],
    } | overrides
    with pytest.raises(PricingError) as refused:
        price(LABOUR, customer=customer, settings=settings, **document)
    assert refused.value.field == field


def test_work_cost_type_of_the_other_kind_is_refused() -> None:
    cleaning = [row("a25", 4, 450, IsWorkCost=True, WorkCostType=9)]  # RutCleanJobWork
    with pytest.raises(PricingError) as refused:
        rot(cleaning, [{"Ssn": ANNA}])
    assert refused.value.field == "WorkCostType"
    assert price(cleaning, RotReducedInvoicingType=2, Persons=[{"Ssn": ANNA}]).reduction == D("1125")


def test_bad_personnummer_is_not_echoed_in_the_message() -> None:
    with pytest.raises(PricingError) as refused:
        rot(LABOUR, [{"Ssn": "198001011232"}])
    assert "198001011232" not in refused.value.message


def test_rut_for_apartment_does_not_need_property() -> None:
    assert price(LABOUR, RotReducedInvoicingType=2, Persons=[{"Ssn": ANNA}]).reduction == D("3125")


def test_rot_on_an_invoice_without_work_rows_is_refused() -> None:
    with pytest.raises(PricingError, match="no rows"):
        rot([row("a25", 1, 100)], [{"Ssn": ANNA}])


def test_green_technology_refused_when_the_company_does_not_use_it() -> None:
    with pytest.raises(PricingError) as refused:
        price(
            [row("a25", 1, 1000, GreenTechnologyType=1)],
            settings=SETTINGS | {"UsesGreenTechnology": False},
            UsesGreenTechnology=True,
            RotPropertyType=2,
            RotReducedInvoicingPropertyName="Uppsala Kåbo 1:23",
            Persons=[{"Ssn": ANNA}],
        )
    assert refused.value.field == "UsesGreenTechnology"


def test_reverse_charge_refused_when_the_company_setting_is_off() -> None:
    with pytest.raises(PricingError, match="company settings"):
        price(
            [row("a25", 1, 100, ReversedConstructionServicesVatFree=True)],
            customer=COMPANY,
            settings=SETTINGS | {"UsesReverseConstructionVat": False},
        )


def test_reverse_charge_refused_for_a_customer_without_vat_number() -> None:
    with pytest.raises(PricingError) as refused:
        price([row("a25", 1, 100, ReversedConstructionServicesVatFree=True)], customer=COMPANY | {"VatNumber": ""})
    assert refused.value.field == "VatNumber"


def test_reverse_charge_customer_refused_when_the_company_setting_is_off() -> None:
    with pytest.raises(PricingError):
        price(
            [row("a25", 1, 100)],
            customer=COMPANY | {"ReverseChargeOnConstructionServices": True},
            settings=SETTINGS | {"UsesReverseConstructionVat": False},
        )
