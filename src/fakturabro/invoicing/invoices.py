"""Invoices: write a draft, approve it (number + frozen totals), credit it, delete a draft.

A draft is validated with the domain's rules every time it is saved, so the user sees problems while
writing; approval validates again (the customer may have changed) and freezes the invoice.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import TypeVar

import structlog

from fakturabro.domain.company import CompanyDetails, missing_for_invoice
from fakturabro.domain.customer import CustomerFacts, customer_kind
from fakturabro.domain.errors import Conflict, ErrorCollector, NotFound, ValidationFailed
from fakturabro.domain.events import EventType
from fakturabro.domain.husavdrag import HouseWorkType
from fakturabro.domain.identity import normalize_orgnr, normalize_personnummer
from fakturabro.domain.invoice import (
    HusavdragClaim,
    HusavdragPerson,
    InvoiceContent,
    InvoiceRow,
    InvoiceStatus,
    RowKind,
    Totals,
    compute_totals,
    validate_invoice,
)
from fakturabro.domain.money import ZERO, format_sek
from fakturabro.domain.ocr import ocr_reference
from fakturabro.invoicing.company_settings import company_details
from fakturabro.invoicing.content import stored_content, totals_content
from fakturabro.invoicing.inputs import CreditInput, CreditRowInput, HouseWorkInput, InvoiceInput, RowInput
from fakturabro.invoicing.settlement import settle
from fakturabro.invoicing.views import InvoiceView
from fakturabro.invoicing.views_builder import invoice_view, load_settlements, swedish_today
from fakturabro.store import models
from fakturabro.store.company_rounding import company_whole_krona_rounding
from fakturabro.store.database import Database
from fakturabro.store.events import record_invoice_event
from fakturabro.store.external_ids import assign_external_id
from fakturabro.store.repositories import ArticleRepository, CustomerRepository, InvoiceRepository, Transaction
from fakturabro.store.series import INVOICE_SERIES, take_next

log = structlog.get_logger(__name__)
T = TypeVar("T")

OnApproved = Callable[[int, int], None]
"""Called with (company id, invoice id) after an approval has committed (the export starts here)."""

MAX_INVOICE_TOTAL = Decimal(10) ** 12  # far above any real invoice, far below the columns' limit
EARLIEST_DATE = date(2000, 1, 1)
LATEST_DATE = date(2099, 12, 31)


def create_invoice(db: Database, company_id: int, data: InvoiceInput) -> InvoiceView:
    with db.transaction() as session:
        invoices = InvoiceRepository(session, company_id)
        original = _original(invoices, data.credits_invoice_id)
        customer = _customer_for(session, company_id, data, original)
        invoice = models.Invoice(
            company_id=company_id,
            customer_id=customer.id,
            status=InvoiceStatus.DRAFT.value,
            credits_invoice_id=original.id if original else None,
            created_at=db.clock(),
        )
        _write(session, db, invoice, customer, data, original)
        invoices.add(invoice)
        record_invoice_event(session, invoice, EventType.INVOICE_CREATED, db.clock())
        return invoice_view(session, invoice, db.cipher, today=swedish_today(db.clock()))


def update_invoice(db: Database, company_id: int, invoice_id: int, data: InvoiceInput) -> InvoiceView:
    with db.transaction() as session:
        invoices = InvoiceRepository(session, company_id)
        invoice = _load(invoices, invoice_id, for_update=True)
        _ensure_draft(invoice, "ändras")
        if data.credits_invoice_id is not None and data.credits_invoice_id != invoice.credits_invoice_id:
            raise ValidationFailed.single(
                ("credits_invoice_id",), "Vilken faktura som krediteras kan inte ändras.", "immutable"
            )
        original = _original(invoices, invoice.credits_invoice_id)
        customer = _customer_for(session, company_id, data, original)
        invoice.customer_id = customer.id
        invoice.customer = customer
        _write(session, db, invoice, customer, data, original)
        invoices.flush()
        return invoice_view(session, invoice, db.cipher, today=swedish_today(db.clock()))


def approve_invoice(
    db: Database, company_id: int, invoice_id: int, on_approved: Iterable[OnApproved] = ()
) -> InvoiceView:
    """Validate, number and freeze a draft in one transaction; then tell ``on_approved`` (the export)."""
    with db.transaction() as session:
        invoices = InvoiceRepository(session, company_id)
        invoice = _load(invoices, invoice_id, for_update=True)
        _ensure_draft(invoice, "godkännas")
        content = totals_content(session, invoice, db.cipher.decrypt)
        validate_invoice(content, _facts(invoice.customer))
        company = _complete_company(session, company_id, husavdrag=invoice.house_work_kind is not None)
        invoice.number = take_next(session, company_id, INVOICE_SERIES)
        invoice.ocr = ocr_reference(invoice.number, company.ocr_mode)
        _freeze(invoice, compute_totals(content), content.whole_krona_rounding)
        invoice.status = InvoiceStatus.APPROVED.value
        invoice.approved_at = invoice.updated_at = db.clock()
        invoices.flush()
        record_invoice_event(session, invoice, EventType.INVOICE_APPROVED, db.clock())
        if invoice.credits_invoice_id is not None:
            original = _load(invoices, invoice.credits_invoice_id, for_update=True)
            _ensure_not_over_credited(invoices, original, invoice, db)
            settle(session, original, db.clock())
        view = invoice_view(session, invoice, db.cipher, today=swedish_today(db.clock()))
    callbacks = tuple(on_approved)
    for callback in callbacks:
        try:
            callback(company_id, invoice_id)
        except Exception:
            # The approval stands; an export that did not start is picked up by "export pending".
            log.exception("on_approved callback failed", company_id=company_id, invoice_id=invoice_id)
    # Read again so the answer shows what the callbacks recorded (e.g. the export waiting).
    return get_invoice(db, company_id, invoice_id) if callbacks else view


def _complete_company(session: Transaction, company_id: int, *, husavdrag: bool) -> CompanyDetails:
    """The company's details, when they hold everything the invoice must carry (mervärdesskattelagen 17 kap.)."""
    company = company_details(session, company_id)
    missing = missing_for_invoice(company, husavdrag=husavdrag)
    if missing:
        raise Conflict(
            "Fakturan kan inte godkännas förrän företagets uppgifter är ifyllda under Inställningar → Företaget. "
            f"Det saknas: {', '.join(missing)}.",
            "company_details_missing",
        )
    return company


