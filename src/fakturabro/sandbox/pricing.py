"""Visma eEkonomi's invoice arithmetic and invoice rules, as the sandbox emulates them.

Pure functions on Visma-shaped dicts (PascalCase keys) and ``Decimal``s; no FastAPI, no state. The resource
modules call :func:`price_document` on every draft or invoice they store and turn :class:`PricingError`
into Visma's error body.

This is OUR READING of Visma (unconfirmed against the live service). Visma documents the fields, not the
arithmetic; the rules below follow the spec's field descriptions, NOTES.md and SWEDISH-TAX-RULES.md:

- Prices on the API side are always excluding VAT (``UnitPrice``), whatever ``IncludesVat`` says.
- Row amount (``AmountNoVat``/``Amount``) = Quantity × UnitPrice × (1 − DiscountPercentage), rounded to öre
  half away from zero. ``DiscountPercentage`` is a fraction 0–1 (the spec's ``minimum: 0, maximum: 1``).
  Text rows (``IsTextRow``) carry no amount.
- VAT per rate: the row's rate is the ``VatRatePercent`` (a fraction, 0.25) of the account coding of the
  row's article. Rows are summed per rate and the VAT is computed on each sum, then rounded to öre (half
  up). Rows flagged ``ReversedConstructionServicesVatFree`` (omvänd byggmoms) have no VAT.
- ``TotalRoundings``: the gross (net + VAT) is rounded to whole kronor half away from zero when the company's
  ``DomesticCurrencyRounding`` is 1 (HalfAwayFromZero, also the default); the difference is the rounding.
  ``TotalAmount`` is the rounded gross including VAT.
- Husavdrag (ROT/RUT, ``RotReducedInvoicingType`` 1/2): reduction = the company's
  ``CompanyRotRutSettings`` percent × the work-cost rows (``IsWorkCost``) including VAT, rounded DOWN to
  whole kronor, capped at the company's max amount (ROT: ``RotReducedInvoicingMaxAmount``, RUT:
  ``RutMaxAmountForPersBelow65Year``) × the number of ``Persons``.
- Grön teknik (``UsesGreenTechnology``): rows with ``GreenTechnologyType`` 1 solar cells (the company's
  ``SollarCellDiscountPercentage``, default 15 %), 2 battery storage 50 %, 3 charging point 50 %; base is
  the row amount (labour and material) including VAT; rounded down to whole kronor, capped at
  ``GreenTechnologyDeductionMaxAmount`` (default 50 000) × the number of ``Persons``. The reduction is
  reported in ``RotReducedInvoicingAmount`` as for ROT/RUT (the spec has no field of its own for it).
- ``Persons[].Amount``: when all are zero or missing the reduction is split evenly in whole kronor (the
  left-over kronor go one each to the first persons); otherwise they must add up to the reduction.
- A caller-given ``RotReducedInvoicingAmount`` may lower the reduction, never raise it above the computed one.
- Credit invoices (``IsCreditInvoice``) carry the sign on their rows (negative quantity or price) and must
  total below zero; rounding is symmetric (half away from zero, reductions towards zero).
- The amount the customer owes (``RemainingAmount`` on a new invoice) is ``TotalAmount`` minus the reduction.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from typing import Any

from stdnum.se import personnummer

ZERO = Decimal("0")
ORE = Decimal("0.01")
KRONA = Decimal("1")

ROT_RUT_NORMAL, ROT, RUT = 0, 1, 2
PROPERTY_APARTMENT, PROPERTY_HOUSE = 1, 2
GREEN_SOLAR, GREEN_BATTERY, GREEN_CHARGING_POINT = 1, 2, 3

DEFAULT_SOLAR_PERCENT = Decimal("0.15")
DEFAULT_GREEN_CAP = Decimal("50000")
GREEN_OTHER_PERCENT = Decimal("0.50")

# Visma's ErrorCode for a rejected document (unconfirmed which code Visma uses for each rule; 4000 is the
# generic "bad request", 4002 is reported for missing mandatory fields).
ERROR_INVALID = 4000
ERROR_MISSING_FIELD = 4002


class PricingError(ValueError):
    """A document Visma would refuse. ``field`` names the offending property when there is one."""

    def __init__(self, message: str, *, field: str | None = None, error_code: int = ERROR_INVALID) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.error_code = error_code


LARGEST = Decimal("1e11")  # far above any invoice; keeps every product inside Decimal's 28 digits


def dec(value: Any) -> Decimal:
    """A JSON number (int, float or str) as an exact Decimal; None counts as zero."""
    if value is None:
        return ZERO
    if isinstance(value, bool):
        raise PricingError(f"expected a number, got {value!r}")
    try:
        number = value if isinstance(value, Decimal) else Decimal(str(value))
    except ArithmeticError:
        raise PricingError(f"expected a number, got {value!r}") from None
    if not number.is_finite() or abs(number) >= LARGEST:
        raise PricingError(f"{value!r} is not a number in range")
    return number


def to_ore(amount: Decimal) -> Decimal:
    return amount.quantize(ORE, rounding=ROUND_HALF_UP)


def to_kronor(amount: Decimal) -> Decimal:
    return amount.quantize(KRONA, rounding=ROUND_HALF_UP)


def down_to_kronor(amount: Decimal) -> Decimal:
    """Whole kronor towards zero: a tax reduction never exceeds its rate."""
    return amount.quantize(KRONA, rounding=ROUND_DOWN)


def row_amount(quantity: Decimal, unit_price: Decimal, discount: Decimal) -> Decimal:
    """Quantity × UnitPrice × (1 − DiscountPercentage), to öre, half away from zero."""
    if not ZERO <= discount <= KRONA:
        raise PricingError("DiscountPercentage must be between 0 and 1", field="DiscountPercentage")
    return to_ore(quantity * unit_price * (KRONA - discount))


@dataclass(frozen=True)
class PricedRow:
    """One row after pricing; ``vat_rate`` is None for text rows."""

    line_number: int
    is_text_row: bool
    amount: Decimal
    vat_rate: Decimal | None
    vat_free: bool
    is_work_cost: bool
    green_technology_type: int

    @property
    def amount_incl_vat(self) -> Decimal:
        """Row amount with its own VAT, unrounded: the base of husavdrag (never booked as such)."""
        if self.vat_rate is None or self.vat_free:
            return self.amount
        return self.amount * (KRONA + self.vat_rate)


@dataclass(frozen=True)
class VatLine:
    rate: Decimal
    base: Decimal
    vat: Decimal


@dataclass(frozen=True)
class Pricing:
    """Everything Visma computes on a draft or an invoice."""

    rows: tuple[PricedRow, ...]
    vat_lines: tuple[VatLine, ...]
    net: Decimal
    vat: Decimal
    roundings: Decimal
    total: Decimal
    reduction: Decimal = ZERO
    reduction_percent: Decimal = ZERO
    max_reduction: Decimal = ZERO
    person_amounts: tuple[Decimal, ...] = field(default_factory=tuple)

    @property
    def remaining(self) -> Decimal:
        """What the customer owes: the total less the part Skatteverket pays."""
        return self.total - self.reduction


def vat_lines(rows: Sequence[PricedRow]) -> tuple[VatLine, ...]:
    """VAT per rate, computed on the sum of the rows at that rate, rounded to öre once."""
    bases: dict[Decimal, Decimal] = {}
    for row in rows:
        if row.vat_rate is None:
            continue
        rate = ZERO if row.vat_free else row.vat_rate
        bases[rate] = bases.get(rate, ZERO) + row.amount
    return tuple(
        VatLine(rate=rate, base=base, vat=to_ore(base * rate)) for rate, base in sorted(bases.items(), reverse=True)
    )


def totals(rows: Sequence[PricedRow], *, round_to_kronor: bool = True) -> Pricing:
    lines = vat_lines(rows)
    net = sum((row.amount for row in rows), ZERO)
    vat = sum((line.vat for line in lines), ZERO)
    gross = net + vat
    total = to_kronor(gross) if round_to_kronor else gross
    return Pricing(rows=tuple(rows), vat_lines=lines, net=net, vat=vat, roundings=total - gross, total=total)


def capped(amount: Decimal, cap: Decimal) -> Decimal:
    """``amount`` limited to ``cap`` in absolute value, keeping its sign (credit invoices are negative)."""
    return max(min(amount, cap), -cap)


def house_work_reduction(rows: Sequence[PricedRow], percent: Decimal, cap_per_person: Decimal, persons: int) -> Decimal:
    """ROT/RUT: percent × work-cost rows incl. VAT, down to whole kronor, capped per person."""
    base = sum((row.amount_incl_vat for row in rows if row.is_work_cost and not row.is_text_row), ZERO)
    return capped(down_to_kronor(base * percent), cap_per_person * persons)


def green_reduction(
    rows: Sequence[PricedRow], solar_percent: Decimal, cap_per_person: Decimal, persons: int
) -> Decimal:
    """Grön teknik: each type's rate × its rows incl. VAT, summed, down to whole kronor, capped per person."""
    percents = {
        GREEN_SOLAR: solar_percent,
        GREEN_BATTERY: GREEN_OTHER_PERCENT,
        GREEN_CHARGING_POINT: GREEN_OTHER_PERCENT,
    }
    exact = sum(
        (
            row.amount_incl_vat * percents[row.green_technology_type]
            for row in rows
            if row.green_technology_type in percents
        ),
        ZERO,
    )
    return capped(down_to_kronor(exact), cap_per_person * persons)


