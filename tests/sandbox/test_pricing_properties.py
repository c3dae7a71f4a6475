"""Properties of the sandbox's invoice arithmetic over many random documents.

CI runs a small number of examples; set SANDBOX_PRICING_EXAMPLES (e.g. 5000) for a longer run.
"""

from __future__ import annotations

import os
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fakturabro.sandbox.pricing import KRONA, ORE, ZERO, PricingError, price_document

EXAMPLES = int(os.environ.get("SANDBOX_PRICING_EXAMPLES", "150"))
RATES = {"a25": Decimal("0.25"), "a12": Decimal("0.12"), "a6": Decimal("0.06"), "a0": Decimal("0")}
SETTINGS: dict[str, Any] = {
    "UsesRotReducedInvoicing": True,
    "UsesGreenTechnology": True,
    "DomesticCurrencyRounding": 1,
    "CompanyRotRutSettings": {
        "RotReducedInvoicingPercent": 0.3,
        "RotReducedInvoicingMaxAmount": 50000,
        "RutReducedInvoicingPercent": 0.5,
        "RutMaxAmountForPersBelow65Year": 75000,
    },
}
PRIVATE = {"IsPrivatePerson": True}
PERSONS = ["198001011231", "197505051230", "199003151231"]

money = st.decimals(min_value=0, max_value=200000, places=2)
quantity = st.decimals(min_value=Decimal("0.01"), max_value=500, places=2)
discount = st.sampled_from([Decimal("0"), Decimal("0.1"), Decimal("0.125"), Decimal("0.5"), Decimal("1")])
row = st.fixed_dictionaries(
    {
        "ArticleId": st.sampled_from(sorted(RATES)),
        "IsTextRow": st.just(False),
        "Quantity": quantity,
        "UnitPrice": money,
        "DiscountPercentage": discount,
        "IsWorkCost": st.booleans(),
        "ReversedConstructionServicesVatFree": st.just(False),
    }
)
rows = st.lists(row, min_size=1, max_size=8)


def price(document: dict[str, Any]) -> Any:
    body = {"EuThirdParty": False, "RotReducedInvoicingType": 0} | document
    return price_document(body, customer=PRIVATE, settings=SETTINGS, vat_rate_of=RATES, today=date(2026, 3, 1))


@settings(max_examples=EXAMPLES, deadline=None)
@given(rows)
def test_totals_add_up_and_round_once(document_rows: list[dict[str, Any]]) -> None:
    pricing = price({"Rows": document_rows})
    assert pricing.total == pricing.net + pricing.vat + pricing.roundings
    assert pricing.total == pricing.total.quantize(KRONA)
    assert abs(pricing.roundings) <= Decimal("0.50")
    assert pricing.vat == sum((line.vat for line in pricing.vat_lines), ZERO)
    for line in pricing.vat_lines:
        assert line.vat == line.vat.quantize(ORE)
        assert abs(line.vat - line.base * line.rate) <= Decimal("0.005")
    assert pricing.net == sum((priced.amount for priced in pricing.rows), ZERO)


@settings(max_examples=EXAMPLES, deadline=None)
@given(rows, st.sampled_from([1, 2]), st.integers(min_value=1, max_value=3))
def test_house_work_reduction_is_bounded_and_split_exactly(
    document_rows: list[dict[str, Any]], kind: int, persons: int
) -> None:
    document = {
        "Rows": document_rows,
        "RotReducedInvoicingType": kind,
        "RotPropertyType": 2,
        "RotReducedInvoicingPropertyName": "Uppsala Kåbo 1:23",
        "Persons": [{"Ssn": ssn} for ssn in PERSONS[:persons]],
    }
    percent, cap = (Decimal("0.3"), Decimal("50000")) if kind == 1 else (Decimal("0.5"), Decimal("75000"))
    base = sum((row.amount_incl_vat for row in price({"Rows": document_rows}).rows if row.is_work_cost), ZERO)
    if base * percent < KRONA:  # no whole krona of reduction: Visma refuses the house-work invoice
        with pytest.raises(PricingError, match="no rows"):
            price(document)
        return
    pricing = price(document)
    assert pricing.reduction == pricing.reduction.quantize(KRONA)
    assert ZERO < pricing.reduction <= min(base * percent, cap * persons)
    assert base * percent - pricing.reduction < KRONA or pricing.reduction == cap * persons
    assert sum(pricing.person_amounts, ZERO) == pricing.reduction
    assert max(pricing.person_amounts) - min(pricing.person_amounts) <= KRONA
    assert pricing.remaining == pricing.total - pricing.reduction
