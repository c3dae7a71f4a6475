"""Husavdrag claims ("begäran om utbetalning"): which paid invoices Skatteverket is asked to pay, for how much.

The company gets the reduction it deducted on the invoice from Skatteverket only after a claim for invoices the
buyer has paid (shared/tax/SWEDISH-TAX-RULES.md §3). One claim holds one kind (ROT, RUT or grön teknik) and
payments of one year; each buyer of each invoice is one *ärende* with whole-krona amounts:

- ``labour`` (``PrisForArbete``): the buyer's part of the labour incl. VAT, the whole-krona split of the
  invoice's labour that `compute_deduction` used, so the requested amount never exceeds the rate × labour;
- ``requested`` (``BegartBelopp``): what the invoice deducted for the buyer, but never more than Skatteverket
  pays at the payment date (the rate follows the payment date, §1.1);
- ``paid`` (``BetaltBelopp``): what the buyer paid for the labour, ``labour − requested`` on a paid invoice;
- hours, material and other costs split between the buyers like the labour (Skatteverket names no rule for
  several buyers, §1.5; the proportional split keeps the invoice's totals).

Grön teknik is claimed in its own e-tjänst, one installation type per ärende, on labour and material (§2, §3.4).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

from fakturabro.domain.husavdrag import (
    RATE_PERIODS,
    HouseWorkType,
    HusavdragKind,
    NoRateForDate,
    RatePeriod,
    compute_deduction,
    split_whole_kronor,
)
from fakturabro.domain.identity import InvalidIdentityNumber, normalize_orgnr, normalize_personnummer
from fakturabro.domain.invoice import (
    HusavdragClaim,
    HusavdragPerson,
    InvoiceContent,
    RowKind,
    deduction_bases,
    row_gross,
)
from fakturabro.domain.money import ZERO, floor_kronor

MAX_CASES_PER_FILE = 100  # Skatteverket's import rule (§1.4/§3.2)
MAX_HOURS = 999  # AntalTimmar in the XSD
MIN_LABOUR = 2  # PrisForArbete's minimum in the XSD
SCHABLON_TYPES = frozenset({HouseWorkType.TRANSPORT_TILL_FORSALJNING, HouseWorkType.TVATT_VID_TVATTINRATTNING})


class ClaimState(StrEnum):
    """Where an invoice's husavdrag is on its way to Skatteverket's payout."""

    AWAITING_PAYMENT = "awaiting_payment"
    READY = "ready"
    REQUESTED = "requested"
    APPROVED = "approved"
    REFUSED = "refused"

    @property
    def label(self) -> str:
        return _STATE_LABELS[self]


_STATE_LABELS = {
    ClaimState.AWAITING_PAYMENT: "Väntar på betalning",
    ClaimState.READY: "Klar att begära",
    ClaimState.REQUESTED: "Begärd",
    ClaimState.APPROVED: "Godkänd",
    ClaimState.REFUSED: "Avslagen",
}


@dataclass(frozen=True)
class WorkDone:
    """One work category of one ärende (``UtfortArbete``): whole hours and material incl. VAT.

    A schablon service (RUT transport to sale, laundry) is reported as done, without hours or material."""

    work_type: HouseWorkType
    hours: int
    material: int

    @property
    def is_schablon(self) -> bool:
        return self.work_type in SCHABLON_TYPES


@dataclass(frozen=True)
class ClaimCase:
    """One buyer of one invoice: an ``Arenden`` of the claim file. Amounts in whole kronor."""

    buyer: str  # personnummer, 12 digits
    payment_date: date
    labour: int
    paid: int
    requested: int
    invoice_number: str | None = None
    other_costs: int = 0
    property_designation: str | None = None
    apartment_number: str | None = None
    housing_coop_org_number: str | None = None  # 12 digits, "16" + the org number, as Skatteverket's sample
    work: tuple[WorkDone, ...] = ()


@dataclass(frozen=True)
class ClaimFileContent:
    """What one claim file says: its name (1–16 characters), its kind (ROT or RUT) and the ärenden."""

    kind: HusavdragKind
    name: str
    cases: tuple[ClaimCase, ...]


@dataclass(frozen=True)
class ClaimableInvoice:
    """An invoice as a claim sees it (personnummer in clear text: built only to make the file)."""

    invoice_id: int
    number: int | None
    content: InvoiceContent
    status: str
    to_pay: Decimal
    paid: Decimal
    last_payment_date: date | None
    credited: bool = False
    in_claim: int | None = None  # the claim it is already in
    claimed_in_visma: bool = False


@dataclass(frozen=True)
class Refusal:
    invoice_id: int
    message: str
    code: str


@dataclass(frozen=True)
class InvoiceClaim:
    """An invoice's part of a claim: its ärenden and the amounts per buyer."""

    invoice_id: int
    payment_date: date
    cases: tuple[ClaimCase, ...]

    @property
    def requested(self) -> int:
        return sum(case.requested for case in self.cases)