def split_between_persons(reduction: Decimal, given: Sequence[Decimal]) -> tuple[Decimal, ...]:
    """The persons' shares: checked when given, else an even split in whole kronor."""
    if not given:
        return ()
    if any(amount != ZERO for amount in given):
        if sum(given, ZERO) != reduction:
            raise PricingError(
                f"Persons amounts add up to {sum(given, ZERO)}, not to the tax reduction {reduction}",
                field="Persons",
            )
        return tuple(given)
    count = len(given)
    share = down_to_kronor(reduction / count)
    extra = int(abs(reduction - share * count))  # whole kronor left over, one each to the first persons
    step = KRONA if reduction >= ZERO else -KRONA
    shares = [share + step if index < extra else share for index in range(count)]
    shares[0] += reduction - sum(shares, ZERO)  # öre of a manual amount stay with the first person
    return tuple(shares)


# --- reading a Visma document -------------------------------------------------------------------------


def price_rows(raw_rows: Sequence[Mapping[str, Any]], vat_rate_of: Mapping[str, Decimal]) -> tuple[PricedRow, ...]:
    """Price the ``Rows`` of a draft or invoice. ``vat_rate_of`` maps ArticleId → coding's VAT fraction."""
    priced = []
    for index, raw in enumerate(raw_rows, start=1):
        article_id = raw.get("ArticleId")
        is_text_row = bool(raw.get("IsTextRow", article_id is None))
        if is_text_row:
            if not (raw.get("Text") or "").strip():
                raise PricingError(f"Row {index}: a text row needs Text", field="Text", error_code=ERROR_MISSING_FIELD)
            priced.append(PricedRow(index, True, ZERO, None, False, False, 0))
            continue
        if not article_id:
            raise PricingError(
                f"Row {index}: ArticleId is required unless IsTextRow",
                field="ArticleId",
                error_code=ERROR_MISSING_FIELD,
            )
        if article_id not in vat_rate_of:
            raise PricingError(f"Row {index}: ArticleId {article_id} does not exist", field="ArticleId")
        priced.append(
            PricedRow(
                line_number=index,
                is_text_row=False,
                amount=row_amount(
                    dec(raw.get("Quantity")), dec(raw.get("UnitPrice")), dec(raw.get("DiscountPercentage"))
                ),
                vat_rate=vat_rate_of[article_id],
                vat_free=bool(raw.get("ReversedConstructionServicesVatFree")),
                is_work_cost=bool(raw.get("IsWorkCost")),
                green_technology_type=int(raw.get("GreenTechnologyType") or 0),
            )
        )
    return tuple(priced)


