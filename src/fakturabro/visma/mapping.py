"""Our invoices, customers and articles as Visma documents: the one place that maps our domain to Visma's fields.

Pure functions from plain values to the pydantic models of `visma.models`; no I/O. The export workflow
(`sync/export`) gathers the inputs, these functions build the bodies, the client sends them.

Decisions (docs/EXPORT.md has the long form):

- **Marker.** Visma has no idempotency keys, so every document carries a marker we control and can look up
  before creating again: a draft's ``ContractNumber`` (``fakturabro-<our invoice number>``, a field a
  tradesperson's invoice does not otherwise use), a ledger item's ``InvoiceNumber`` (our number itself).
- **Row VAT.** Visma takes a row's VAT rate from the account coding of the row's article; a draft row has no
  VAT field of its own. Rows without an identical article in Visma therefore go to a fallback article *per
  VAT rate*: "fakturabro" (25 %), "fakturabro 12 %", … and "fakturabro ROT/RUT" (a service coding, so Visma
  computes the reduction on it) when the invoice has husavdrag. (The names are settings; the numbers MINUBA… stay,
  so articles created before the rename are still found.)
- **Signs.** Our rows always carry positive quantities (the credit flag negates the totals); Visma wants the
  sign on the credit invoice's rows, so a credit's quantities are negated here.
- **Discount.** Ours is a percent (0–100), Visma's ``DiscountPercentage`` a fraction (0–1, four decimals).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from uuid import UUID

from fakturabro.domain.customer import CustomerKind
from fakturabro.domain.husavdrag import HouseWorkType, HusavdragKind
from fakturabro.domain.husavdrag_claims import ClaimState
from fakturabro.domain.invoice import REVERSE_CHARGE_TEXT, InvoiceContent, InvoiceRow, RowKind, Totals, row_gross
from fakturabro.domain.money import ZERO, to_ore
from fakturabro.visma.models import (
    Article,
    ArticleAccountCoding,
    CompanySettings,
    Customer,
    CustomerInvoice,
    CustomerInvoiceDraft,
    CustomerInvoiceDraftRow,
    CustomerLedgerItemWithVoucher,
    RotRutPerson,
    Voucher,
    VoucherRow,
)

MARKER_PREFIX = "fakturabro-"

# Visma's `HouseWorkType` / `WorkCostType` (ROT 1–7, RUT 9–29) and `GreenTechnologyType` (1–3); see
# shared/tax/SWEDISH-TAX-RULES.md §1.6 and §2 and the spec's `ArticleApi.HouseWorkType`.
VISMA_WORK_COST_TYPE: Mapping[HouseWorkType, int] = {
    HouseWorkType.BYGG: 1,
    HouseWorkType.EL: 2,
    HouseWorkType.GLAS_PLATARBETE: 3,
    HouseWorkType.MARK_DRANERINGSARBETE: 4,
    HouseWorkType.MURNING: 5,
    HouseWorkType.MALNING_TAPETSERING: 6,
    HouseWorkType.VVS: 7,
    HouseWorkType.STADNING: 9,
    HouseWorkType.KLAD_OCH_TEXTILVARD: 10,
    HouseWorkType.SNOSKOTTNING: 12,
    HouseWorkType.TRADGARDSARBETE: 13,
    HouseWorkType.BARNPASSNING: 14,
    HouseWorkType.PERSONLIG_OMSORG: 15,
    HouseWorkType.FLYTTJANSTER: 18,
    HouseWorkType.IT_TJANSTER: 19,
    HouseWorkType.REPARATION_AV_VITVAROR: 22,
    HouseWorkType.TVATT_VID_TVATTINRATTNING: 26,
    HouseWorkType.MOBLERING: 27,
    HouseWorkType.TRANSPORT_TILL_FORSALJNING: 28,
    HouseWorkType.TILLSYN_AV_BOSTAD: 29,
}
VISMA_GREEN_TECHNOLOGY_TYPE: Mapping[HouseWorkType, int] = {
    HouseWorkType.SOLCELLER: 1,
    HouseWorkType.ENERGILAGRING: 2,
    HouseWorkType.LADDPUNKT: 3,
}
HOUSE_WORK_TYPE_FROM_VISMA: Mapping[int, HouseWorkType] = {
    **{number: kind for kind, number in VISMA_WORK_COST_TYPE.items()},
}

ROT_REDUCED_INVOICING_TYPE = {HusavdragKind.ROT: 1, HusavdragKind.RUT: 2, HusavdragKind.GREEN: 0}
ROT_PROPERTY_APARTMENT, ROT_PROPERTY_HOUSE = 1, 2


class MappingError(ValueError):
    """The document cannot be expressed in Visma as asked; the message is Swedish and meant for the user."""


# --- what the mapping needs ------------------------------------------------------------------------------


@dataclass(frozen=True)
class CustomerToExport:
    """Our customer as the export sees it (personal data never included: Visma gets the org number only)."""

    number: str
    name: str
    kind: CustomerKind
    org_number: str | None = None
    vat_number: str | None = None
    reverse_charge: bool = False
    address_line1: str | None = None
    address_line2: str | None = None
    postal_code: str | None = None
    city: str | None = None
    country_code: str = "SE"
    email: str | None = None
    phone: str | None = None
    einvoice_address: str | None = None  # GLN or Peppol id


@dataclass(frozen=True)
class InvoiceToExport:
    """An approved invoice, frozen: its content (with the buyers' personnummer), totals and references."""

    invoice_id: int
    number: int
    invoice_date: date  # the document's date (a credit's ``content`` carries its original's date for the rates)
    content: InvoiceContent
    totals: Totals
    due_date: date
    customer: CustomerToExport
    your_reference: str | None = None
    our_reference: str | None = None
    credits_number: int | None = None  # the invoice a credit invoice credits


def marker_for(invoice_number: int) -> str:
    return f"{MARKER_PREFIX}{invoice_number}"


# --- customers -----------------------------------------------------------------------------------------------


def customer_to_visma(customer: CustomerToExport, terms_of_payment_id: UUID) -> Customer:
    """A new Visma customer; the type follows the org-number rule (an org number makes a company)."""
    if not customer.postal_code or not customer.city:
        raise MappingError(
            f"Kunden {customer.number} saknar postnummer eller ort, som Visma kräver. Fyll i adressen och "
            "exportera igen."
        )
    _check_visma_lengths(customer)
    is_company = customer.kind is CustomerKind.COMPANY
    return Customer(
        customer_number=customer.number,
        name=customer.name,
        is_private_person=not is_company,
        is_active=True,
        terms_of_payment_id=terms_of_payment_id,
        invoice_address1=customer.address_line1,
        invoice_address2=customer.address_line2,
        invoice_postal_code=customer.postal_code,
        invoice_city=customer.city,
        invoice_country_code=customer.country_code,
        corporate_identity_number=customer.org_number if is_company else None,
        vat_number=customer.vat_number if is_company else None,
        reverse_charge_on_construction_services=bool(is_company and customer.reverse_charge and customer.vat_number),
        email_address=customer.email,
        telephone=customer.phone,
        currency_code="SEK",
        electronic_address=customer.einvoice_address,
        edi_gln_number=_gln(customer.einvoice_address),
    )


def _gln(einvoice_address: str | None) -> str | None:
    """The address when it is a GLN (13 digits); a Peppol id goes in ElectronicAddress alone."""
    return einvoice_address if einvoice_address and einvoice_address.isdigit() and len(einvoice_address) == 13 else None


# Visma's `CustomerApi` limits (the official spec's maxLength); ours are longer, so say which field to shorten
# instead of letting Visma answer with a validation error the user cannot read.
_VISMA_CUSTOMER_LIMITS = (
    ("number", "Kundnumret", 16),
    ("name", "Kundnamnet", 50),
    ("address_line1", "Adressraden", 50),
    ("address_line2", "Andra adressraden", 50),
    ("postal_code", "Postnumret", 10),
    ("city", "Orten", 50),
    ("phone", "Telefonnumret", 50),
)


def _check_visma_lengths(customer: CustomerToExport) -> None:
    for field_name, label, limit in _VISMA_CUSTOMER_LIMITS:
        value = getattr(customer, field_name) or ""
        if len(value) > limit:
            raise MappingError(
                f"{label} på kund {customer.number} är {len(value)} tecken, men Visma tar högst {limit}. "
                "Korta det på kunden och exportera igen."
            )


# --- articles --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class VismaArticleRef:
    """What the export keeps of a Visma article: its id and the VAT rate (percent) of its coding."""

    id: UUID
    number: str
    vat_percent: Decimal | None
    is_service: bool = False


@dataclass(frozen=True)
class FallbackArticle:
    number: str
    name: str
    vat_percent: Decimal
    service: bool


def fallback_article_for(
    vat_percent: Decimal, *, husavdrag: bool, name: str = "fakturabro", husavdrag_name: str = "fakturabro ROT/RUT"
) -> FallbackArticle:
    """The article a row without an identical article number goes to, for its VAT rate."""
    base = husavdrag_name if husavdrag else name
    rate = _percent_text(vat_percent)
    number = ("MINUBA-ROTRUT" if husavdrag else "MINUBA") + ("" if vat_percent == 25 else f"-{rate}")
    return FallbackArticle(
        number=number,
        name=base if vat_percent == 25 else f"{base} {rate} %",
        vat_percent=vat_percent.normalize(),
        service=husavdrag,
    )


def _percent_text(value: Decimal) -> str:
    """25.00 → "25", 12.5 → "12.5" (never an exponent)."""
    return format(value.normalize(), "f")


def coding_vat_percent(coding: ArticleAccountCoding) -> Decimal | None:
    """Visma's `VatRatePercent` is a fraction (0.25) in the sandbox and reported so in Visma; accept 25 too."""
    value = coding.vat_rate_percent
    if value is None:
        return None
    return (value * 100 if value <= 1 else value).normalize()


def choose_coding(codings: Sequence[ArticleAccountCoding], vat_percent: Decimal, *, service: bool) -> UUID:
    """An active coding with the rate; a service coding when asked (Visma computes ROT/RUT on services)."""
    candidates = [
        coding
        for coding in codings
        if coding.id is not None
        and coding.is_active is not False
        and coding_vat_percent(coding) == vat_percent.normalize()
        and not (coding.domestic_sales_subject_to_vat_account_number == 3231 and vat_percent != 0)
    ]
    wanted = "Service" if service else "Goods"
    candidates.sort(key=lambda coding: (coding.type != wanted, coding.name or ""))
    if not candidates:
        raise MappingError(
            f"Visma saknar en artikelkontering med {_percent_text(vat_percent)} % moms. Lägg till en under "
            "Inställningar → Artikelkontering i Visma och exportera igen."
        )
    chosen = candidates[0].id
    assert chosen is not None
    return chosen


def fallback_to_visma(fallback: FallbackArticle, coding_id: UUID, unit_id: UUID) -> Article:
    return Article(
        number=fallback.number,
        name=fallback.name,
        is_active=True,
        coding_id=coding_id,
        unit_id=unit_id,
        net_price=ZERO,
        note="Samlingsartikel för rader från fakturabro utan motsvarande artikelnummer i Visma.",
    )


@dataclass(frozen=True)
class RowArticle:
    """How one row lands in Visma: on an article of its own number, on a fallback article, or as text."""

    row_index: int
    article_number: str | None  # the Visma article's number; None for text rows
    fallback: FallbackArticle | None = None


def plan_row_articles(content: InvoiceContent, known_numbers: Mapping[str, VismaArticleRef]) -> list[RowArticle]:
    """Per row: its own article when the number exists identically in Visma, else the fallback for its rate."""
    husavdrag = content.husavdrag is not None
    plan: list[RowArticle] = []
    for index, row in enumerate(content.rows):
        if row.kind is RowKind.TEXT:
            plan.append(RowArticle(index, None))
        elif row.article_number and row.article_number in known_numbers:
            plan.append(RowArticle(index, row.article_number))
        else:
            fallback = fallback_article_for(row.vat_rate, husavdrag=husavdrag)
            plan.append(RowArticle(index, fallback.number, fallback))
    return plan


# --- the draft (fakturautkast) ------------------------------------------------------------------------------


def invoice_to_draft(
    invoice: InvoiceToExport, customer_id: UUID, article_ids: Sequence[UUID | None]
) -> CustomerInvoiceDraft:
    content = invoice.content
    claim = content.husavdrag
    sign = Decimal(-1) if content.is_credit else Decimal(1)
    rows = [
        _draft_row(row, article_id, content, sign) for row, article_id in zip(content.rows, article_ids, strict=True)
    ]
    if content.is_credit and invoice.credits_number is not None:
        rows.insert(
            0, CustomerInvoiceDraftRow(is_text_row=True, text=f"Kreditering av faktura {invoice.credits_number}")
        )
    if content.reverse_charge:
        rows.append(CustomerInvoiceDraftRow(is_text_row=True, text=_reverse_charge_text(invoice)))
    draft = CustomerInvoiceDraft(
        customer_id=customer_id,
        is_credit_invoice=content.is_credit,
        eu_third_party=False,
        rot_reduced_invoicing_type=ROT_REDUCED_INVOICING_TYPE[claim.kind] if claim else 0,
        rows=[row.model_copy(update={"line_number": number}) for number, row in enumerate(rows, start=1)],
        your_reference=invoice.your_reference,
        our_reference=invoice.our_reference,
        invoice_date=invoice.invoice_date,
        due_date=invoice.due_date,
        contract_number=marker_for(invoice.number),
    )
    if claim is not None:
        draft = draft.model_copy(update=_husavdrag_fields(invoice, sign))
    return draft


def _reverse_charge_text(invoice: InvoiceToExport) -> str:
    vat_number = invoice.customer.vat_number or ""
    return f"{REVERSE_CHARGE_TEXT}. Köparens momsregistreringsnummer: {vat_number}".strip()


def _draft_row(
    row: InvoiceRow, article_id: UUID | None, content: InvoiceContent, sign: Decimal
) -> CustomerInvoiceDraftRow:
    if row.kind is RowKind.TEXT:
        return CustomerInvoiceDraftRow(is_text_row=True, text=row.text)
    claim = content.husavdrag
    work_type = row.house_work_type if claim is not None and row.house_work_type is not None else None
    rot_rut = work_type is not None and work_type.kind is claim.kind and claim.kind is not HusavdragKind.GREEN  # type: ignore[union-attr]
    green = work_type is not None and work_type.kind is HusavdragKind.GREEN
    is_work_cost = rot_rut and row.kind is RowKind.LABOUR
    return CustomerInvoiceDraftRow(
        article_id=article_id,
        is_text_row=False,
        text=row.text or None,
        unit_price=row.unit_price,
        quantity=sign * row.quantity,
        discount_percentage=(row.discount_percent / 100).normalize() if row.discount_percent else ZERO,
        is_work_cost=is_work_cost,
        work_cost_type=VISMA_WORK_COST_TYPE[work_type] if rot_rut and work_type is not None else None,
        work_hours=(row.worked_hours if is_work_cost else None),
        material_costs=(sign * row_gross(row) if rot_rut and row.kind is RowKind.MATERIAL else None),
        reversed_construction_services_vat_free=content.reverse_charge,
        green_technology_type=VISMA_GREEN_TECHNOLOGY_TYPE[work_type] if green and work_type is not None else None,
        unit_name=row.unit or None,
    )


def _husavdrag_fields(invoice: InvoiceToExport, sign: Decimal) -> dict[str, object]:
    content = invoice.content
    claim = content.husavdrag
    assert claim is not None
    fields: dict[str, object] = {
        "persons": [
            RotRutPerson(ssn=person.personal_number, amount=sign * abs(amount))
            for person, amount in zip(claim.persons, invoice.totals.husavdrag_by_person, strict=True)
        ],
        "rot_reduced_invoicing_amount": abs(invoice.totals.husavdrag) * sign,
        "rot_reduced_invoicing_automatic_distribution": False,
    }
    if claim.kind is HusavdragKind.GREEN:
        fields["uses_green_technology"] = True
    if claim.kind is not HusavdragKind.RUT:
        if claim.housing_coop_org_number:
            fields["rot_property_type"] = ROT_PROPERTY_APARTMENT
            fields["rot_reduced_invoicing_org_number"] = claim.housing_coop_org_number
            fields["rot_reduced_invoicing_property_name"] = claim.apartment_number
        else:
            fields["rot_property_type"] = ROT_PROPERTY_HOUSE
            fields["rot_reduced_invoicing_property_name"] = claim.property_designation
    other = sum((row_gross(row) for row in content.rows if row.kind is RowKind.OTHER), ZERO)
    if claim.kind is not HusavdragKind.GREEN and other:
        fields["house_work_other_costs"] = to_ore(sign * other)
    return fields


# --- the verifikation (customer ledger item with voucher) -------------------------------------------------------


@dataclass(frozen=True)
class LedgerAccounts:
    """BAS accounts for booking an invoice as a verifikation (configurable; docs/EXPORT.md)."""

    receivables: int = 1510
    sales_by_rate: Mapping[Decimal, int] = field(
        default_factory=lambda: {Decimal(25): 3001, Decimal(12): 3002, Decimal(6): 3003, Decimal(0): 3004}
    )
    vat_by_rate: Mapping[Decimal, int] = field(
        default_factory=lambda: {Decimal(25): 2611, Decimal(12): 2621, Decimal(6): 2631}
    )
    rounding: int = 3740


def verifikation_refusal(content: InvoiceContent) -> str | None:
    """Why an invoice cannot be exported as a verifikation, in Swedish; None when it can."""
    if content.husavdrag is not None:
        return (
            f"Fakturan har {content.husavdrag.kind.label}, som bara kan exporteras som fakturautkast. Välj "
            "exportläget Fakturautkast under Integrationer → Visma eEkonomi och exportera igen."
        )
    if content.reverse_charge:
        return (
            "Fakturan har omvänd byggmoms, som bara kan exporteras som fakturautkast. Välj exportläget "
            "Fakturautkast under Integrationer → Visma eEkonomi och exportera igen."
        )
    return None


def invoice_to_ledger_item(
    invoice: InvoiceToExport, customer_id: UUID, accounts: LedgerAccounts | None = None
) -> CustomerLedgerItemWithVoucher:
    """The invoice booked at once: receivable against sales and output VAT per rate, and the öresavrundning.

    Totals are signed (a credit invoice's are negative); a negative amount goes to the other side of its row.
    """
    refusal = verifikation_refusal(invoice.content)
    if refusal:
        raise MappingError(refusal)
    accounts = accounts or LedgerAccounts()
    totals = invoice.totals
    credit_sign = Decimal(-1) if invoice.content.is_credit else Decimal(1)
    net_by_rate: dict[Decimal, Decimal] = {}
    for row in invoice.content.rows:
        if row.kind is not RowKind.TEXT:
            net_by_rate[row.vat_rate] = net_by_rate.get(row.vat_rate, ZERO) + credit_sign * row.net
    rows = [_voucher_row(accounts.receivables, totals.total, debit=True)]
    for rate, net in sorted(net_by_rate.items(), reverse=True):
        rows.append(_voucher_row(_account(accounts.sales_by_rate, rate, "försäljning"), net, debit=False))
    for rate, vat in sorted(totals.vat_by_rate.items(), reverse=True):
        if vat:
            rows.append(_voucher_row(_account(accounts.vat_by_rate, rate, "utgående moms"), vat, debit=False))
    if totals.rounding:
        rows.append(_voucher_row(accounts.rounding, totals.rounding, debit=False))
    kind = "Kreditfaktura" if invoice.content.is_credit else "Faktura"
    text = f"{kind} {invoice.number}, {invoice.customer.name}"
    if invoice.content.is_credit and invoice.credits_number is not None:
        text += f" (krediterar faktura {invoice.credits_number})"
    return CustomerLedgerItemWithVoucher(
        customer_id=customer_id,
        invoice_number=invoice.number,
        invoice_date=invoice.invoice_date,
        due_date=invoice.due_date,
        currency_code="SEK",
        is_credit_invoice=invoice.content.is_credit,
        total_amount_invoice_currency=totals.total,
        remaining_amount_invoice_currency=totals.to_pay,
        vat_amount_invoice_currency=totals.vat,
        roundings_amount_invoice_currency=totals.rounding,
        voucher=Voucher(voucher_date=invoice.invoice_date, voucher_text=text[:1000], rows=rows),
    )


def _account(table: Mapping[Decimal, int], rate: Decimal, what: str) -> int:
    for known, account in table.items():
        if known == rate:
            return account
    raise MappingError(f"Inget konto för {what} med {_percent_text(rate)} % moms är inställt.")


def _voucher_row(account: int, amount: Decimal, *, debit: bool) -> VoucherRow:
    """A signed amount on its natural side; a negative one flips to the other side, positive."""
    on_debit = debit if amount >= 0 else not debit
    value = abs(amount)
    return VoucherRow(
        account_number=account,
        debit_amount=value if on_debit else ZERO,
        credit_amount=ZERO if on_debit else value,
    )


# --- Visma's totals, read back ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DocumentTotals:
    """The totals Visma computed for a document (signed as Visma signs them)."""

    total: Decimal
    vat: Decimal
    rounding: Decimal
    husavdrag: Decimal
    row_vat_percent: tuple[Decimal | None, ...] = ()
    customer_is_private_person: bool | None = None


def draft_totals(draft: CustomerInvoiceDraft) -> DocumentTotals:
    rows = [row for row in draft.rows or [] if not row.is_text_row]
    return DocumentTotals(
        total=to_ore(draft.total_amount or ZERO),
        vat=to_ore(draft.total_vat_amount or ZERO),
        rounding=to_ore(draft.total_roundings or ZERO),
        husavdrag=to_ore(draft.rot_reduced_invoicing_amount or ZERO),
        row_vat_percent=tuple(_fraction_percent(row.vat_rate) for row in rows),
        customer_is_private_person=draft.customer_is_private_person,
    )


def invoice_totals(invoice: CustomerInvoice) -> DocumentTotals:
    """The totals of a booked customer invoice (a draft converted in Visma), read like a draft's."""
    rows = [row for row in invoice.rows if not row.is_text_row]
    return DocumentTotals(
        total=to_ore(invoice.total_amount or ZERO),
        vat=to_ore(invoice.total_vat_amount or ZERO),
        rounding=to_ore(invoice.total_roundings or ZERO),
        husavdrag=to_ore(invoice.rot_reduced_invoicing_amount or ZERO),
        row_vat_percent=tuple(_fraction_percent(row.vat_rate) for row in rows),
        customer_is_private_person=invoice.customer_is_private_person,
    )


def _fraction_percent(value: Decimal | None) -> Decimal | None:
    if value is None:
        return None
    return (value * 100 if abs(value) <= 1 else value).normalize()


# --- the husavdrag claim in Visma (TaxDeductionStatus) ---------------------------------------------------------

# shared/visma/NOTES.md: 0 not paid yet, 1 ready to claim, 2 claimed at Skatteverket, 3 refused by Skatteverket.
# Visma has no state for an approved claim: Skatteverket's payout is entered as a decision in fakturabro.
_CLAIM_STATES = {
    0: ClaimState.AWAITING_PAYMENT,
    1: ClaimState.READY,
    2: ClaimState.REQUESTED,
    3: ClaimState.REFUSED,
}


# DomesticCurrencyRounding: 0 = None, 1 = HalfAwayFromZero (whole kronor, the Swedish öresavrundning).
_WHOLE_KRONA_ROUNDING = {0: False, 1: True}


def whole_krona_rounding(settings: CompanySettings) -> bool | None:
    """Whether the company rounds totals to whole kronor; None when Visma did not say (or said something new)."""
    if settings.domestic_currency_rounding is None:
        return None
    return _WHOLE_KRONA_ROUNDING.get(settings.domestic_currency_rounding)


def husavdrag_claim_state(invoice: CustomerInvoice) -> ClaimState | None:
    """The claim state of a Visma invoice with husavdrag; None without husavdrag or with a status we do not know."""
    if not invoice.rot_reduced_invoicing_amount or invoice.tax_deduction_status is None:
        return None
    return _CLAIM_STATES.get(invoice.tax_deduction_status)
