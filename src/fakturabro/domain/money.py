"""Exact money: öre precision, whole-krona rounding, never float.

Rounding is ROUND_HALF_UP (away from zero on .5), the way Swedish invoices and Visma round. Because it is
symmetric around zero, a credit invoice's amounts are exactly the negation of its original's.
"""

from __future__ import annotations

from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal

ORE = Decimal("0.01")
KRONA = Decimal("1")
ZERO = Decimal("0.00")
NBSP = "\u00a0"


def to_ore(amount: Decimal) -> Decimal:
    """Round to öre (two decimals)."""
    return amount.quantize(ORE, rounding=ROUND_HALF_UP)


def to_whole_kronor(amount: Decimal) -> Decimal:
    """Öresavrundning: round to whole kronor, kept with two decimals so it adds up with öre amounts."""
    return amount.quantize(KRONA, rounding=ROUND_HALF_UP).quantize(ORE)


def floor_kronor(amount: Decimal) -> Decimal:
    """Whole kronor towards zero: Skatteverket takes whole kronor and a claim must never exceed the rate."""
    return amount.quantize(KRONA, rounding=ROUND_DOWN).quantize(ORE)


def percent_of(amount: Decimal, percent: Decimal) -> Decimal:
    """``percent`` % of ``amount``, unrounded (the caller rounds once, where its rule says)."""
    return amount * percent / Decimal(100)


def format_sek(amount: Decimal) -> str:
    """Swedish display form: ``1 234,50 kr``, ``−45,00 kr`` (non-breaking space between thousands, the minus
    sign U+2212 as in ``swedish_format``)."""
    sign = "\u2212" if to_ore(amount) < 0 else ""
    whole, _, frac = f"{abs(to_ore(amount)):.2f}".partition(".")
    groups: list[str] = []
    while whole:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    return sign + NBSP.join(groups) + "," + frac + NBSP + "kr"