@dataclass(frozen=True)
class ClaimPlan:
    """A claim that may be made (``refusals`` empty) or the reason per invoice why not."""

    kind: HusavdragKind
    year: int | None
    invoices: tuple[InvoiceClaim, ...] = ()
    refusals: tuple[Refusal, ...] = field(default_factory=tuple)


def plan_claim(
    kind: HusavdragKind, invoices: Sequence[ClaimableInvoice], periods: Sequence[RatePeriod] = RATE_PERIODS
) -> ClaimPlan:
    """Check every invoice for the claim and build its ärenden; every refusal is listed, nothing is half made."""
    refusals: list[Refusal] = []
    built: list[InvoiceClaim] = []
    for invoice in invoices:
        reason = refusal_of(kind, invoice)
        if reason is not None:
            refusals.append(Refusal(invoice.invoice_id, *reason))
            continue
        try:
            built.append(invoice_claim(invoice, periods))
        except ClaimNotPossible as error:
            refusals.append(Refusal(invoice.invoice_id, error.message, error.code))
    year = _year(built)
    for item in built:
        if year is not None and item.payment_date.year != year:
            refusals.append(
                Refusal(
                    item.invoice_id,
                    f"Fakturan betalades {item.payment_date.year}; en begäran får bara ha betalningar från ett år "
                    f"({year}). Gör en egen begäran för {item.payment_date.year}.",
                    "other_payment_year",
                )
            )
    cases = sum(len(item.cases) for item in built)
    if kind is not HusavdragKind.GREEN and cases > MAX_CASES_PER_FILE:
        refusals.extend(
            Refusal(
                item.invoice_id,
                f"En begäran får ha högst {MAX_CASES_PER_FILE} köpare; de valda fakturorna har {cases}. "
                "Dela upp dem på flera begäranden.",
                "too_many_buyers",
            )
            for item in built
        )
    if refusals:
        return ClaimPlan(kind, year, (), tuple(sorted(refusals, key=lambda r: r.invoice_id)))
    return ClaimPlan(kind, year, tuple(built))


def _year(built: Sequence[InvoiceClaim]) -> int | None:
    """The year most of the invoices were paid in (the earliest on a tie): the others are the odd ones out."""
    counts: dict[int, int] = {}
    for item in built:
        counts[item.payment_date.year] = counts.get(item.payment_date.year, 0) + 1
    if not counts:
        return None
    return min(counts, key=lambda year: (-counts[year], year))


def refusal_of(kind: HusavdragKind, invoice: ClaimableInvoice) -> tuple[str, str] | None:
    """Why the invoice cannot be in a claim of ``kind`` (Swedish message, code); None when it can."""
    claim = invoice.content.husavdrag
    which = f"Faktura {invoice.number}" if invoice.number is not None else "Fakturan"
    if invoice.content.is_credit:
        return f"{which} är en kreditfaktura; begär husavdrag för originalfakturan.", "credit_invoice"
    if claim is None:
        return f"{which} har inget husavdrag.", "no_husavdrag"
    if claim.kind is not kind:
        return (
            f"{which} har {claim.kind.label}, inte {kind.label}: en begäran har bara en sorts avdrag.",
            "other_kind",
        )
    if invoice.in_claim is not None:
        return f"{which} finns redan i begäran {invoice.in_claim}.", "already_claimed"
    if invoice.claimed_in_visma:
        return (
            f"{which} är exporterad till Visma eEkonomi, där skattereduktionen begärs. Välj att begära i fakturabro "
            "under Husavdrag om du hellre gör det här.",
            "claimed_in_visma",
        )
    if invoice.credited:
        return f"{which} är krediterad; begär inte husavdrag för den.", "credited"
    if invoice.status != "paid" or invoice.last_payment_date is None or invoice.paid < invoice.to_pay:
        return (
            f"{which} är inte betald i sin helhet. Skatteverket betalar bara för det köparen har betalat.",
            "not_paid",
        )
    return None


class ClaimNotPossible(Exception):
    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


def invoice_claim(invoice: ClaimableInvoice, periods: Sequence[RatePeriod] = RATE_PERIODS) -> InvoiceClaim:
    """The ärenden of one paid invoice, one per buyer. Raises `ClaimNotPossible` with the reason."""
    content = invoice.content
    claim = content.husavdrag
    assert claim is not None
    assert invoice.last_payment_date is not None
    paid_on = invoice.last_payment_date
    shares = [person.share for person in claim.persons]
    bases = deduction_bases(content)
    try:
        invoiced = compute_deduction(bases, shares, content.invoice_date, periods)
        at_payment = compute_deduction(bases, shares, paid_on, periods)
    except NoRateForDate as error:
        raise ClaimNotPossible(str(error), "no_rate_for_date") from None
    requested = [int(min(a, b)) for a, b in zip(invoiced.per_person, at_payment.per_person, strict=True)]
    labour_total = floor_kronor(sum((base.amount_incl_vat for base in bases), ZERO))
    labour = [int(part) for part in split_whole_kronor(labour_total, shares)]
    found = _breakdown(content)
    work = _work_by_buyer(found, shares)
    other = [int(part) for part in split_whole_kronor(_whole(found.other), shares)]
    buyers = _buyers(claim.persons, invoice.number)
    property_fields = _property(claim)
    cases = []
    for index, buyer in enumerate(buyers):
        if labour[index] < MIN_LABOUR:
            raise ClaimNotPossible(
                f"Faktura {invoice.number}: arbetskostnaden för köpare {index + 1} är under {MIN_LABOUR} kr.",
                "labour_too_small",
            )
        for done in work[index]:
            if done.hours > MAX_HOURS:
                raise ClaimNotPossible(
                    f"Faktura {invoice.number}: mer än {MAX_HOURS} timmar för en köpare i en arbetstyp; "
                    "Skatteverket tar högst 999.",
                    "too_many_hours",
                )
        cases.append(
            ClaimCase(
                buyer=buyer,
                payment_date=paid_on,
                labour=labour[index],
                paid=labour[index] - requested[index],
                requested=requested[index],
                invoice_number=str(invoice.number) if invoice.number is not None else None,
                other_costs=other[index],
                work=work[index],
                **property_fields,
            )
        )
    return InvoiceClaim(invoice.invoice_id, paid_on, tuple(cases))