def price_document(
    document: Mapping[str, Any],
    *,
    customer: Mapping[str, Any],
    settings: Mapping[str, Any],
    vat_rate_of: Mapping[str, Decimal],
    today: date,
) -> Pricing:
    """Check a draft or invoice as Visma would and compute its amounts; raises :class:`PricingError`."""
    rows = price_rows(document.get("Rows") or [], vat_rate_of)
    check_reverse_charge(rows, customer, settings)
    pricing = totals(rows, round_to_kronor=settings.get("DomesticCurrencyRounding", 1) == 1)
    check_credit_sign(document, pricing)
    kind = int(document.get("RotReducedInvoicingType") or ROT_RUT_NORMAL)
    green = bool(document.get("UsesGreenTechnology"))
    if kind == ROT_RUT_NORMAL and not green:
        return pricing
    persons = check_house_work(document, customer, settings, kind=kind, green=green, today=today)
    if green:
        percent = ZERO
        automatic = green_reduction(rows, green_solar_percent(settings), green_cap(settings), len(persons))
    else:
        percent, cap = rot_rut_percent_and_cap(settings, kind)
        automatic = house_work_reduction(rows, percent, cap, len(persons))
    if automatic == ZERO:
        raise PricingError("The invoice has no rows that give a tax reduction", field="Rows")
    reduction = manual_reduction(document, automatic)
    shares = split_between_persons(reduction, [dec(person.get("Amount")) for person in persons])
    return replace(
        pricing, reduction=reduction, reduction_percent=percent, max_reduction=automatic, person_amounts=shares
    )