def credit_invoice(
    db: Database,
    company_id: int,
    invoice_id: int,
    approve: bool = False,
    on_approved: Iterable[OnApproved] = (),
    choice: CreditInput | None = None,
) -> InvoiceView:
    """A credit invoice of the original: all its rows, or the rows and quantities ``choice`` names, with the
    reason it gives; approving it settles the original. Nothing is written when the choice is wrong."""
    with db.transaction() as session:
        invoices = InvoiceRepository(session, company_id)
        original = _original(invoices, invoice_id)
        assert original is not None
        credit = models.Invoice(
            company_id=company_id,
            customer_id=original.customer_id,
            status=InvoiceStatus.DRAFT.value,
            credits_invoice_id=original.id,
            credit_reason=(choice.reason or "").strip() or None if choice else None,
            created_at=db.clock(),
        )
        data = _copy_of(original, db)
        if choice is not None and choice.rows is not None:
            data = data.model_copy(update={"rows": _chosen_rows(data.rows, choice.rows)})
        _write(session, db, credit, original.customer, data, original)
        _ensure_not_over_credited(invoices, original, credit, db)
        invoices.add(credit)
        record_invoice_event(session, credit, EventType.INVOICE_CREATED, db.clock())
        credit_id = credit.id
        view = invoice_view(session, credit, db.cipher, today=swedish_today(db.clock()))
    return approve_invoice(db, company_id, credit_id, on_approved) if approve else view


