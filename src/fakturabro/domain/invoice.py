"""Invoices: rows, the rules an invoice must satisfy, and its totals.

All amounts are excl. VAT on rows (as Visma receives them with "Visa priser exkl. moms" on). The totals follow
the one algorithm Visma is expected to use, so what we send equals what Visma computes:

1. row net = quantity × unit price × (1 − discount %), rounded to öre;
2. VAT per rate = sum of the nets at that rate × rate, rounded to öre (none under omvänd byggmoms);
3. öresavrundning: the total incl. VAT rounded to whole kronor, the difference kept as ``rounding`` — when the
   company rounds (Visma's company setting; ``InvoiceContent.whole_krona_rounding``), else the total in öre;
4. husavdrag (whole kronor) is deducted from that total: ``to_pay = total − husavdrag``.

A credit invoice has the same rows as what it credits; its amounts are the exact negation (rounding is
symmetric around zero), which is why rows always carry positive quantities.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum

from fakturabro.domain.article import VAT_RATES
from fakturabro.domain.customer import CustomerFacts, CustomerKind
from fakturabro.domain.errors import ErrorCollector, Location
from fakturabro.domain.husavdrag import (
    RATE_PERIODS,
    Deduction,
    DeductionBase,
    HouseWorkType,
    HusavdragKind,
    NoRateForDate,
    RatePeriod,
    compute_deduction,
)
from fakturabro.domain.identity import InvalidIdentityNumber, normalize_orgnr, normalize_personnummer
from fakturabro.domain.money import ZERO, format_sek, percent_of, to_ore, to_whole_kronor

REVERSE_CHARGE_TEXT = "Omvänd betalningsskyldighet"
MAX_QUANTITY = Decimal("1000000")
MAX_UNIT_PRICE = Decimal("100000000")
MAX_TEXT_LENGTH = 2000  # Visma's row text limit
MAX_PROPERTY_DESIGNATION = 40  # Skatteverket's claim file
MAX_APARTMENT_NUMBER = 25


class RowKind(StrEnum):
    LABOUR = "labour"
    MATERIAL = "material"
    OTHER = "other"
    TEXT = "text"


class InvoiceStatus(StrEnum):
    DRAFT = "draft"
    APPROVED = "approved"
    PARTIALLY_PAID = "partially_paid"
    PAID = "paid"
    CREDITED = "credited"

    @property
    def label(self) -> str:
        return {
            "draft": "Utkast",
            "approved": "Godkänd",
            "partially_paid": "Delbetald",
            "paid": "Betald",
            "credited": "Krediterad",
        }[self.value]


@dataclass(frozen=True)
class InvoiceRow:
    kind: RowKind
    text: str = ""
    article_number: str | None = None
    quantity: Decimal = ZERO
    unit: str = ""
    unit_price: Decimal = ZERO
    vat_rate: Decimal = Decimal(25)
    discount_percent: Decimal = ZERO
    hours: Decimal | None = None
    house_work_type: HouseWorkType | None = None

    @property
    def net(self) -> Decimal:
        if self.kind is RowKind.TEXT:
            return ZERO
        gross_price = self.quantity * self.unit_price
        return to_ore(gross_price - percent_of(gross_price, self.discount_percent))

    @property
    def worked_hours(self) -> Decimal | None:
        """Hours reported to Skatteverket: given hours, else the quantity of a labour row."""
        if self.hours is not None:
            return self.hours
        return self.quantity if self.kind is RowKind.LABOUR else None


@dataclass(frozen=True)
class HusavdragPerson:
    personal_number: str
    share: Decimal  # percent of the reduction this buyer requests


@dataclass(frozen=True)
class HusavdragClaim:
    """The husavdrag part of an invoice: who claims it and, for ROT and grön teknik, for which home.

    A house (småhus) has a fastighetsbeteckning; a bostadsrätt has its housing cooperative's
    organisation number and the apartment number.
    """

    kind: HusavdragKind
    persons: tuple[HusavdragPerson, ...]
    property_designation: str | None = None
    housing_coop_org_number: str | None = None
    apartment_number: str | None = None


@dataclass(frozen=True)
class InvoiceContent:
    """What the user writes on an invoice; the customer is given separately as ``CustomerFacts``."""

    invoice_date: date
    rows: tuple[InvoiceRow, ...]
    reverse_charge: bool = False
    husavdrag: HusavdragClaim | None = None
    is_credit: bool = False
    # Öresavrundning: the company rounds totals to whole kronor (Visma's DomesticCurrencyRounding, on by default).
    whole_krona_rounding: bool = True


@dataclass(frozen=True)
class Totals:
    net: Decimal
    vat_by_rate: Mapping[Decimal, Decimal]
    vat: Decimal
    rounding: Decimal
    total: Decimal
    husavdrag: Decimal
    husavdrag_by_person: tuple[Decimal, ...]
    to_pay: Decimal
    net_by_kind: Mapping[RowKind, Decimal] = field(default_factory=dict)

    def negated(self) -> Totals:
        return Totals(
            net=-self.net,
            vat_by_rate={rate: -vat for rate, vat in self.vat_by_rate.items()},
            vat=-self.vat,
            rounding=-self.rounding,
            total=-self.total,
            husavdrag=-self.husavdrag,
            husavdrag_by_person=tuple(-amount for amount in self.husavdrag_by_person),
            to_pay=-self.to_pay,
            net_by_kind={kind: -amount for kind, amount in self.net_by_kind.items()},
        )


def compute_totals(content: InvoiceContent, periods: Sequence[RatePeriod] = RATE_PERIODS) -> Totals:
    """The invoice's amounts; a credit invoice gets the negation of the same rows' amounts."""
    priced = [row for row in content.rows if row.kind is not RowKind.TEXT]
    net_by_rate: dict[Decimal, Decimal] = defaultdict(lambda: ZERO)
    net_by_kind: dict[RowKind, Decimal] = defaultdict(lambda: ZERO)
    for row in priced:
        net_by_rate[row.vat_rate] += row.net
        net_by_kind[row.kind] += row.net
    vat_by_rate = {
        rate: ZERO if content.reverse_charge else to_ore(percent_of(net, rate))
        for rate, net in sorted(net_by_rate.items(), reverse=True)
    }
    net = sum(net_by_rate.values(), ZERO)
    vat = sum(vat_by_rate.values(), ZERO)
    total = to_whole_kronor(net + vat) if content.whole_krona_rounding else net + vat
    deduction = _deduction(content, periods)
    totals = Totals(
        net=net,
        vat_by_rate=vat_by_rate,
        vat=vat,
        rounding=total - (net + vat),
        total=total,
        husavdrag=deduction.total,
        husavdrag_by_person=deduction.per_person,
        to_pay=total - deduction.total,
        net_by_kind=dict(net_by_kind),
    )
    return totals.negated() if content.is_credit else totals


def rounding_mismatch_message(content: InvoiceContent, *, visma_whole_kronor: bool) -> str:
    """Why an invoice cannot go to Visma as it is: Visma would round its total otherwise than we did."""
    ours = compute_totals(content)
    theirs = compute_totals(dataclasses.replace(content, whole_krona_rounding=visma_whole_kronor))
    how = "avrundar till hela kronor" if visma_whole_kronor else "har öresavrundning avstängd"
    priced = "med öresavrundning" if content.whole_krona_rounding else "utan öresavrundning"
    return (
        f"Fakturan räknades {priced} (totalt {format_sek(ours.total)}), men företaget i Visma {how} och skulle "
        f"få {format_sek(theirs.total)}. Ändra öresavrundningen i Visma (Inställningar → Företagsinställningar) "
        "så att den stämmer med fakturan och exportera igen, eller kreditera fakturan och gör en ny: den räknas "
        "då som Visma."
    )


def row_gross(row: InvoiceRow, reverse_charge: bool = False) -> Decimal:
    """A row's amount incl. VAT (the base husavdrag is computed on)."""
    return row.net if reverse_charge else row.net + percent_of(row.net, row.vat_rate)


