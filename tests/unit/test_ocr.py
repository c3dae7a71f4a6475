"""OCR payment references by Bankgirot's rules (OCR-referenskontroll): a modulus-10 check digit, optionally a
length digit before it."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from stdnum import luhn

from fakturabro.domain.ocr import OcrMode, invoice_number_from_ocr, is_valid_ocr, luhn_check_digit, ocr_reference

# Worked by hand from Bankgirot's description: 123456 with length digit 8 (6 digits + 2) and check digit 2,
# the example Bankgirot's manual and most Swedish guides use; 1234567897 is the textbook modulus-10 number.
BANKGIROT_EXAMPLES = [
    (123456, OcrMode.LUHN_LENGTH, "12345682"),
    (123456789, OcrMode.LUHN, "1234567897"),
    (1, OcrMode.LUHN, "18"),
    (17, OcrMode.LUHN_LENGTH, "1743"),  # length 4, check digit 3
    (12345678, OcrMode.LUHN_LENGTH, "1234567806"),  # length 10: the length digit is 0
]


@pytest.mark.parametrize(("number", "mode", "reference"), BANKGIROT_EXAMPLES)
def test_published_examples(number: int, mode: OcrMode, reference: str) -> None:
    assert ocr_reference(number, mode) == reference
    assert is_valid_ocr(reference, mode)
    assert invoice_number_from_ocr(reference, mode) == number


@given(number=st.integers(min_value=1, max_value=10**22), mode=st.sampled_from(list(OcrMode)))
def test_the_check_digit_agrees_with_an_independent_implementation(number: int, mode: OcrMode) -> None:
    reference = ocr_reference(number, mode)
    assert reference.isdigit()
    assert luhn.is_valid(reference)  # python-stdnum's modulus 10
    assert reference[:-1] == str(number) + ("" if mode is OcrMode.LUHN else str(len(reference) % 10))
    assert invoice_number_from_ocr(reference, mode) == number


@given(number=st.integers(min_value=1, max_value=10**9), position=st.integers(min_value=0), digit=st.integers(0, 9))
def test_a_single_wrong_digit_is_caught(number: int, position: int, digit: int) -> None:
    reference = ocr_reference(number, OcrMode.LUHN)
    index = position % len(reference)
    if reference[index] == str(digit):
        return
    typo = reference[:index] + str(digit) + reference[index + 1 :]
    assert not is_valid_ocr(typo, OcrMode.LUHN)


def test_a_wrong_length_digit_is_refused_with_length_check_only() -> None:
    body = "12345" + "9"  # the length digit should be 7
    reference = body + str(luhn_check_digit(body))
    assert is_valid_ocr(reference, OcrMode.LUHN)
    assert not is_valid_ocr(reference, OcrMode.LUHN_LENGTH)


@pytest.mark.parametrize("text", ["", "1", "12a4", "0" * 26, "1234567890123456789012345678"])
def test_what_is_not_an_ocr_reference(text: str) -> None:
    assert not is_valid_ocr(text, OcrMode.LUHN)
    assert invoice_number_from_ocr(text, OcrMode.LUHN) is None


def test_spaces_as_people_type_them_are_allowed() -> None:
    assert invoice_number_from_ocr("1234 5678 97", OcrMode.LUHN) == 123456789
