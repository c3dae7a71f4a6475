"""Inställningar → Företaget: the company's details for its invoices, its logo and its next invoice number.

Everything is checked before anything is written: a bad value gives a field-level Swedish message and saves
nothing. ``company_details`` is what approval and the invoice document read.
"""

from __future__ import annotations

from pydantic import BaseModel, Field

from fakturabro.domain.company import (
    DEFAULT_LATE_INTEREST_TEXT,
    DEFAULT_PAYMENT_TERMS_DAYS,
    MAX_PAYMENT_TERMS_DAYS,
    CompanyDetails,
    clean_bankgiro,
    clean_bic,
    clean_iban,
    clean_org_number,
    clean_plusgiro,
    clean_vat_number,
    missing_for_invoice,
)
from fakturabro.domain.errors import ErrorCollector, FieldError, NotFound
from fakturabro.domain.ocr import OcrMode
from fakturabro.invoicing.inputs import MAX_ID, Email, Name, OptionalName, OptionalShort, _Input
from fakturabro.store.company_models import CompanySettings
from fakturabro.store.company_repository import CompanySettingsRepository
from fakturabro.store.database import Database
from fakturabro.store.models import Company
from fakturabro.store.repositories import CompanyRepository, Transaction
from fakturabro.store.series import INVOICE_SERIES, next_value, set_next

MAX_LATE_INTEREST_TEXT = 500


class CompanySettingsInput(_Input):
    """The whole settings form (PUT replaces every field; the logo has its own endpoint)."""

    name: Name
    org_number: OptionalShort = None
    vat_number: OptionalShort = Field(None, description="Empty: SE + org nr + 01")
    address_line1: OptionalName = None
    address_line2: OptionalName = None
    postal_code: OptionalShort = None
    city: OptionalName = None
    phone: OptionalShort = None
    email: Email = None
    website: OptionalName = None
    f_skatt: bool = False
    bankgiro: OptionalShort = None
    plusgiro: OptionalShort = None
    iban: OptionalShort = None
    bic: OptionalShort = None
    payment_terms_days: int = Field(DEFAULT_PAYMENT_TERMS_DAYS, ge=0, le=MAX_PAYMENT_TERMS_DAYS)
    late_interest_text: str | None = Field(DEFAULT_LATE_INTEREST_TEXT, max_length=MAX_LATE_INTEREST_TEXT)
    next_invoice_number: int | None = Field(None, ge=1, le=MAX_ID, description="Never below a number used")
    ocr_mode: OcrMode = OcrMode.LUHN


class CompanySettingsView(BaseModel):
    id: int
    name: str
    org_number: str | None
    vat_number: str | None
    address_line1: str | None
    address_line2: str | None
    postal_code: str | None
    city: str | None
    phone: str | None
    email: str | None
    website: str | None
    f_skatt: bool
    bankgiro: str | None
    plusgiro: str | None
    iban: str | None
    bic: str | None
    payment_terms_days: int
    late_interest_text: str | None
    next_invoice_number: int
    ocr_mode: OcrMode
    logo_content_type: str | None = Field(description="image/png | image/jpeg | image/svg+xml; None: no logo")


def get_company_settings(db: Database, company_id: int) -> CompanySettingsView:
    with db.transaction() as session:
        return _view(session, company_id)


def update_company_settings(db: Database, company_id: int, data: CompanySettingsInput) -> CompanySettingsView:
    with db.transaction() as session:
        company = _company(session, company_id)
        repository = CompanySettingsRepository(session, company_id)
        errors = ErrorCollector()
        details = _checked_against_books(session, company, data, errors)
        errors.raise_if_any()
        company.name = details.name
        row = repository.get(for_update=True)
        if row is None:
            row = CompanySettings(company_id=company_id, updated_at=db.clock())
            _store(row, details)
            repository.add(row)
        else:
            _store(row, details)
            row.updated_at = db.clock()
        if data.next_invoice_number is not None:
            set_next(session, company_id, INVOICE_SERIES, data.next_invoice_number)
        session.flush()
        return _view(session, company_id)


def company_settings_errors(db: Database, company_id: int, data: CompanySettingsInput) -> list[FieldError]:
    """Everything wrong with ``data``, checked as a save would check it, with nothing written (a form shows these
    beside the errors of fields it could not even read)."""
    with db.transaction() as session:
        errors = ErrorCollector()
        _checked_against_books(session, _company(session, company_id), data, errors)
        return errors.errors


def _checked_against_books(
    session: Transaction, company: Company, data: CompanySettingsInput, errors: ErrorCollector
) -> CompanyDetails:
    details = _checked(data, errors)
    lowest = CompanySettingsRepository(session, company.id).highest_invoice_number() + 1
    if data.next_invoice_number is not None and data.next_invoice_number < lowest:
        errors.add(
            ("next_invoice_number",),
            f"Nästa fakturanummer kan inte vara lägre än {lowest}: nummer {lowest - 1} är redan använt.",
            "number_used",
        )
    if details.name != company.name and CompanyRepository(session).name_taken(details.name):
        errors.add(("name",), f"Det finns redan ett företag som heter {details.name}.", "duplicate_company")
    return details