def _chosen_rows(rows: Sequence[RowInput], chosen: Sequence[CreditRowInput]) -> list[RowInput]:
    """The original's rows the user chose, each with the quantity to credit (hours follow the quantity)."""
    errors = ErrorCollector()
    picked: list[RowInput] = []
    seen: set[int] = set()
    for index, choice in enumerate(chosen):
        where = ("rows", index, "quantity")
        if choice.position >= len(rows) or choice.position in seen:
            errors.add(("rows", index, "position"), "Raden finns inte på fakturan (eller är vald två gånger).", "row")
            continue
        seen.add(choice.position)
        row = rows[choice.position]
        full = row.quantity or ZERO
        if choice.quantity > full:
            errors.add(where, f"Högst {full.normalize():f} kan krediteras på raden ”{row.text}”.", "too_much")
            continue
        hours = (
            None if row.hours is None or not full else (row.hours * choice.quantity / full).quantize(Decimal("0.01"))
        )
        picked.append(row.model_copy(update={"quantity": choice.quantity, "hours": hours}))
    errors.raise_if_any()
    return picked


def _ensure_not_over_credited(
    invoices: InvoiceRepository, original: models.Invoice, credit: models.Invoice, db: Database
) -> None:
    """All credits of an invoice together never take off more than the invoice asked for."""
    if original.to_pay is None:
        return
    invoices.flush()
    this_credit = -compute_totals(totals_content(invoices.session, credit, db.cipher.decrypt)).to_pay
    others = [
        c.to_pay
        for c in invoices.credits_for([original.id])
        if c.id != credit.id and c.status != InvoiceStatus.DRAFT.value and c.to_pay is not None
    ]
    already = -sum(others, ZERO)
    if abs(already + this_credit) > abs(original.to_pay):
        left = format_sek(abs(original.to_pay) - abs(already))
        raise Conflict(
            f"Krediteringen är större än det som finns kvar att kreditera på fakturan ({left}).",
            "over_credited",
            ("rows",),
        )


def delete_draft(db: Database, company_id: int, invoice_id: int) -> None:
    with db.transaction() as session:
        invoices = InvoiceRepository(session, company_id)
        invoice = _load(invoices, invoice_id, for_update=True)
        _ensure_draft(invoice, "tas bort")
        invoices.delete(invoice)


def get_invoice(db: Database, company_id: int, invoice_id: int) -> InvoiceView:
    with db.transaction() as session:
        return invoice_view(
            session, load_invoice(session, company_id, invoice_id), db.cipher, today=swedish_today(db.clock())
        )