def manual_reduction(document: Mapping[str, Any], automatic: Decimal) -> Decimal:
    given = document.get("RotReducedInvoicingAmount")
    if given is None or dec(given) == ZERO:
        return automatic
    amount = to_ore(dec(given))
    if (amount > ZERO) != (automatic > ZERO):
        raise PricingError(
            "RotReducedInvoicingAmount must have the sign of the invoice (negative on a credit invoice)",
            field="RotReducedInvoicingAmount",
        )
    if abs(amount) > abs(automatic):
        raise PricingError(
            f"RotReducedInvoicingAmount {amount} exceeds the maximum allowed tax reduction {automatic}",
            field="RotReducedInvoicingAmount",
        )
    return amount


def check_credit_sign(document: Mapping[str, Any], pricing: Pricing) -> None:
    if pricing.total == ZERO and pricing.net == ZERO:
        return  # zero amounts are refused on create/convert, not on drafts
    if document.get("IsCreditInvoice") and pricing.total > ZERO:
        raise PricingError("A credit invoice must have a negative total", field="IsCreditInvoice")
    if not document.get("IsCreditInvoice") and pricing.total < ZERO:
        raise PricingError("An invoice with a negative total must be a credit invoice", field="IsCreditInvoice")


def check_reverse_charge(rows: Sequence[PricedRow], customer: Mapping[str, Any], settings: Mapping[str, Any]) -> None:
    """Omvänd byggmoms: only when the company uses it and the customer is a company with a VAT number."""
    if not any(row.vat_free for row in rows) and not customer.get("ReverseChargeOnConstructionServices"):
        return
    if not settings.get("UsesReverseConstructionVat"):
        raise PricingError(
            "Reverse charge on construction services is not activated in the company settings",
            field="ReversedConstructionServicesVatFree",
        )
    if not (customer.get("VatNumber") or "").strip():
        raise PricingError(
            "Reverse charge on construction services requires a customer with a VAT number", field="VatNumber"
        )


def check_house_work(
    document: Mapping[str, Any],
    customer: Mapping[str, Any],
    settings: Mapping[str, Any],
    *,
    kind: int,
    green: bool,
    today: date,
) -> list[Mapping[str, Any]]:
    """Visma's refusals for ROT, RUT and grön teknik; returns the persons."""
    label = "Green technology" if green else ("ROT" if kind == ROT else "RUT")
    if green and kind != ROT_RUT_NORMAL:
        raise PricingError("Green technology requires RotReducedInvoicingType Normal (0)", field="UsesGreenTechnology")
    if kind not in (ROT, RUT) and not green:
        raise PricingError(f"Unknown RotReducedInvoicingType {kind}", field="RotReducedInvoicingType")
    if green and settings.get("UsesGreenTechnology") is False:
        raise PricingError("Green technology is not activated in the company settings", field="UsesGreenTechnology")
    if not green and not settings.get("UsesRotReducedInvoicing"):
        raise PricingError(
            f"{label} invoicing is not activated in the company settings (UsesRotReducedInvoicing)",
            field="RotReducedInvoicingType",
        )
    if not customer.get("IsPrivatePerson"):
        raise PricingError(f"{label} is only allowed for private person customers", field="CustomerId")
    if customer.get("ReverseChargeOnConstructionServices"):
        raise PricingError(f"{label} cannot be combined with reverse charge", field="CustomerId")
    if kind == ROT or green:
        check_property(document, label)
    if not green:
        check_work_cost_types(document.get("Rows") or [], kind, label)
    persons = list(document.get("Persons") or [])
    if not persons:
        raise PricingError(
            f"{label} requires at least one person in Persons", field="Persons", error_code=ERROR_MISSING_FIELD
        )
    for number, person in enumerate(persons, start=1):
        ssn = (person.get("Ssn") or "").strip()
        if not personnummer.is_valid(ssn):
            # the number itself never goes into the message: it is personal data
            raise PricingError(f"Persons[{number}]: Ssn is not a valid Swedish personnummer", field="Ssn")
        if personnummer.get_birth_date(ssn) > today:
            raise PricingError(f"Persons[{number}]: Ssn is not a valid Swedish personnummer", field="Ssn")
    return persons


