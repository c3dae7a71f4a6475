"""Numbers and words the Swedish way, for every page and message: decimal comma, one minus sign (−, U+2212, never
the hyphen), prices with öre, and the singular or plural of a noun by its count.

Amounts in kronor are ``money.format_sek``; it uses the same minus sign.
"""

from __future__ import annotations

from decimal import Decimal

MINUS = "\u2212"
NBSP = "\u00a0"


def format_number(value: Decimal) -> str:
    """A quantity or a percentage: ``1,5``, ``25``, ``−0,25`` (no trailing zeros, no grouping)."""
    text = f"{abs(value).normalize():f}".replace(".", ",")
    return (MINUS if value < 0 else "") + text


def format_price(value: Decimal) -> str:
    """A unit price: always its öre (``129,50``, ``650,00``), more decimals only when it has them (``0,125``)."""
    shown = value.quantize(Decimal("0.01")) if value == value.quantize(Decimal("0.01")) else value.normalize()
    text = f"{abs(shown):f}".replace(".", ",")
    return (MINUS if value < 0 else "") + text


def plural(count: int, one: str, many: str) -> str:
    """``1 faktura``, ``2 fakturor``, ``0 fakturor``: the count and the noun that agrees with it."""
    return f"{count} {one if count == 1 else many}"


def read_minus(text: str) -> str:
    """What a user types or copies back from a page: the minus sign read as the hyphen Python parses."""
    return text.replace(MINUS, "-")
