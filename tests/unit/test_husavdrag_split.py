"""The buyers' split rule: no buyer's part exceeds the rate × his or her share of the labour, nor the rate × the
whole-krona labour the claim file reports for that buyer; the invoice deducts exactly the sum of the parts."""

from __future__ import annotations

import itertools
from datetime import date
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from fakturabro.domain.husavdrag import DeductionBase, HouseWorkType, compute_deduction, split_whole_kronor
from fakturabro.domain.money import floor_kronor

DAY = date(2026, 6, 1)
RATE = Decimal("0.30")


@st.composite
def shares(draw: st.DrawFn) -> list[Decimal]:
    """2–5 shares in hundredths of a percent that add up to 100."""
    count = draw(st.integers(min_value=1, max_value=5))
    cuts = sorted(draw(st.lists(st.integers(1, 9999), min_size=count - 1, max_size=count - 1, unique=True)))
    points = [0, *cuts, 10000]
    return [Decimal(b - a) / 100 for a, b in itertools.pairwise(points)]


@given(
    labour=st.decimals(min_value=Decimal("2"), max_value=Decimal("200000"), places=2),
    split=shares(),
)
def test_no_buyer_exceeds_the_rate_times_the_share_or_the_files_labour(labour: Decimal, split: list[Decimal]) -> None:
    deduction = compute_deduction([DeductionBase(HouseWorkType.BYGG, labour)], split, DAY)
    file_labour = split_whole_kronor(floor_kronor(labour), split)
    assert sum(file_labour) == floor_kronor(labour)
    for part, share, whole in zip(deduction.per_person, split, file_labour, strict=True):
        assert part <= RATE * labour * share / 100
        assert part <= RATE * whole
        assert part == part.to_integral_value()
        assert part <= Decimal(50000)
    assert deduction.total == sum(deduction.per_person)
    # whole kronor down per buyer costs each buyer less than two kronor (the krona of the file's split, the öre)
    for part, share in zip(deduction.per_person, split, strict=True):
        assert part > min(RATE * labour * share / 100, Decimal(50000)) - 2
