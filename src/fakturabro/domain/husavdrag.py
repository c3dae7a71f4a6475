"""Husavdrag: the tax reductions a private buyer gets on the invoice for ROT, RUT and grön teknik.

The performing company deducts the reduction on the invoice and claims it from Skatteverket afterwards.
Rates and caps change by law (ROT was 50 % for payments 12 May–31 Dec 2025), so they are dated data in
``RATE_PERIODS``, looked up by date, never constants inside the computation.

Base of the reduction (shared/tax/SWEDISH-TAX-RULES.md §1–2):
- ROT and RUT: labour cost including VAT, on rows of kind labour with a ROT/RUT work type.
- Grön teknik: labour and material including VAT, on rows marked with a green installation type, each
  type at its own rate (solar cells 15 %, battery storage and charging points 50 % in 2026).
Several buyers (shared/tax/SWEDISH-TAX-RULES.md §1.5, §3.2): each buyer is a separate ärende in Skatteverket's
claim file with his or her own labour cost (``PrisForArbete``, whole kronor) and requested amount, and the
e-tjänst refuses an ärende whose requested amount exceeds the rate times its labour cost. So the invoice splits the
base first — each buyer's share of it, in whole kronor by the largest remainder (`split_whole_kronor`), exactly the
amounts the claim file reports — and each buyer's part is the rate times the smaller of that whole-krona amount
and the exact share, rounded down to whole kronor, then capped at the yearly cap. No buyer ever gets more than the
rate times his or her share of the labour; the invoice deducts the sum of the parts, which is therefore exactly
what the claim requests (33/33/34 % of 6 250 kr labour at 30 %: 618 + 618 + 637 = 1 873 kr, not 619/619/637).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import TYPE_CHECKING

from fakturabro.domain.money import ZERO, floor_kronor, percent_of

if TYPE_CHECKING:
    from fakturabro.domain.invoice import InvoiceContent


class HusavdragKind(StrEnum):
    ROT = "rot"
    RUT = "rut"
    GREEN = "green"  # grön teknik

    @property
    def label(self) -> str:
        return {"rot": "ROT-avdrag", "rut": "RUT-avdrag", "green": "Grön teknik"}[self.value]


class HouseWorkType(StrEnum):
    """Work categories as Skatteverket names them (the claim file's ``UtfortArbete`` elements)."""

    # ROT
    BYGG = "bygg"
    EL = "el"
    GLAS_PLATARBETE = "glas_platarbete"
    MARK_DRANERINGSARBETE = "mark_draneringsarbete"
    MURNING = "murning"
    MALNING_TAPETSERING = "malning_tapetsering"
    VVS = "vvs"
    # RUT
    STADNING = "stadning"
    KLAD_OCH_TEXTILVARD = "klad_och_textilvard"
    SNOSKOTTNING = "snoskottning"
    TRADGARDSARBETE = "tradgardsarbete"
    BARNPASSNING = "barnpassning"
    PERSONLIG_OMSORG = "personlig_omsorg"
    FLYTTJANSTER = "flyttjanster"
    IT_TJANSTER = "it_tjanster"
    REPARATION_AV_VITVAROR = "reparation_av_vitvaror"
    MOBLERING = "moblering"
    TILLSYN_AV_BOSTAD = "tillsyn_av_bostad"
    TRANSPORT_TILL_FORSALJNING = "transport_till_forsaljning"
    TVATT_VID_TVATTINRATTNING = "tvatt_vid_tvattinrattning"
    # Grön teknik
    SOLCELLER = "solceller"
    ENERGILAGRING = "energilagring"
    LADDPUNKT = "laddpunkt"

    @property
    def kind(self) -> HusavdragKind:
        if self in _ROT_TYPES:
            return HusavdragKind.ROT
        if self in _GREEN_TYPES:
            return HusavdragKind.GREEN
        return HusavdragKind.RUT


_ROT_TYPES = frozenset(
    {
        HouseWorkType.BYGG,
        HouseWorkType.EL,
        HouseWorkType.GLAS_PLATARBETE,
        HouseWorkType.MARK_DRANERINGSARBETE,
        HouseWorkType.MURNING,
        HouseWorkType.MALNING_TAPETSERING,
        HouseWorkType.VVS,
    }
)
_GREEN_TYPES = frozenset({HouseWorkType.SOLCELLER, HouseWorkType.ENERGILAGRING, HouseWorkType.LADDPUNKT})


@dataclass(frozen=True)
class RatePeriod:
    """One scheme's rate and yearly cap per buyer, for payments from ``start`` to ``end`` inclusive."""

    scheme: str  # "rot", "rut", or a green HouseWorkType value
    start: date
    end: date | None
    percent: Decimal
    cap_per_person: Decimal

    def covers(self, day: date) -> bool:
        return self.start <= day and (self.end is None or day <= self.end)


def _period(scheme: str, start: str, end: str | None, percent: str, cap: str) -> RatePeriod:
    return RatePeriod(
        scheme,
        date.fromisoformat(start),
        date.fromisoformat(end) if end else None,
        Decimal(percent),
        Decimal(cap),
    )


# Sources: shared/tax/SWEDISH-TAX-RULES.md §0, §1.1, §2. Re-check against skatteverket.se every tax year.
RATE_PERIODS: tuple[RatePeriod, ...] = (
    _period("rot", "2021-01-01", "2024-06-30", "30", "50000"),
    _period("rot", "2024-07-01", "2024-12-31", "30", "75000"),  # prop. 2023/24:86, separate caps
    _period("rot", "2025-01-01", "2025-05-11", "30", "50000"),
    _period("rot", "2025-05-12", "2025-12-31", "50", "50000"),  # prop. 2024/25:156, temporary raise
    _period("rot", "2026-01-01", None, "30", "50000"),
    _period("rut", "2021-01-01", None, "50", "75000"),
    _period("solceller", "2021-01-01", "2022-12-31", "15", "50000"),
    _period("solceller", "2023-01-01", "2025-06-30", "20", "50000"),  # prop. 2022/23:15
    _period("solceller", "2025-07-01", None, "15", "50000"),  # prop. 2024/25:109
    _period("energilagring", "2021-01-01", None, "50", "50000"),
    _period("laddpunkt", "2021-01-01", None, "50", "50000"),
)


class NoRateForDate(LookupError):
    """No husavdrag rate is known for the scheme on that date (before 2021, or a gap in the table)."""


def rate_for(scheme: str, day: date, periods: Sequence[RatePeriod] = RATE_PERIODS) -> RatePeriod:
    for period in periods:
        if period.scheme == scheme and period.covers(day):
            return period
    raise NoRateForDate(f"Inget skatteavdrag för {scheme} är känt för {day.isoformat()}")


def scheme_of(work_type: HouseWorkType) -> str:
    """ROT and RUT have one rate for all their work types; each green installation type has its own."""
    kind = work_type.kind
    return work_type.value if kind is HusavdragKind.GREEN else kind.value


@dataclass(frozen=True)
class DeductionBase:
    """An amount incl. VAT that the reduction is computed on, with the work type it belongs to."""

    work_type: HouseWorkType
    amount_incl_vat: Decimal


@dataclass(frozen=True)
class Deduction:
    total: Decimal
    per_person: tuple[Decimal, ...]
    uncapped: Decimal


def compute_deduction(
    bases: Sequence[DeductionBase],
    shares: Sequence[Decimal],
    day: date,
    periods: Sequence[RatePeriod] = RATE_PERIODS,
) -> Deduction:
    """The reduction for one invoice: rate × each buyer's share of the base per scheme, capped per person.

    See the module docstring for the split: per buyer the rate × min(whole-krona share, exact share), rounded down.
    ``uncapped`` is the whole invoice's rate × base rounded down (what one buyer alone would get without a cap).
    """
    by_scheme: dict[str, Decimal] = {}
    for base in bases:
        scheme = scheme_of(base.work_type)
        by_scheme[scheme] = by_scheme.get(scheme, ZERO) + base.amount_incl_vat
    periods_by_scheme = {scheme: rate_for(scheme, day, periods) for scheme in by_scheme}
    uncapped = sum(
        (percent_of(amount, periods_by_scheme[scheme].percent) for scheme, amount in by_scheme.items()), ZERO
    )
    if not shares or uncapped <= 0:
        return Deduction(ZERO, tuple(ZERO for _ in shares), ZERO)
    cap = min(period.cap_per_person for period in periods_by_scheme.values())
    allowed = [ZERO for _ in shares]
    for scheme, amount in by_scheme.items():
        percent = periods_by_scheme[scheme].percent
        for index, part in enumerate(buyer_bases(amount, shares)):
            allowed[index] += percent_of(part, percent)
    per_person = tuple(min(floor_kronor(value), cap) for value in allowed)
    return Deduction(sum(per_person, ZERO), per_person, floor_kronor(uncapped))


def buyer_bases(amount: Decimal, shares: Sequence[Decimal]) -> list[Decimal]:
    """Each buyer's part of a base for the reduction: the smaller of the whole-krona split (what the claim file
    reports as the buyer's labour cost) and the exact share, so neither the file nor the share is exceeded."""
    whole = split_whole_kronor(floor_kronor(amount), shares)
    return [min(part, amount * share / Decimal(100)) for part, share in zip(whole, shares, strict=True)]


def split_whole_kronor(total: Decimal, shares: Sequence[Decimal]) -> list[Decimal]:
    """``total`` (whole kronor) split by ``shares`` (percent) in whole kronor by the largest remainder, so the parts
    add up to ``total``; ties go to the earlier buyer."""
    exact = [total * share / Decimal(100) for share in shares]
    parts = [floor_kronor(value) for value in exact]
    leftover = int(total - sum(parts, ZERO))
    by_remainder = sorted(range(len(shares)), key=lambda i: (exact[i] - parts[i], -i), reverse=True)
    for i in by_remainder[:leftover]:
        parts[i] += 1
    return parts


# --- the payment date decides -------------------------------------------------------------------------------
#
# Skatteverket applies the rate and cap in force on the buyer's payment date (shared/tax/SWEDISH-TAX-RULES.md
# §1.1), but an invoice can only be priced at its invoice date. An invoice dated 20 Dec 2025 with ROT at 50 %
# and paid on 8 Jan 2026 gets 30 %: the company claims less and invoices the buyer the difference.


@dataclass(frozen=True)
class RateShift:
    """One scheme whose rate differs between the invoice date and the payment date."""

    scheme: str
    invoiced_percent: Decimal
    paid_percent: Decimal

    @property
    def label(self) -> str:
        """The scheme in Swedish, definite form: "ROT-avdraget", "grön teknik för solceller"."""
        if self.scheme in (HusavdragKind.ROT.value, HusavdragKind.RUT.value):
            return f"{HusavdragKind(self.scheme).label}et"
        return _green_name(self.scheme)


@dataclass(frozen=True)
class DeductionAtPayment:
    """Husavdrag as the invoice deducted it (invoice date) and as Skatteverket pays it (payment date).

    ``difference`` is what the buyer still owes the company (negative: the buyer was given too little).
    """

    invoice_date: date
    payment_date: date
    invoiced: Deduction
    at_payment: Deduction
    rate_shifts: tuple[RateShift, ...]

    @property
    def difference(self) -> Decimal:
        return self.invoiced.total - self.at_payment.total

    @property
    def difference_by_person(self) -> tuple[Decimal, ...]:
        return tuple(a - b for a, b in zip(self.invoiced.per_person, self.at_payment.per_person, strict=True))


def deduction_at_payment(
    bases: Sequence[DeductionBase],
    shares: Sequence[Decimal],
    invoice_date: date,
    payment_date: date,
    periods: Sequence[RatePeriod] = RATE_PERIODS,
) -> DeductionAtPayment:
    """The reduction priced at both dates with `compute_deduction` (same split, rounding and caps).

    Raises `NoRateForDate` when either date has no rate for one of the bases' schemes.
    """
    return DeductionAtPayment(
        invoice_date=invoice_date,
        payment_date=payment_date,
        invoiced=compute_deduction(bases, shares, invoice_date, periods),
        at_payment=compute_deduction(bases, shares, payment_date, periods),
        rate_shifts=rate_shifts(bases, invoice_date, payment_date, periods),
    )


def husavdrag_at_payment(
    content: InvoiceContent, payment_date: date, periods: Sequence[RatePeriod] = RATE_PERIODS
) -> DeductionAtPayment | None:
    """`deduction_at_payment` for an invoice's content as `compute_totals` takes it (None without husavdrag).

    Amounts are positive also for a credit invoice; it is the original's payment that counts.
    """
    # domain/invoice.py builds on this module, so its base rule is imported when called, not at import time.
    from fakturabro.domain.invoice import deduction_bases

    claim = content.husavdrag
    if claim is None:
        return None
    shares = [person.share for person in claim.persons]
    return deduction_at_payment(deduction_bases(content), shares, content.invoice_date, payment_date, periods)


def rate_shifts(
    bases: Sequence[DeductionBase], invoice_date: date, payment_date: date, periods: Sequence[RatePeriod] = RATE_PERIODS
) -> tuple[RateShift, ...]:
    """The schemes among ``bases`` whose rate on ``payment_date`` differs from the one on ``invoice_date``."""
    schemes = dict.fromkeys(scheme_of(base.work_type) for base in bases)
    shifts = []
    for scheme in schemes:
        invoiced = rate_for(scheme, invoice_date, periods).percent
        paid = rate_for(scheme, payment_date, periods).percent
        if invoiced != paid:
            shifts.append(RateShift(scheme, invoiced, paid))
    return tuple(shifts)


def rate_change_notice(invoice_number: int | str | None, check: DeductionAtPayment) -> str:
    """What the payment import tells the user when the payment date changed the reduction (no personnummer)."""
    which = f"Faktura {invoice_number}" if invoice_number is not None else "Fakturan"
    paid = f"{which} betalades {check.payment_date.isoformat()}"
    rates = _rates_text(check.rate_shifts)
    head = f"{paid}, {rates}." if rates else f"{paid}, då andra tak för skattereduktionen gäller."
    allowed = _kronor(check.at_payment.total)
    if check.difference > 0:
        return (
            f"{head} Skatteverket betalar högst {allowed}; "
            f"fakturera kunden mellanskillnaden {_kronor(check.difference)}."
        )
    if check.difference == 0:
        return f"{head} Skatteverket betalar ändå {allowed}, som fakturan drog av."
    return (
        f"{head} Skatteverket medger {_kronor(-check.difference)} mer än fakturan drog av; "
        "kreditera kunden det om du begär mer."
    )


def paid_on_warning(
    invoice_number: int | str | None,
    content: InvoiceContent,
    payment_date: date,
    periods: Sequence[RatePeriod] = RATE_PERIODS,
) -> str | None:
    """`rate_change_notice` for an invoice paid on ``payment_date`` when Skatteverket pays another amount than the
    invoice deducted; None otherwise (also when no rate is known for the payment date)."""
    try:
        check = husavdrag_at_payment(content, payment_date, periods)
    except NoRateForDate:
        return None
    if check is None or check.difference == ZERO:
        return None
    return rate_change_notice(invoice_number, check)


def payment_today_warning(
    content: InvoiceContent, today: date, periods: Sequence[RatePeriod] = RATE_PERIODS
) -> str | None:
    """The warning for an unpaid invoice whose invoice date gives another husavdrag rate than a payment today.

    The invoice stays priced at its invoice date (a back-dated invoice is the user's choice); the warning only
    says what Skatteverket will pay if the buyer pays now. None without husavdrag, or when the invoice date has no
    rate at all (validation reports that as an error).
    """
    try:
        check = husavdrag_at_payment(content, today, periods)
    except NoRateForDate:
        return None
    return backdated_warning(check) if check is not None else None


def backdated_warning(check: DeductionAtPayment) -> str | None:
    """A warning for an invoice whose invoice date gives another rate than a payment today would (the invoice
    stays priced at its invoice date: that is the user's choice); None when the rates agree."""
    if not check.rate_shifts:
        return None
    parts = [
        f"{_percent(shift.invoiced_percent)} {_short(shift.scheme)} men betalas fakturan i dag gäller "
        f"{_percent(shift.paid_percent)}"
        for shift in check.rate_shifts
    ]
    text = "Fakturadatumet ger " + "; ".join(parts) + "."
    if check.difference > 0:
        text += (
            f" Skatteverket betalar då högst {_kronor(check.at_payment.total)} i stället för "
            f"{_kronor(check.invoiced.total)}, och kunden ska betala mellanskillnaden {_kronor(check.difference)}."
        )
    return text


def _rates_text(shifts: Sequence[RateShift]) -> str:
    return ", ".join(
        f"då {shift.label} är {_percent(shift.paid_percent)} (fakturan: {_percent(shift.invoiced_percent)})"
        for shift in shifts
    )


def _short(scheme: str) -> str:
    if scheme in (HusavdragKind.ROT.value, HusavdragKind.RUT.value):
        return scheme.upper()
    return _green_name(scheme)


def _green_name(scheme: str) -> str:
    return "grön teknik för " + {"laddpunkt": "laddpunkter"}.get(scheme, scheme)


def _percent(value: Decimal) -> str:
    return f"{value.normalize():f}".replace(".", ",") + "\u00a0%"


def _kronor(amount: Decimal) -> str:
    """Whole kronor as on the claim: ``12 300 kr`` (non-breaking spaces)."""
    digits = f"{abs(amount).quantize(Decimal(1)):f}"
    groups: list[str] = []
    while digits:
        groups.insert(0, digits[-3:])
        digits = digits[:-3]
    return ("-" if amount < 0 else "") + "\u00a0".join(groups) + "\u00a0kr"