def set_logo(db: Database, company_id: int, logo: bytes, content_type: str) -> CompanySettingsView:
    """Store an already checked logo (``documents.logo.checked_logo``)."""
    with db.transaction() as session:
        company = _company(session, company_id)
        repository = CompanySettingsRepository(session, company_id)
        row = repository.get(for_update=True)
        if row is None:
            row = CompanySettings(company_id=company_id, updated_at=db.clock())
            _store(row, CompanyDetails(name=company.name))
            repository.add(row)
        row.logo, row.logo_content_type, row.updated_at = logo, content_type, db.clock()
        session.flush()
        return _view(session, company_id)


def remove_logo(db: Database, company_id: int) -> CompanySettingsView:
    with db.transaction() as session:
        _company(session, company_id)
        row = CompanySettingsRepository(session, company_id).get(for_update=True)
        if row is not None:
            row.logo = row.logo_content_type = None
            row.updated_at = db.clock()
        return _view(session, company_id)


def company_logo(db: Database, company_id: int) -> tuple[bytes, str] | None:
    """The logo's bytes and content type, or None."""
    with db.transaction() as session:
        row = CompanySettingsRepository(session, company_id).get()
        if row is None or row.logo is None or row.logo_content_type is None:
            return None
        return row.logo, row.logo_content_type


def missing_details(db: Database, company_id: int) -> tuple[list[str], list[str]]:
    """What approval will ask for: missing for every invoice, and missing only for husavdrag invoices."""
    with db.transaction() as session:
        details = company_details(session, company_id)
    always = missing_for_invoice(details, husavdrag=False)
    return always, [item for item in missing_for_invoice(details, husavdrag=True) if item not in always]


def company_details(session: Transaction, company_id: int) -> CompanyDetails:
    """What the company's invoices carry, read inside the caller's transaction."""
    company = _company(session, company_id)
    row = CompanySettingsRepository(session, company_id).get()
    return _details(company, row)


def _details(company: Company, row: CompanySettings | None) -> CompanyDetails:
    if row is None:
        return CompanyDetails(name=company.name)
    return CompanyDetails(
        name=company.name,
        org_number=row.org_number,
        vat_number=row.vat_number,
        address_line1=row.address_line1,
        address_line2=row.address_line2,
        postal_code=row.postal_code,
        city=row.city,
        phone=row.phone,
        email=row.email,
        website=row.website,
        f_skatt=row.f_skatt,
        bankgiro=row.bankgiro,
        plusgiro=row.plusgiro,
        iban=row.iban,
        bic=row.bic,
        payment_terms_days=row.payment_terms_days,
        late_interest_text=row.late_interest_text,
        ocr_mode=OcrMode(row.ocr_mode),
    )


def _checked(data: CompanySettingsInput, errors: ErrorCollector) -> CompanyDetails:
    org_number = clean_org_number(data.org_number, errors)
    vat_number = clean_vat_number(data.vat_number, org_number, errors)
    return CompanyDetails(
        name=data.name.strip(),
        org_number=org_number,
        vat_number=vat_number,
        address_line1=_text(data.address_line1),
        address_line2=_text(data.address_line2),
        postal_code=_text(data.postal_code),
        city=_text(data.city),
        phone=_text(data.phone),
        email=_text(data.email),
        website=_text(data.website),
        f_skatt=data.f_skatt,
        bankgiro=clean_bankgiro(data.bankgiro, errors),
        plusgiro=clean_plusgiro(data.plusgiro, errors),
        iban=clean_iban(data.iban, errors),
        bic=clean_bic(data.bic, errors),
        payment_terms_days=data.payment_terms_days,
        late_interest_text=_text(data.late_interest_text),
        ocr_mode=data.ocr_mode,
    )


def _store(row: CompanySettings, details: CompanyDetails) -> None:
    row.org_number, row.vat_number = details.org_number, details.vat_number
    row.address_line1, row.address_line2 = details.address_line1, details.address_line2
    row.postal_code, row.city = details.postal_code, details.city
    row.phone, row.email, row.website = details.phone, details.email, details.website
    row.f_skatt = details.f_skatt
    row.bankgiro, row.plusgiro, row.iban, row.bic = details.bankgiro, details.plusgiro, details.iban, details.bic
    row.payment_terms_days = details.payment_terms_days
    row.late_interest_text = details.late_interest_text
    row.ocr_mode = details.ocr_mode.value


def _view(session: Transaction, company_id: int) -> CompanySettingsView:
    company = _company(session, company_id)
    row = CompanySettingsRepository(session, company_id).get()
    details = _details(company, row)
    return CompanySettingsView(
        id=company.id,
        name=details.name,
        org_number=details.org_number,
        vat_number=details.vat_number,
        address_line1=details.address_line1,
        address_line2=details.address_line2,
        postal_code=details.postal_code,
        city=details.city,
        phone=details.phone,
        email=details.email,
        website=details.website,
        f_skatt=details.f_skatt,
        bankgiro=details.bankgiro,
        plusgiro=details.plusgiro,
        iban=details.iban,
        bic=details.bic,
        payment_terms_days=details.payment_terms_days,
        late_interest_text=details.late_interest_text,
        next_invoice_number=next_value(session, company_id, INVOICE_SERIES),
        ocr_mode=details.ocr_mode,
        logo_content_type=row.logo_content_type if row else None,
    )


def _company(session: Transaction, company_id: int) -> Company:
    company = CompanyRepository(session).get(company_id)
    if company is None:
        raise NotFound("Företaget", company_id)
    return company


def _text(value: str | None) -> str | None:
    return value.strip() or None if value else None
