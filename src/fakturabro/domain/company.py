"""The seller's details an invoice must carry (mervärdesskattelagen 2023:200, 17 kap.), and how they are checked.

Payment accounts are checked with python-stdnum: bankgiro and plusgiro numbers end in a modulus-10 check digit,
IBAN by its ISO 13616 checksum, BIC by its ISO 9362 form.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from stdnum import bic as stdnum_bic
from stdnum import iban as stdnum_iban
from stdnum import luhn
from stdnum.exceptions import ValidationError as StdnumError

from fakturabro.domain.errors import ErrorCollector
from fakturabro.domain.identity import InvalidIdentityNumber, normalize_orgnr, normalize_vat_number
from fakturabro.domain.ocr import OcrMode

DEFAULT_PAYMENT_TERMS_DAYS = 30
MAX_PAYMENT_TERMS_DAYS = 365
DEFAULT_LATE_INTEREST_TEXT = "Vid betalning efter förfallodagen debiteras dröjsmålsränta enligt räntelagen."


@dataclass(frozen=True)
class CompanyDetails:
    """What the company prints on its invoices (all optional until it approves its first invoice)."""

    name: str
    org_number: str | None = None
    vat_number: str | None = None
    address_line1: str | None = None
    address_line2: str | None = None
    postal_code: str | None = None
    city: str | None = None
    phone: str | None = None
    email: str | None = None
    website: str | None = None
    f_skatt: bool = False
    bankgiro: str | None = None
    plusgiro: str | None = None
    iban: str | None = None
    bic: str | None = None
    payment_terms_days: int = DEFAULT_PAYMENT_TERMS_DAYS
    late_interest_text: str | None = DEFAULT_LATE_INTEREST_TEXT
    ocr_mode: OcrMode = OcrMode.LUHN


def default_vat_number(org_number: str) -> str:
    """A Swedish company's VAT number: SE, the org number's ten digits, 01."""
    return f"SE{org_number.replace('-', '')}01"


def missing_for_invoice(details: CompanyDetails, *, husavdrag: bool) -> list[str]:
    """The details an invoice must carry that the company has not filled in, in Swedish, in the settings' order.

    Husavdrag needs F-skatt (Skatteverket pays the reduction only to a performer with F-skatt).
    """
    missing = []
    if not details.org_number:
        missing.append("organisationsnummer")
    if not details.vat_number:
        missing.append("momsregistreringsnummer")
    if not details.address_line1 or not details.postal_code or not details.city:
        missing.append("adress (gatuadress, postnummer och ort)")
    if not (details.bankgiro or details.plusgiro or details.iban):
        missing.append("bankgiro, plusgiro eller IBAN")
    if husavdrag and not details.f_skatt:
        missing.append("godkänd för F-skatt (krävs för husavdrag)")
    return missing


# --- checking what the user typed ------------------------------------------------------------------------------


def clean_org_number(value: str | None, errors: ErrorCollector) -> str | None:
    if not value or not value.strip():
        return None
    try:
        return normalize_orgnr(value)
    except InvalidIdentityNumber as error:
        errors.add(("org_number",), str(error), "invalid_org_number")
        return None


def clean_vat_number(value: str | None, org_number: str | None, errors: ErrorCollector) -> str | None:
    """The VAT number typed, or SE + org nr + 01 when it was left empty."""
    if not value or not value.strip():
        return default_vat_number(org_number) if org_number else None
    try:
        return normalize_vat_number(value)
    except InvalidIdentityNumber as error:
        errors.add(("vat_number",), str(error), "invalid_vat_number")
        return None


def clean_bankgiro(value: str | None, errors: ErrorCollector) -> str | None:
    """``NNN-NNNN`` or ``NNNN-NNNN``: 7 or 8 digits, the last a modulus-10 check digit."""
    digits = _digits(value)
    if digits is None:
        return None
    if not re.fullmatch(r"\d{7,8}", digits) or not luhn.is_valid(digits):
        errors.add(
            ("bankgiro",), "Bankgironumret är ogiltigt (7 eller 8 siffror, t.ex. 5050-1055).", "invalid_bankgiro"
        )
        return None
    return f"{digits[:-4]}-{digits[-4:]}"


def clean_plusgiro(value: str | None, errors: ErrorCollector) -> str | None:
    """2–8 digits, the last a modulus-10 check digit, written with a dash before it (``12 34 56-7``)."""
    digits = _digits(value)
    if digits is None:
        return None
    if not re.fullmatch(r"\d{2,8}", digits) or not luhn.is_valid(digits):
        errors.add(("plusgiro",), "Plusgironumret är ogiltigt (2–8 siffror, t.ex. 28 65 43-4).", "invalid_plusgiro")
        return None
    return f"{digits[:-1]}-{digits[-1]}"


def clean_iban(value: str | None, errors: ErrorCollector) -> str | None:
    if not value or not value.strip():
        return None
    try:
        return str(stdnum_iban.format(stdnum_iban.validate(value)))
    except StdnumError:
        errors.add(("iban",), "IBAN-numret är ogiltigt (kontrollera landskod och siffror).", "invalid_iban")
        return None


def clean_bic(value: str | None, errors: ErrorCollector) -> str | None:
    if not value or not value.strip():
        return None
    try:
        return str(stdnum_bic.validate(value))
    except StdnumError:
        errors.add(("bic",), "BIC-koden är ogiltig (8 eller 11 tecken, t.ex. SWEDSESS).", "invalid_bic")
        return None


def _digits(value: str | None) -> str | None:
    if not value or not value.strip():
        return None
    return re.sub(r"[\s-]", "", value)
