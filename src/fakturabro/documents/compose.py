"""From the invoice's read model, the customer and the company's details to the laid-out document.

Amounts are formatted with Babel's Swedish rules (``1 234,50 kr``) and a true minus sign (U+2212), once: a
credit invoice's amounts are negative by their value, never by an extra sign in the layout.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal

from babel.numbers import format_decimal

from fakturabro.documents.model import DocumentRow, HusavdragSection, InvoiceDocument, Line, Logo
from fakturabro.domain import invoice_document as legal
from fakturabro.domain.company import CompanyDetails
from fakturabro.domain.husavdrag import HusavdragKind
from fakturabro.domain.money import ZERO
from fakturabro.invoicing.views import CustomerView, InvoiceView, RowView

MINUS = "\u2212"
COST_LABELS = {"labour": "Arbetskostnad", "material": "Material", "other": "Övriga kostnader"}


def money(amount: Decimal) -> str:
    text = format_decimal(amount, format="#,##0.00", locale="sv_SE").replace("-", MINUS)
    return f"{text}\u00a0kr"


def number(value: Decimal) -> str:
    return str(format_decimal(value.normalize(), format="#,##0.##", locale="sv_SE")).replace("-", MINUS)


def day(value: date) -> str:
    return value.isoformat()  # the Swedish standard form, 2026-12-04


def compose(
    invoice: InvoiceView, customer: CustomerView, company: CompanyDetails, logo: Logo | None = None
) -> InvoiceDocument:
    is_draft = invoice.status == "draft"
    sign = Decimal(-1) if invoice.is_credit else Decimal(1)
    return InvoiceDocument(
        title=legal.title(is_credit=invoice.is_credit, is_draft=is_draft),
        number=None if is_draft or invoice.number is None else str(invoice.number),
        is_draft=is_draft,
        seller_name=company.name,
        seller_address=_address(company.address_line1, company.address_line2, company.postal_code, company.city),
        seller_contact=[text for text in (company.phone, company.email, company.website) if text],
        seller_legal=_seller_legal(company),
        buyer=_buyer(invoice, customer),
        facts=_facts(invoice, is_draft),
        rows=[_row(row, sign) for row in invoice.rows],
        vat_summary=_vat_summary(invoice, sign),
        totals=_totals(invoice),
        notes=_notes(invoice, is_draft),
        husavdrag=_husavdrag(invoice, sign),
        payment=_payment(invoice, company, is_draft),
        late_interest=None if invoice.is_credit else company.late_interest_text,
        logo=logo,
        footer=[company.name, *_seller_legal(company)],
    )


def _address(*parts: str | None) -> list[str]:
    line1, line2, postal_code, city = parts
    place = " ".join(part for part in (postal_code, city) if part)
    return [text for text in (line1, line2, place) if text]


def _seller_legal(company: CompanyDetails) -> list[str]:
    lines = []
    if company.org_number:
        lines.append(f"Org.nr {company.org_number}")
    if company.vat_number:
        lines.append(f"Momsreg.nr {company.vat_number}")
    if company.f_skatt:
        lines.append(legal.F_SKATT_TEXT)
    return lines


def _buyer(invoice: InvoiceView, customer: CustomerView) -> list[str]:
    lines = [
        customer.name,
        *_address(customer.address_line1, customer.address_line2, customer.postal_code, customer.city),
    ]
    if customer.country_code != "SE":
        lines.append(customer.country_code)
    if customer.org_number:
        lines.append(f"Org.nr {customer.org_number}")
    if invoice.reverse_charge and invoice.buyer_vat_number:
        lines.append(f"Köparens momsreg.nr {invoice.buyer_vat_number}")
    return lines


def _facts(invoice: InvoiceView, is_draft: bool) -> list[Line]:
    facts = [
        Line("Fakturadatum", day(invoice.invoice_date)),
        # No separate delivery date is recorded: the work is invoiced on the day it was supplied.
        Line("Leveransdatum", day(invoice.invoice_date)),
    ]
    if not invoice.is_credit:
        facts.append(Line("Förfallodag", day(invoice.due_date)))
    facts.append(Line("Kundnummer", invoice.customer_number))
    if invoice.your_reference:
        facts.append(Line("Er referens", invoice.your_reference))
    if invoice.our_reference:
        facts.append(Line("Vår referens", invoice.our_reference))
    if invoice.ocr and not is_draft and not invoice.is_credit:
        facts.append(Line("OCR-nummer", invoice.ocr, strong=True))
    return facts


def _row(row: RowView, sign: Decimal) -> DocumentRow:
    if row.kind == "text":
        return DocumentRow(row.article_number or "", row.text, "", "", "", "", "", is_text=True)
    text = row.text
    if row.kind == "labour" and row.hours is not None and row.unit not in ("tim", "h"):
        text += f" ({number(row.hours)} tim)"
    return DocumentRow(
        article_number=row.article_number or "",
        text=text,
        quantity=f"{number(row.quantity)} {row.unit}".strip(),
        unit_price=money(sign * row.unit_price),
        discount=f"{number(row.discount_percent)} %" if row.discount_percent else "",
        vat_rate=f"{number(row.vat_rate)} %",
        amount=money(sign * row.net),
    )


def _vat_summary(invoice: InvoiceView, sign: Decimal) -> list[Line]:
    rates = {Decimal(rate): amount for rate, amount in invoice.totals.vat.rates.items()}
    priced = [(row.vat_rate, sign * row.net) for row in invoice.rows if row.kind != "text"]
    lines = []
    for rate, base, vat in legal.base_and_vat_by_rate(priced, rates):
        label = f"Moms {number(rate)} % på {money(base)}"
        if invoice.reverse_charge:
            label = f"Moms (omvänd betalningsskyldighet) på {money(base)}"
        lines.append(Line(label, money(vat)))
    return lines


def _totals(invoice: InvoiceView) -> list[Line]:
    totals = invoice.totals
    lines = [Line("Summa exkl. moms", money(totals.net)), Line("Moms", money(totals.vat.total))]
    if totals.rounding:
        lines.append(Line("Öresavrundning", money(totals.rounding)))
    lines.append(Line("Summa inkl. moms", money(totals.total), strong=not invoice.house_work))
    if invoice.house_work:
        lines.append(Line("Preliminär skattereduktion", money(-totals.house_work_deduction)))
        lines.append(Line("Att betala", money(totals.to_pay), strong=True))
    return lines


def _notes(invoice: InvoiceView, is_draft: bool) -> list[str]:
    notes = []
    if is_draft:
        notes.append(legal.draft_note())
    if invoice.is_credit:
        notes.append(legal.credit_note(invoice.credits_invoice_number, invoice.credit_reason))
    if invoice.reverse_charge:
        notes.append(legal.REVERSE_CHARGE_NOTE)
    return notes


def _husavdrag(invoice: InvoiceView, sign: Decimal) -> HusavdragSection | None:
    work = invoice.house_work
    if work is None:
        return None
    costs: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for row in invoice.rows:
        if row.kind in COST_LABELS:
            costs[row.kind] += legal.gross(sign * row.net, row.vat_rate, reverse_charge=invoice.reverse_charge)
    cost_lines = [Line(f"{label} inkl. moms", money(costs[kind])) for kind, label in COST_LABELS.items()]
    buyers = [
        Line(f"Köpare {_personnummer(person.personal_number)} ({number(person.share)} %)", money(-person.deduction))
        for person in work.persons
    ]
    place = None
    if work.property_designation:
        place = f"Fastighetsbeteckning: {work.property_designation}"
    elif work.housing_coop_org_number:
        place = f"Bostadsrättsförening org.nr {work.housing_coop_org_number}, lägenhetsnummer {work.apartment_number}"
    return HusavdragSection(
        heading=f"{HusavdragKind(work.type).label} – preliminär skattereduktion",
        costs=cost_lines,
        buyers=buyers,
        place=place,
        note=legal.HUSAVDRAG_PRELIMINARY_NOTE,
    )


def _personnummer(value: str) -> str:
    return f"{value[:8]}-{value[8:]}" if len(value) == 12 and value.isdigit() else value


def _payment(invoice: InvoiceView, company: CompanyDetails, is_draft: bool) -> list[Line]:
    if invoice.is_credit:
        return [Line("Kreditbelopp", money(invoice.totals.to_pay), strong=True)]
    lines = [Line("Att betala", money(invoice.totals.to_pay), strong=True)]
    lines.append(Line("Förfallodag", day(invoice.due_date)))
    if company.bankgiro:
        lines.append(Line("Bankgiro", company.bankgiro))
    if company.plusgiro:
        lines.append(Line("Plusgiro", company.plusgiro))
    if company.iban:
        lines.append(Line("IBAN", company.iban))
    if company.bic:
        lines.append(Line("BIC", company.bic))
    if invoice.ocr and not is_draft:
        lines.append(Line("OCR-nummer", invoice.ocr, strong=True))
    return lines