ROT_WORK_TYPES = frozenset({1, 2, 3, 4, 5, 6, 7, 20, 21, 23, 24, 25})
RUT_WORK_TYPES = frozenset({9, 10, 12, 13, 14, 15, 18, 19, 22, 26, 27, 28, 29})


def check_work_cost_types(rows: Sequence[Mapping[str, Any]], kind: int, label: str) -> None:
    """A work-cost row's ``WorkCostType`` must be of the invoice's kind (a RUT type on a ROT invoice is refused).

    Our reading of Visma (unconfirmed): a missing type (0) is accepted.
    """
    allowed = ROT_WORK_TYPES if kind == ROT else RUT_WORK_TYPES
    for number, row in enumerate(rows, start=1):
        work_type = int(row.get("WorkCostType") or 0)
        if row.get("IsWorkCost") and work_type and work_type not in allowed:
            raise PricingError(
                f"Row {number}: WorkCostType {work_type} is not a {label} work type", field="WorkCostType"
            )


def check_property(document: Mapping[str, Any], label: str) -> None:
    """ROT and grön teknik need the property: a fastighetsbeteckning, or a BRF's org number for a flat."""
    property_type = document.get("RotPropertyType")
    name = (document.get("RotReducedInvoicingPropertyName") or "").strip()
    org_number = (document.get("RotReducedInvoicingOrgNumber") or "").strip()
    if property_type not in (PROPERTY_APARTMENT, PROPERTY_HOUSE):
        raise PricingError(
            f"{label} requires RotPropertyType (1 apartment, 2 property)",
            field="RotPropertyType",
            error_code=ERROR_MISSING_FIELD,
        )
    if property_type == PROPERTY_APARTMENT and not (org_number and name):
        raise PricingError(
            f"{label} for an apartment requires RotReducedInvoicingOrgNumber and RotReducedInvoicingPropertyName",
            field="RotReducedInvoicingOrgNumber",
            error_code=ERROR_MISSING_FIELD,
        )
    if property_type == PROPERTY_HOUSE and not name:
        raise PricingError(
            f"{label} for a property requires RotReducedInvoicingPropertyName",
            field="RotReducedInvoicingPropertyName",
            error_code=ERROR_MISSING_FIELD,
        )


def rot_rut_percent_and_cap(settings: Mapping[str, Any], kind: int) -> tuple[Decimal, Decimal]:
    rot_rut = settings.get("CompanyRotRutSettings") or {}
    if kind == ROT:
        return dec(rot_rut.get("RotReducedInvoicingPercent")), dec(rot_rut.get("RotReducedInvoicingMaxAmount"))
    return dec(rot_rut.get("RutReducedInvoicingPercent")), dec(rot_rut.get("RutMaxAmountForPersBelow65Year"))


def green_solar_percent(settings: Mapping[str, Any]) -> Decimal:
    green = settings.get("CompanyGreenTechnologySettings") or {}
    value = green.get("SollarCellDiscountPercentage")
    return DEFAULT_SOLAR_PERCENT if value is None else as_fraction(dec(value))


def green_cap(settings: Mapping[str, Any]) -> Decimal:
    green = settings.get("CompanyGreenTechnologySettings") or {}
    value = green.get("GreenTechnologyDeductionMaxAmount")
    return DEFAULT_GREEN_CAP if value is None else dec(value)


def vat_fraction(coding: Mapping[str, Any]) -> Decimal:
    """An account coding's ``VatRatePercent`` as a fraction: 0.25, whether the coding says 0.25 or 25."""
    return as_fraction(dec(coding.get("VatRatePercent")))


def as_fraction(rate: Decimal) -> Decimal:
    """Visma mixes 0.25 and 25 for "25 %" across resources; a rate above 1 is read as a percent."""
    return rate / 100 if rate > KRONA else rate
