"""Properties that must hold for every invoice, checked over many generated ones."""

from __future__ import annotations

import os
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from fakturabro.domain.husavdrag import HouseWorkType, HusavdragKind
from fakturabro.domain.invoice import InvoiceContent, InvoiceRow, RowKind, compute_totals, row_gross

from .helpers import ANNA, BERTIL, CECILIA, claim, invoice

EXAMPLES = int(os.environ.get("FAKTURABRO_HYPOTHESIS_EXAMPLES", "300"))
ROT_WORK = [t for t in HouseWorkType if t.kind is HusavdragKind.ROT]

money = st.decimals(min_value=0, max_value=200_000, places=2, allow_nan=False, allow_infinity=False)
quantity = st.decimals(min_value=Decimal("0.01"), max_value=1000, places=2, allow_nan=False, allow_infinity=False)
rows = st.lists(
    st.builds(
        InvoiceRow,
        kind=st.sampled_from([RowKind.LABOUR, RowKind.MATERIAL, RowKind.OTHER]),
        quantity=quantity,
        unit_price=money,
        vat_rate=st.sampled_from([Decimal(25), Decimal(12), Decimal(6), Decimal(0)]),
        discount_percent=st.decimals(min_value=0, max_value=100, places=2, allow_nan=False, allow_infinity=False),
        house_work_type=st.one_of(st.none(), st.sampled_from(ROT_WORK)),
    ),
    min_size=1,
    max_size=12,
)
shares = st.sampled_from(
    [((ANNA, "100"),), ((ANNA, "50"), (BERTIL, "50")), ((ANNA, "33.33"), (BERTIL, "33.33"), (CECILIA, "33.34"))]
)


@settings(max_examples=EXAMPLES, deadline=None)
@given(rows=rows, reverse_charge=st.booleans())
def test_amounts_add_up_and_round_to_whole_kronor(rows: list[InvoiceRow], reverse_charge: bool) -> None:
    totals = compute_totals(invoice(*rows, reverse_charge=reverse_charge))
    assert totals.net == sum((row.net for row in rows), Decimal(0))
    assert totals.vat == sum(totals.vat_by_rate.values(), Decimal(0))
    assert totals.total == totals.net + totals.vat + totals.rounding
    assert totals.total == totals.total.to_integral_value()
    assert abs(totals.rounding) <= Decimal("0.50")
    assert sum(totals.net_by_kind.values(), Decimal(0)) == totals.net
    if reverse_charge:
        assert totals.vat == 0


@settings(max_examples=EXAMPLES, deadline=None)
@given(rows=rows, persons=shares)
def test_rot_never_exceeds_rate_or_cap_and_parts_add_up(rows: list[InvoiceRow], persons: tuple) -> None:
    content = invoice(*rows, husavdrag=claim(HusavdragKind.ROT, *persons))
    totals = compute_totals(content)
    labour_incl_vat = sum(
        (row_gross(row) for row in rows if row.kind is RowKind.LABOUR and row.house_work_type is not None),
        Decimal(0),
    )
    assert totals.husavdrag == sum(totals.husavdrag_by_person, Decimal(0))
    assert totals.husavdrag <= labour_incl_vat * Decimal("0.30")
    assert all(part <= 50_000 and part == part.to_integral_value() for part in totals.husavdrag_by_person)
    assert totals.to_pay == totals.total - totals.husavdrag


@settings(max_examples=EXAMPLES, deadline=None)
@given(rows=rows, persons=shares, husavdrag=st.booleans())
def test_credit_invoice_negates_every_amount(rows: list[InvoiceRow], persons: tuple, husavdrag: bool) -> None:
    claimed = claim(HusavdragKind.ROT, *persons) if husavdrag else None
    original = compute_totals(invoice(*rows, husavdrag=claimed))
    credit = compute_totals(InvoiceContent(invoice().invoice_date, tuple(rows), False, claimed, True))
    assert credit == original.negated()
    assert credit.to_pay == -original.to_pay