def _buyers(persons: Sequence[HusavdragPerson], number: int | None) -> list[str]:
    buyers = []
    for person in persons:
        try:
            buyers.append(normalize_personnummer(person.personal_number))
        except InvalidIdentityNumber:
            raise ClaimNotPossible(
                f"Faktura {number}: en köpares personnummer är ogiltigt; rätta det på fakturan.", "invalid_buyer"
            ) from None
    return buyers


def _property(claim: HusavdragClaim) -> dict[str, str | None]:
    if claim.kind is HusavdragKind.RUT:
        return {}
    if claim.housing_coop_org_number:
        return {
            "apartment_number": (claim.apartment_number or "").strip() or None,
            "housing_coop_org_number": "16" + normalize_orgnr(claim.housing_coop_org_number).replace("-", ""),
        }
    return {"property_designation": (claim.property_designation or "").strip() or None}


def _whole(amount: Decimal) -> Decimal:
    return amount.quantize(Decimal(1), rounding=ROUND_HALF_UP).quantize(ZERO)


@dataclass
class _Breakdown:
    """An invoice's rows sorted the way the claim file reports them (amounts incl. VAT)."""

    hours: dict[HouseWorkType, Decimal] = field(default_factory=dict)
    labour: dict[HouseWorkType, Decimal] = field(default_factory=dict)
    material: dict[HouseWorkType, Decimal] = field(default_factory=dict)
    other: Decimal = ZERO


def _breakdown(content: InvoiceContent) -> _Breakdown:
    """Labour and hours per work type, material per type, and the rest as other costs (``Ovrigkostnad``: travel,
    machines, waste, and material of schablon services). Material without a work type is reported with the
    category that has the most labour, as the XSD has material only per category."""
    claim = content.husavdrag
    assert claim is not None
    found = _Breakdown()
    untyped_material = ZERO
    for row in content.rows:
        if row.kind is RowKind.TEXT:
            continue
        gross = row_gross(row, content.reverse_charge)
        work_type = row.house_work_type if row.house_work_type and row.house_work_type.kind is claim.kind else None
        if row.kind is RowKind.LABOUR and work_type is not None:
            found.hours[work_type] = found.hours.get(work_type, ZERO) + (row.worked_hours or ZERO)
            found.labour[work_type] = found.labour.get(work_type, ZERO) + gross
        elif row.kind is RowKind.MATERIAL and work_type is not None and work_type not in SCHABLON_TYPES:
            found.material[work_type] = found.material.get(work_type, ZERO) + gross
        elif row.kind is RowKind.MATERIAL and work_type is None and claim.kind is not HusavdragKind.GREEN:
            untyped_material += gross
        else:
            found.other += gross
    hourly = [t for t in found.labour if t not in SCHABLON_TYPES]
    if untyped_material and hourly:
        target = max(hourly, key=lambda t: found.labour[t])
        found.material[target] = found.material.get(target, ZERO) + untyped_material
    else:
        found.other += untyped_material
    return found


def _work_by_buyer(found: _Breakdown, shares: Sequence[Decimal]) -> list[tuple[WorkDone, ...]]:
    """Hours and material per work category (in the schema's order), each split between the buyers like the
    labour: whole hours and kronor by the largest remainder, so the buyers' parts add up to the invoice's."""
    types = [t for t in HouseWorkType if t in found.labour or t in found.material]
    per_buyer: list[list[WorkDone]] = [[] for _ in shares]
    for work_type in types:
        if work_type in SCHABLON_TYPES:
            for buyer in per_buyer:
                buyer.append(WorkDone(work_type, 0, 0))
            continue
        split_hours = split_whole_kronor(_whole(found.hours.get(work_type, ZERO)), shares)
        split_material = split_whole_kronor(_whole(found.material.get(work_type, ZERO)), shares)
        for index, buyer in enumerate(per_buyer):
            buyer.append(WorkDone(work_type, int(split_hours[index]), int(split_material[index])))
    return [tuple(work) for work in per_buyer]
