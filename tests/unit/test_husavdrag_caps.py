"""The yearly caps as dated data, the room left per buyer, and the warning before approval."""

from __future__ import annotations

from decimal import Decimal

from fakturabro.domain.husavdrag import HusavdragKind
from fakturabro.domain.husavdrag_caps import BuyerUse, buyer_years, cap_warning, caps_for

ANNA = "198803200016"


def test_the_caps_follow_the_year() -> None:
    assert (caps_for(2026).rot, caps_for(2026).rot_and_rut, caps_for(2026).green) == (50000, 75000, 50000)
    assert (caps_for(2024).rot, caps_for(2024).rot_and_rut) == (75000, 150000)  # 2024's second half
    assert caps_for(2023).rot_and_rut == 75000


def test_rot_and_rut_share_the_combined_cap_and_green_has_its_own() -> None:
    uses = [
        BuyerUse(ANNA, 2026, HusavdragKind.ROT, Decimal(40000), 1),
        BuyerUse(ANNA, 2026, HusavdragKind.RUT, Decimal(20000), 2),
        BuyerUse(ANNA, 2026, HusavdragKind.GREEN, Decimal(10000), 3),
        BuyerUse(ANNA, 2025, HusavdragKind.ROT, Decimal(50000), 4),
    ]
    this_year, last_year = buyer_years(uses)
    assert (this_year.year, this_year.rot_left, this_year.rut_left, this_year.green_left) == (2026, 10000, 15000, 40000)
    assert not this_year.over_cap
    assert (last_year.year, last_year.rot_left, last_year.rut_left) == (2025, 0, 25000)
    more_rut = buyer_years([*uses, BuyerUse(ANNA, 2026, HusavdragKind.RUT, Decimal(5000), 5)])[0]
    assert more_rut.rot_left == 10000  # 50 000 − 40 000, and 75 000 − 65 000 leaves the same
    assert more_rut.rut_left == 10000


def test_the_warning_says_what_skatteverket_pays_at_most() -> None:
    [earlier] = buyer_years([BuyerUse(ANNA, 2026, HusavdragKind.ROT, Decimal(45000), 1)])
    message = cap_warning("19880320-****", HusavdragKind.ROT, 2026, earlier, Decimal(8000))
    assert message is not None
    assert "45\u00a0000,00\u00a0kr" in message
    assert "högst 5\u00a0000,00\u00a0kr" in message
    assert ANNA not in message
    assert cap_warning("19880320-****", HusavdragKind.ROT, 2026, earlier, Decimal(5000)) is None
    assert cap_warning("19880320-****", HusavdragKind.GREEN, 2026, earlier, Decimal(50000)) is None
    rut = cap_warning("19880320-****", HusavdragKind.RUT, 2026, earlier, Decimal(31000))
    assert rut is not None
    assert "ROT och RUT tillsammans" in rut