def deduction_bases(content: InvoiceContent) -> list[DeductionBase]:
    claim = content.husavdrag
    if claim is None:
        return []
    return [
        DeductionBase(row.house_work_type, row_gross(row))
        for row in content.rows
        if row.house_work_type is not None
        and row.house_work_type.kind is claim.kind
        and _counts_towards(row.kind, claim.kind)
    ]


def _counts_towards(row_kind: RowKind, claim_kind: HusavdragKind) -> bool:
    """ROT/RUT are computed on labour only; grön teknik on labour and material."""
    if claim_kind is HusavdragKind.GREEN:
        return row_kind in (RowKind.LABOUR, RowKind.MATERIAL)
    return row_kind is RowKind.LABOUR


def _deduction(content: InvoiceContent, periods: Sequence[RatePeriod]) -> Deduction:
    claim = content.husavdrag
    if claim is None:
        return Deduction(ZERO, (), ZERO)
    shares = [person.share for person in claim.persons]
    return compute_deduction(deduction_bases(content), shares, content.invoice_date, periods)


# --- the rules ---------------------------------------------------------------------------------------


def validate_invoice(
    content: InvoiceContent, customer: CustomerFacts, periods: Sequence[RatePeriod] = RATE_PERIODS
) -> None:
    """Raise ``ValidationFailed`` listing every broken rule (Swedish messages, field paths as in the API)."""
    errors = ErrorCollector()
    _check_rows(content.rows, errors)
    if content.reverse_charge:
        _check_reverse_charge(content, customer, errors)
    if content.husavdrag is not None:
        _check_husavdrag(content, content.husavdrag, customer, errors, periods)
    errors.raise_if_any()


