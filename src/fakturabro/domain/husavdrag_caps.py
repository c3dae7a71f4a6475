"""The yearly caps on a buyer's husavdrag, and how much of them a buyer has used.

Per person and year (shared/tax/SWEDISH-TAX-RULES.md §0, §1.1, §2): ROT at most its own cap (50 000 kr; 75 000 kr
in the second half of 2024), ROT and RUT together at most the combined cap (75 000 kr; 150 000 kr with the 2024
second-half split caps), grön teknik 50 000 kr on its own. The caps are dated data: ROT's, RUT's and grön teknik's
are the ones in `RATE_PERIODS`, the combined one is ``COMBINED_CAPS`` below. A year's caps are those in force on its
last day (2024: the separate caps of the second half). The company cannot see what the buyer used elsewhere; these
figures count the invoices made here.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from fakturabro.domain.husavdrag import RATE_PERIODS, HusavdragKind, RatePeriod, rate_for
from fakturabro.domain.money import ZERO, format_sek


@dataclass(frozen=True)
class CombinedCap:
    start: date
    end: date | None
    amount: Decimal

    def covers(self, day: date) -> bool:
        return self.start <= day and (self.end is None or day <= self.end)


COMBINED_CAPS: tuple[CombinedCap, ...] = (
    CombinedCap(date(2021, 1, 1), date(2024, 6, 30), Decimal(75000)),
    CombinedCap(date(2024, 7, 1), date(2024, 12, 31), Decimal(150000)),  # prop. 2023/24:86: 75 000 + 75 000
    CombinedCap(date(2025, 1, 1), None, Decimal(75000)),
)


@dataclass(frozen=True)
class YearCaps:
    year: int
    rot: Decimal
    rot_and_rut: Decimal
    green: Decimal


def caps_for(
    year: int, periods: Sequence[RatePeriod] = RATE_PERIODS, combined: Sequence[CombinedCap] = COMBINED_CAPS
) -> YearCaps:
    last_day = date(year, 12, 31)
    together = next((cap.amount for cap in combined if cap.covers(last_day)), None)
    if together is None:
        raise LookupError(f"Inget tak för ROT och RUT är känt för {year}")
    return YearCaps(
        year=year,
        rot=rate_for("rot", last_day, periods).cap_per_person,
        rot_and_rut=together,
        green=rate_for("solceller", last_day, periods).cap_per_person,
    )


@dataclass(frozen=True)
class BuyerUse:
    """One invoice's husavdrag for one buyer in one year (approved once decided, else what the invoice deducted)."""

    buyer: str  # personnummer, 12 digits
    year: int
    kind: HusavdragKind
    amount: Decimal
    invoice_id: int


@dataclass(frozen=True)
class BuyerYear:
    buyer: str
    year: int
    rot: Decimal
    rut: Decimal
    green: Decimal
    caps: YearCaps

    @property
    def rot_left(self) -> Decimal:
        return max(ZERO, min(self.caps.rot - self.rot, self.caps.rot_and_rut - self.rot - self.rut))

    @property
    def rut_left(self) -> Decimal:
        return max(ZERO, self.caps.rot_and_rut - self.rot - self.rut)

    @property
    def green_left(self) -> Decimal:
        return max(ZERO, self.caps.green - self.green)

    @property
    def over_cap(self) -> bool:
        caps = self.caps
        return self.rot > caps.rot or self.rot + self.rut > caps.rot_and_rut or self.green > caps.green


def buyer_years(uses: Iterable[BuyerUse]) -> list[BuyerYear]:
    """Each buyer's use per year, sorted by year (newest first) and buyer."""
    totals: dict[tuple[str, int], dict[HusavdragKind, Decimal]] = {}
    for use in uses:
        kinds = totals.setdefault((use.buyer, use.year), {})
        kinds[use.kind] = kinds.get(use.kind, ZERO) + use.amount
    found = [
        BuyerYear(
            buyer=buyer,
            year=year,
            rot=kinds.get(HusavdragKind.ROT, ZERO),
            rut=kinds.get(HusavdragKind.RUT, ZERO),
            green=kinds.get(HusavdragKind.GREEN, ZERO),
            caps=caps_for(year),
        )
        for (buyer, year), kinds in totals.items()
    ]
    return sorted(found, key=lambda item: (-item.year, item.buyer))


def cap_warning(
    masked_buyer: str, kind: HusavdragKind, year: int, earlier: BuyerYear | None, this_invoice: Decimal
) -> str | None:
    """The warning before approval when ``this_invoice``'s reduction for the buyer would go over a cap of ``year``,
    given the buyer's ``earlier`` invoices here; None when it fits."""
    caps = caps_for(year)
    before = earlier or BuyerYear("", year, ZERO, ZERO, ZERO, caps)
    room = {HusavdragKind.ROT: before.rot_left, HusavdragKind.RUT: before.rut_left}.get(kind, before.green_left)
    if this_invoice <= room:
        return None
    used = {HusavdragKind.ROT: before.rot, HusavdragKind.RUT: before.rut}.get(kind, before.green)
    which = "ROT och RUT tillsammans" if kind is not HusavdragKind.GREEN and room < _own_room(kind, before) else None
    cap_text = which or kind.label
    return (
        f"Köparen {masked_buyer} har redan {format_sek(used)} {kind.label} {year} på andra fakturor här; med den här "
        f"fakturans {format_sek(this_invoice)} går det över taket för {cap_text}. Skatteverket betalar högst "
        f"{format_sek(room)} av den; resten får köparen betala."
    )


def _own_room(kind: HusavdragKind, before: BuyerYear) -> Decimal:
    if kind is HusavdragKind.ROT:
        return before.caps.rot - before.rot
    return before.caps.rot_and_rut - before.rut