def list_invoices(
    db: Database,
    company_id: int,
    status: InvoiceStatus | None = None,
    customer_number: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[InvoiceView]:
    """Newest first; personnummer masked (open one invoice to see them in full)."""
    with db.transaction() as session:
        invoices = InvoiceRepository(session, company_id)
        found = invoices.newest_first(status.value if status else None, customer_number, limit, offset)
        settlements = load_settlements(invoices, [invoice.id for invoice in found])
        today = swedish_today(db.clock())
        return [
            invoice_view(session, invoice, db.cipher, mask=True, settlements=settlements, today=today)
            for invoice in found
        ]


def load_invoice(session: Transaction, company_id: int, invoice_id: int, for_update: bool = False) -> models.Invoice:
    return _load(InvoiceRepository(session, company_id), invoice_id, for_update)


def _load(invoices: InvoiceRepository, invoice_id: int, for_update: bool = False) -> models.Invoice:
    invoice = invoices.get(invoice_id, for_update)
    if invoice is None:
        raise NotFound("Fakturan", invoice_id)
    return invoice


@dataclass(frozen=True)
class DraftTotals:
    """What a draft would come to, computed without saving it.

    ``totals`` is None while they cannot be computed yet (e.g. husavdrag shares that do not add up); ``problems``
    are the Swedish messages saving or approving would give, each once (none: ready to approve).
    """

    totals: Totals | None
    problems: tuple[str, ...]


def preview_totals(db: Database, company_id: int, data: InvoiceInput) -> DraftTotals:
    """The live totals of a draft being written: the content saving would build from ``data`` (articles' values
    filling what the input leaves empty, by the same function), checked by the same rules. Nothing is written."""
    problems = ErrorCollector()
    with db.transaction() as session:
        original = _original(InvoiceRepository(session, company_id), data.credits_invoice_id)
        try:
            customer: models.Customer | None = _customer_for(session, company_id, data, original)
        except ValidationFailed as failed:
            customer = None
            problems.errors += failed.errors
        invoice_date = data.invoice_date or db.clock().date()
        content = _content(session, company_id, data, invoice_date, customer, original, problems)
        facts = _facts(customer) if customer else None
    if facts is not None:
        try:
            validate_invoice(content, facts)
        except ValidationFailed as failed:
            problems.errors += failed.errors
    try:
        totals: Totals | None = compute_totals(content)
    except (ArithmeticError, LookupError, ValueError):
        totals = None
    if totals is not None and abs(totals.total) > MAX_INVOICE_TOTAL:
        problems.errors += _too_large().errors
    return DraftTotals(totals, tuple(dict.fromkeys(error.message for error in problems.errors)))


# --- writing a draft -----------------------------------------------------------------------------------


def _write(
    session: Transaction,
    db: Database,
    invoice: models.Invoice,
    customer: models.Customer,
    data: InvoiceInput,
    original: models.Invoice | None,
) -> None:
    """Check ``data`` completely, then replace the draft's content with it (nothing is written on error)."""
    errors = ErrorCollector()
    invoice_date = data.invoice_date or db.clock().date()
    content = _content(session, invoice.company_id, data, invoice_date, customer, original, errors)
    errors.raise_if_any()
    validate_invoice(content, _facts(customer))
    if abs(compute_totals(content).total) > MAX_INVOICE_TOTAL:
        raise _too_large()

    invoice.invoice_date = invoice_date
    terms = company_details(session, invoice.company_id).payment_terms_days
    invoice.due_date = data.due_date or invoice_date + timedelta(days=terms)
    invoice.your_reference = data.your_reference
    invoice.our_reference = data.our_reference
    assign_external_id(session, invoice, data.external_id)
    invoice.reverse_charge = content.reverse_charge
    invoice.updated_at = db.clock()
    invoice.rows = [_stored_row(index, row) for index, row in enumerate(content.rows)]
    _write_claim(invoice, content.husavdrag, db)


def _content(
    session: Transaction,
    company_id: int,
    data: InvoiceInput,
    invoice_date: date,
    customer: models.Customer | None,
    original: models.Invoice | None,
    errors: ErrorCollector,
) -> InvoiceContent:
    """The domain's invoice ``data`` describes: rows with their articles' defaults, the customer's reverse charge
    unless the input says otherwise; dates and unknown articles go to ``errors``."""
    _check_dates(invoice_date, data.due_date, errors)
    rows = _rows(session, company_id, data.rows, errors)
    if data.reverse_charge is not None:
        reverse_charge = data.reverse_charge
    else:
        reverse_charge = customer.reverse_charge if customer else False
    rates_date = original.invoice_date if original else invoice_date  # a credit mirrors its original's rates
    claim = _claim(data.house_work)
    content = InvoiceContent(rates_date, tuple(rows), reverse_charge, claim, is_credit=original is not None)
    if original is not None:
        return dataclasses.replace(content, whole_krona_rounding=stored_content(original).whole_krona_rounding)
    return dataclasses.replace(content, whole_krona_rounding=company_whole_krona_rounding(session, company_id))


def _too_large() -> ValidationFailed:
    return ValidationFailed.single(("rows",), "Fakturans belopp är orimligt stort.", "out_of_range")


def _check_dates(invoice_date: date, due_date: date | None, errors: ErrorCollector) -> None:
    if not EARLIEST_DATE <= invoice_date <= LATEST_DATE:
        errors.add(("invoice_date",), "Fakturadatumet måste vara mellan år 2000 och 2099.", "out_of_range")
    if due_date is not None and not invoice_date <= due_date <= LATEST_DATE:
        errors.add(("due_date",), "Förfallodagen måste vara samma dag som fakturadatumet eller senare.", "out_of_range")


def _rows(session: Transaction, company_id: int, given: Sequence[RowInput], errors: ErrorCollector) -> list[InvoiceRow]:
    numbers = {row.article_number for row in given if row.article_number}
    articles = ArticleRepository(session, company_id).by_numbers(numbers)
    rows = []
    for index, row in enumerate(given):
        article = articles.get(row.article_number) if row.article_number else None
        if row.article_number and article is None:
            errors.add(
                ("rows", index, "article_number"),
                f"Artikelnummer {row.article_number} finns inte i artikelregistret.",
                "unknown_article",
            )
        rows.append(_row_with_defaults(row, article))
    return rows


def _row_with_defaults(row: RowInput, article: models.Article | None) -> InvoiceRow:
    """Explicit values win; then the article's; then plain defaults (a row with only text is a text row)."""
    kind = row.kind or (RowKind(article.kind) if article else _guess_kind(row))
    article_type = HouseWorkType(article.house_work_type) if article and article.house_work_type else None
    return InvoiceRow(
        kind=kind,
        text=row.text if row.text is not None else (article.name if article else ""),
        article_number=row.article_number,
        quantity=_first(row.quantity, ZERO if kind is RowKind.TEXT else Decimal(1)),
        unit=_first(row.unit, article.unit if article else ""),
        unit_price=_first(row.unit_price, article.unit_price if article else ZERO),
        vat_rate=_first(row.vat_rate, article.vat_rate if article else Decimal(25)),
        discount_percent=_first(row.discount_percent, ZERO),
        hours=row.hours,
        house_work_type=row.house_work_type or article_type,
    )


def _guess_kind(row: RowInput) -> RowKind:
    if row.hours is not None:
        return RowKind.LABOUR
    if row.quantity is None and row.unit_price is None:
        return RowKind.TEXT
    return RowKind.OTHER


def _first(value: T | None, default: T) -> T:
    return default if value is None else value


def _claim(data: HouseWorkInput | None) -> HusavdragClaim | None:
    if data is None:
        return None
    return HusavdragClaim(
        kind=data.type,
        persons=tuple(HusavdragPerson(p.personal_number, p.share) for p in data.persons),
        property_designation=data.property_designation or None,
        housing_coop_org_number=data.housing_coop_org_number or None,
        apartment_number=data.apartment_number or None,
    )


def _write_claim(invoice: models.Invoice, claim: HusavdragClaim | None, db: Database) -> None:
    """Store the husavdrag claim in normal form; personnummer encrypted."""
    invoice.house_work_kind = claim.kind.value if claim else None
    invoice.property_designation = claim.property_designation if claim else None
    coop = claim.housing_coop_org_number if claim else None
    invoice.housing_coop_org_number = normalize_orgnr(coop) if coop else None
    invoice.apartment_number = claim.apartment_number if claim else None
    invoice.house_work_persons = [
        models.HouseWorkPerson(
            position=index,
            personal_number_encrypted=db.cipher.encrypt(normalize_personnummer(person.personal_number)),
            share=person.share,
        )
        for index, person in enumerate(claim.persons if claim else ())
    ]


def _stored_row(position: int, row: InvoiceRow) -> models.InvoiceRow:
    return models.InvoiceRow(
        position=position,
        kind=row.kind.value,
        article_number=row.article_number,
        text=row.text,
        quantity=row.quantity,
        unit=row.unit,
        unit_price=row.unit_price,
        vat_rate=row.vat_rate,
        discount_percent=row.discount_percent,
        hours=row.hours,
        house_work_type=row.house_work_type.value if row.house_work_type else None,
    )


# --- helpers -------------------------------------------------------------------------------------------


def _facts(customer: models.Customer) -> CustomerFacts:
    return CustomerFacts(customer_kind(customer.org_number), customer.vat_number, customer.reverse_charge)


def _ensure_draft(invoice: models.Invoice, verb: str) -> None:
    if invoice.status != InvoiceStatus.DRAFT.value:
        raise Conflict(
            f"Fakturan är {InvoiceStatus(invoice.status).label.lower()} och kan inte {verb}; den kan bara krediteras.",
            "not_a_draft",
            ("status",),
        )


def _original(invoices: InvoiceRepository, invoice_id: int | None) -> models.Invoice | None:
    """The invoice a credit invoice credits: approved, of this company, not itself a credit invoice."""
    if invoice_id is None:
        return None
    original = _load(invoices, invoice_id)
    if original.status == InvoiceStatus.DRAFT.value:
        raise Conflict(
            "Ett utkast kan inte krediteras; ta bort det i stället.", "credit_of_draft", ("credits_invoice_id",)
        )
    if original.credits_invoice_id is not None:
        raise Conflict("En kreditfaktura kan inte krediteras.", "credit_of_credit", ("credits_invoice_id",))
    return original


def _customer_for(
    session: Transaction, company_id: int, data: InvoiceInput, original: models.Invoice | None
) -> models.Customer:
    if original is not None:
        if data.customer_number and data.customer_number != original.customer.customer_number:
            raise ValidationFailed.single(
                ("customer_number",), "En kreditfaktura går till samma kund som originalet.", "customer_mismatch"
            )
        return original.customer
    if not data.customer_number:
        raise ValidationFailed.single(("customer_number",), "Välj en kund.", "required")
    customer = CustomerRepository(session, company_id).by_number(data.customer_number)
    if customer is None:
        raise ValidationFailed.single(
            ("customer_number",), f"Kundnummer {data.customer_number} finns inte.", "unknown_customer"
        )
    return customer


def _copy_of(original: models.Invoice, db: Database) -> InvoiceInput:
    content = stored_content(original, db.cipher.decrypt)
    claim = content.husavdrag
    return InvoiceInput.model_validate(
        {
            "invoice_date": db.clock().date(),
            "your_reference": original.your_reference,
            "our_reference": original.our_reference,
            "reverse_charge": original.reverse_charge,
            "rows": [
                {
                    "article_number": row.article_number,
                    "text": row.text,
                    "quantity": row.quantity,
                    "unit": row.unit,
                    "unit_price": row.unit_price,
                    "vat_rate": row.vat_rate,
                    "kind": row.kind,
                    "hours": row.hours,
                    "discount_percent": row.discount_percent,
                    "house_work_type": row.house_work_type,
                }
                for row in content.rows
            ],
            "house_work": None
            if claim is None
            else {
                "type": claim.kind,
                "persons": [{"personal_number": p.personal_number, "share": p.share} for p in claim.persons],
                "property_designation": claim.property_designation,
                "housing_coop_org_number": claim.housing_coop_org_number,
                "apartment_number": claim.apartment_number,
            },
        }
    )


def _freeze(invoice: models.Invoice, totals: Totals, whole_krona_rounding: bool) -> None:
    invoice.net = totals.net
    invoice.vat = totals.vat
    invoice.vat_by_rate = json.dumps({_rate_key(rate): str(vat) for rate, vat in totals.vat_by_rate.items()})
    invoice.rounding = totals.rounding
    invoice.whole_krona_rounding = whole_krona_rounding
    invoice.total = totals.total
    invoice.house_work_deduction = totals.husavdrag
    invoice.to_pay = totals.to_pay
    for person, amount in zip(invoice.house_work_persons, totals.husavdrag_by_person, strict=True):
        person.deduction = amount


def _rate_key(rate: Decimal) -> str:
    return f"{rate.normalize():f}"