def _check_rows(rows: Sequence[InvoiceRow], errors: ErrorCollector) -> None:
    if not any(row.kind is not RowKind.TEXT for row in rows):
        errors.add(("rows",), "Fakturan har inga rader med belopp.", "empty_invoice")
    for index, row in enumerate(rows):
        _check_row(row, ("rows", index), errors)


def _check_row(row: InvoiceRow, loc: Location, errors: ErrorCollector) -> None:
    if len(row.text) > MAX_TEXT_LENGTH:
        errors.add((*loc, "text"), f"Texten får vara högst {MAX_TEXT_LENGTH} tecken.", "too_long")
    if row.kind is RowKind.TEXT:
        if not row.text.strip():
            errors.add((*loc, "text"), "En textrad behöver en text.", "required")
        return
    _check_amount(row.quantity, (*loc, "quantity"), "Antalet", MAX_QUANTITY, errors, positive=True)
    _check_amount(row.unit_price, (*loc, "unit_price"), "À-priset", MAX_UNIT_PRICE, errors)
    if row.vat_rate not in VAT_RATES:
        errors.add((*loc, "vat_rate"), "Momssatsen måste vara 25, 12, 6 eller 0 %.", "invalid_vat_rate")
    if not Decimal(0) <= row.discount_percent <= Decimal(100):
        errors.add((*loc, "discount_percent"), "Rabatten måste vara mellan 0 och 100 %.", "out_of_range")
    elif _decimals(row.discount_percent) > 2:
        errors.add((*loc, "discount_percent"), "Rabatten får ha högst två decimaler.", "too_precise")
    if row.hours is not None and not Decimal(0) <= row.hours <= Decimal(10000):
        errors.add((*loc, "hours"), "Timmarna måste vara mellan 0 och 10 000.", "out_of_range")
    elif _priced_by_the_hour(row) and row.hours is not None and row.hours != row.quantity:
        # Priced per hour, the quantity is the hours: a different "Timmar" would bill one number of hours and
        # report another to Skatteverket.
        errors.add(
            (*loc, "hours"),
            f"Raden är i timmar, så antalet ({_plain(row.quantity)}) är timmarna; Timmar säger {_plain(row.hours)}. "
            "Ändra antalet, eller lämna Timmar tomt.",
            "hours_differ_from_quantity",
        )


