"""OCR payment references (*OCR-referens*) by Bankgirot's rules, built from the invoice number.

Digits only, 2–25 of them. The last digit is a check digit by modulus 10 (the Luhn algorithm, weights 2-1-2-1…
from the right). With a length digit (Bankgirot's "längdkontroll") the digit before the check digit is the
reference's whole length, check digit included, modulo 10; the check digit covers the length digit too.
"""

from __future__ import annotations

from enum import StrEnum

MIN_LENGTH = 2
MAX_LENGTH = 25


class OcrMode(StrEnum):
    LUHN = "luhn"  # check digit only
    LUHN_LENGTH = "luhn_length"  # length digit + check digit


def luhn_check_digit(digits: str) -> int:
    """The digit that, appended to ``digits``, makes a valid modulus-10 number."""
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char) * (2 if position % 2 == 0 else 1)
        total += value - 9 if value > 9 else value
    return (10 - total % 10) % 10


def ocr_reference(invoice_number: int, mode: OcrMode) -> str:
    """The OCR reference of invoice ``invoice_number``: its digits, the length digit (``luhn_length``), the check
    digit."""
    if invoice_number < 1:
        raise ValueError("an OCR reference needs a positive invoice number")
    base = str(invoice_number)
    if mode is OcrMode.LUHN_LENGTH:
        base += str((len(base) + 2) % 10)
    reference = base + str(luhn_check_digit(base))
    if len(reference) > MAX_LENGTH:
        raise ValueError("the invoice number is too long for an OCR reference")
    return reference


def is_valid_ocr(reference: str, mode: OcrMode) -> bool:
    """Whether ``reference`` passes the bank's check for ``mode`` (spaces allowed, as people type them)."""
    digits = reference.replace(" ", "")
    if not digits.isdigit() or not MIN_LENGTH <= len(digits) <= MAX_LENGTH:
        return False
    if luhn_check_digit(digits[:-1]) != int(digits[-1]):
        return False
    return mode is OcrMode.LUHN or (len(digits) >= 3 and int(digits[-2]) == len(digits) % 10)


def invoice_number_from_ocr(reference: str, mode: OcrMode) -> int | None:
    """The invoice number an OCR reference of ours was built from, or None if it is not a valid one."""
    digits = reference.replace(" ", "")
    if not is_valid_ocr(digits, mode):
        return None
    body = digits[:-2] if mode is OcrMode.LUHN_LENGTH else digits[:-1]
    return int(body) if body and body[0] != "0" else None
