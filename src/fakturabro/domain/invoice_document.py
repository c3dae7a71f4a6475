"""What a Swedish invoice must say, in the words it must say it (mervärdesskattelagen (2023:200) 17 kap.,
Skatteverket's rules for husavdrag invoices). The document adapter (``fakturabro.documents``) lays it out.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal

from fakturabro.domain.money import ZERO, percent_of, to_ore

F_SKATT_TEXT = "Godkänd för F-skatt"
REVERSE_CHARGE_NOTE = (
    "Omvänd betalningsskyldighet för byggtjänster enligt 16 kap. 13 § mervärdesskattelagen (2023:200). "
    "Köparen redovisar och betalar momsen."
)
HUSAVDRAG_PRELIMINARY_NOTE = (
    "Skattereduktionen är preliminär. Vi begär utbetalning från Skatteverket. Om Skatteverket helt eller delvis "
    "inte godkänner begäran, faktureras köparen det belopp som inte betalas ut."
)
DRAFT_TITLE = "Utkast"


def title(*, is_credit: bool, is_draft: bool) -> str:
    kind = "Kreditfaktura" if is_credit else "Faktura"
    return f"{DRAFT_TITLE} – {kind.lower()}" if is_draft else kind


def credit_note(credited_number: int | None, reason: str | None) -> str:
    """A credit invoice names the invoice it credits (17 kap. 24 § on changed invoices)."""
    text = f"Krediterar faktura {credited_number}." if credited_number else "Kreditfaktura."
    return f"{text} Orsak: {reason}" if reason else text


def draft_note() -> str:
    return "Utkast – inte en faktura. Fakturanummer och OCR-nummer får fakturan när den godkänns."


def base_and_vat_by_rate(
    rows: Iterable[tuple[Decimal, Decimal]], vat_by_rate: dict[Decimal, Decimal]
) -> list[tuple[Decimal, Decimal, Decimal]]:
    """(rate, base, VAT) per VAT rate, highest rate first, from the priced rows' (rate, net)."""
    base: dict[Decimal, Decimal] = defaultdict(lambda: ZERO)
    for rate, net in rows:
        base[rate] += net
    return [(rate, base[rate], vat_by_rate.get(rate, ZERO)) for rate in sorted(base, reverse=True)]


def gross(net: Decimal, rate: Decimal, *, reverse_charge: bool) -> Decimal:
    """A row's amount incl. VAT, as husavdrag invoices state labour, material and other costs."""
    return net if reverse_charge else to_ore(net + percent_of(net, rate))