HOUR_UNITS = frozenset({"tim", "tim.", "timme", "timmar", "h", "t"})


def _priced_by_the_hour(row: InvoiceRow) -> bool:
    return row.kind is RowKind.LABOUR and row.unit.strip().lower() in HOUR_UNITS


def _plain(value: Decimal) -> str:
    return f"{value.normalize():f}".replace(".", ",")


def _check_amount(
    value: Decimal,
    loc: Location,
    name: str,
    maximum: Decimal,
    errors: ErrorCollector,
    *,
    positive: bool = False,
) -> None:
    if not value.is_finite():
        errors.add(loc, f"{name} måste vara ett tal.", "not_a_number")
    elif value < 0 or (positive and value == 0):
        message = "större än noll" if positive else "noll eller mer"
        errors.add(loc, f"{name} måste vara {message}.", "out_of_range")
    elif value > maximum:
        errors.add(loc, f"{name} är orimligt stort (högst {maximum:,}).".replace(",", " "), "out_of_range")
    elif _decimals(value) > 2:
        errors.add(loc, f"{name} får ha högst två decimaler.", "too_precise")


def _decimals(value: Decimal) -> int:
    exponent = value.normalize().as_tuple().exponent
    return -exponent if isinstance(exponent, int) and exponent < 0 else 0


def _check_reverse_charge(content: InvoiceContent, customer: CustomerFacts, errors: ErrorCollector) -> None:
    if customer.kind is not CustomerKind.COMPANY:
        errors.add(
            ("reverse_charge",),
            "Omvänd byggmoms gäller bara företagskunder (kunden saknar organisationsnummer).",
            "reverse_charge_needs_company",
        )
    elif not customer.vat_number:
        errors.add(
            ("reverse_charge",),
            "Omvänd byggmoms kräver kundens momsregistreringsnummer. Lägg in det på kunden.",
            "reverse_charge_needs_vat_number",
        )
    if content.husavdrag is not None:
        errors.add(
            ("reverse_charge",),
            "Omvänd byggmoms och husavdrag kan inte kombineras på samma faktura.",
            "reverse_charge_with_husavdrag",
        )


def _check_husavdrag(
    content: InvoiceContent,
    claim: HusavdragClaim,
    customer: CustomerFacts,
    errors: ErrorCollector,
    periods: Sequence[RatePeriod],
) -> None:
    loc: Location = ("house_work",)
    if customer.kind is not CustomerKind.PRIVATE:
        errors.add(
            loc,
            "Husavdrag kan bara ges till privatpersoner. Kunden har organisationsnummer och är ett företag.",
            "husavdrag_needs_private_customer",
        )
    _check_persons(claim, errors)
    _check_property(claim, errors)
    _check_work_rows(content, claim, errors)
    try:
        compute_deduction(deduction_bases(content), [Decimal(100)], content.invoice_date, periods)
    except NoRateForDate:
        errors.add(
            (*loc, "type"),
            f"{claim.kind.label} finns inte för fakturadatum {content.invoice_date.isoformat()}.",
            "no_rate_for_date",
        )


def _check_persons(claim: HusavdragClaim, errors: ErrorCollector) -> None:
    loc: Location = ("house_work", "persons")
    if not claim.persons:
        errors.add(loc, "Ange minst en person som ska få skattereduktionen.", "required")
        return
    seen: set[str] = set()
    for index, person in enumerate(claim.persons):
        try:
            number = normalize_personnummer(person.personal_number)
        except InvalidIdentityNumber as error:
            errors.add((*loc, index, "personal_number"), str(error), "invalid_personal_number")
        else:
            if number in seen:
                errors.add((*loc, index, "personal_number"), "Personen finns redan med.", "duplicate")
            seen.add(number)
        if not Decimal(0) < person.share <= Decimal(100):
            errors.add((*loc, index, "share"), "Andelen måste vara mellan 0 och 100 %.", "out_of_range")
    total_share = sum((person.share for person in claim.persons), Decimal(0))
    if total_share != Decimal(100):
        errors.add(loc, f"Andelarna måste tillsammans bli 100 % (nu {total_share.normalize():f} %).", "shares_not_100")


