"""Swedish identity numbers: personnummer, organisationsnummer and VAT numbers.

Checksums are python-stdnum's; we only decide the stored form and the Swedish message. A personnummer is
personal data: ``mask_personnummer`` is the only form allowed in logs and error messages.
"""

from __future__ import annotations

import re

from stdnum.exceptions import ValidationError as StdnumError
from stdnum.se import orgnr, personnummer, vat


class InvalidIdentityNumber(ValueError):
    """Raised with a Swedish message that never repeats the number itself."""


def normalize_personnummer(value: str) -> str:
    """Validate and return the 12-digit form ``YYYYMMDDNNNC`` (as Skatteverket's claim file wants it).

    Accepts 10 or 12 digits with or without ``-``/``+``; samordningsnummer (day + 60) are valid too.
    """
    try:
        digits = re.sub(r"\D", "", personnummer.validate(value.strip()))
        century = personnummer.get_birth_date(value.strip()).year // 100
    except StdnumError as error:
        raise InvalidIdentityNumber("Personnumret är ogiltigt (kontrollera siffrorna).") from error
    # the 10-digit form leaves the century to the separator (+ for 100 years or older): make it explicit
    return digits if len(digits) == 12 else f"{century}{digits}"


def normalize_orgnr(value: str) -> str:
    """Validate and return ``NNNNNN-NNNN``; a 12-digit form with the ``16`` prefix is accepted too."""
    digits = re.sub(r"[\s-]", "", value.strip())
    if len(digits) == 12 and digits.startswith("16"):
        digits = digits[2:]
    try:
        compact = orgnr.validate(digits)
    except StdnumError as error:
        raise InvalidIdentityNumber("Organisationsnumret är ogiltigt (kontrollera siffrorna).") from error
    return f"{compact[:6]}-{compact[6:]}"


def normalize_vat_number(value: str) -> str:
    """Validate a Swedish VAT number and return ``SE`` + 12 digits (org number + ``01``)."""
    try:
        compact = vat.validate(value.strip())
    except StdnumError as error:
        raise InvalidIdentityNumber(
            "Momsregistreringsnumret är ogiltigt (formen är SE + organisationsnummer + 01)."
        ) from error
    return f"SE{compact}"


def vat_number_matches_orgnr(vat_number: str, org_number: str) -> bool:
    """A Swedish VAT number is the org number with ``SE`` before and ``01`` after."""
    return vat_number[2:12] == org_number.replace("-", "")


def format_personnummer(value: str) -> str:
    """The form people write and read: ``19811218-9876`` (12 digits with the dash); anything else as given."""
    digits = re.sub(r"\D", "", value)
    return f"{digits[:8]}-{digits[8:]}" if len(digits) == 12 else value


def mask_personnummer(value: str) -> str:
    """The birth date only (``19880320-****``): enough to recognise, not enough to identify."""
    digits = re.sub(r"\D", "", value)
    return f"{digits[:8]}-****" if len(digits) >= 8 else "****"