def _check_property(claim: HusavdragClaim, errors: ErrorCollector) -> None:
    loc: Location = ("house_work",)
    house = (claim.property_designation or "").strip()
    coop = (claim.housing_coop_org_number or "").strip()
    apartment = (claim.apartment_number or "").strip()
    if claim.kind is HusavdragKind.RUT:
        return  # RUT is for the home the buyer lives in; no property is reported
    if house and (coop or apartment):
        errors.add(
            loc,
            "Ange antingen fastighetsbeteckning (villa) eller bostadsrättsförening och lägenhetsnummer, inte båda.",
            "property_ambiguous",
        )
    elif not house and not coop:
        errors.add(
            (*loc, "property_designation"),
            "Ange fastighetsbeteckning, eller bostadsrättsföreningens organisationsnummer och lägenhetsnummer.",
            "property_required",
        )
    elif coop:
        try:
            normalize_orgnr(coop)
        except InvalidIdentityNumber as error:
            errors.add((*loc, "housing_coop_org_number"), str(error), "invalid_org_number")
        if not apartment:
            errors.add((*loc, "apartment_number"), "Ange lägenhetsnummer för bostadsrätten.", "required")
    if len(house) > MAX_PROPERTY_DESIGNATION:
        errors.add(
            (*loc, "property_designation"),
            f"Fastighetsbeteckningen får vara högst {MAX_PROPERTY_DESIGNATION} tecken.",
            "too_long",
        )
    if len(apartment) > MAX_APARTMENT_NUMBER:
        errors.add(
            (*loc, "apartment_number"),
            f"Lägenhetsnumret får vara högst {MAX_APARTMENT_NUMBER} tecken.",
            "too_long",
        )


def _check_work_rows(content: InvoiceContent, claim: HusavdragClaim, errors: ErrorCollector) -> None:
    for index, row in enumerate(content.rows):
        if row.house_work_type is not None and row.house_work_type.kind is not claim.kind:
            errors.add(
                ("rows", index, "house_work_type"),
                f"Arbetstypen hör inte till {claim.kind.label}.",
                "house_work_type_mismatch",
            )
    if deduction_bases(content):
        return
    green = claim.kind is HusavdragKind.GREEN
    untyped = [
        index
        for index, row in enumerate(content.rows)
        if row.house_work_type is None and (row.kind is RowKind.LABOUR or (green and row.kind is not RowKind.TEXT))
    ]
    allowed = ", ".join(work.value for work in HouseWorkType if work.kind is claim.kind)
    what = "rad" if green else "arbetsrad"
    if not untyped:  # nothing to point at: no row that could carry the work type
        errors.add(
            ("rows",),
            f"{claim.kind.label} kräver minst en {what} med arbetstyp för {claim.kind.label} ({allowed}).",
            "husavdrag_without_work",
        )
    for index in untyped:  # the rows that need a work type, each with the values it may take
        errors.add(
            ("rows", index, "house_work_type"),
            f"{claim.kind.label} kräver en arbetstyp på raden. Välj en av: {allowed}.",
            "husavdrag_without_work",
        )


# --- status ---------------------------------------------------------------------------------------------


def status_after_settlement(to_pay: Decimal, paid: Decimal, credited: Decimal) -> InvoiceStatus:
    """The status of an approved invoice from what has been paid and credited against it (all positive)."""
    remaining = to_pay - paid - credited
    if remaining <= 0 and credited > 0 and paid == 0:
        return InvoiceStatus.CREDITED
    if remaining <= 0:
        return InvoiceStatus.PAID
    if paid > 0 or credited > 0:
        return InvoiceStatus.PARTIALLY_PAID
    return InvoiceStatus.APPROVED
