from __future__ import annotations

import pytest

from fakturabro.domain.identity import (
    InvalidIdentityNumber,
    mask_personnummer,
    normalize_orgnr,
    normalize_personnummer,
    normalize_vat_number,
    vat_number_matches_orgnr,
)
from fakturabro.domain.money import format_sek, to_whole_kronor

from .helpers import D


@pytest.mark.parametrize("raw", ["198803200016", "19880320-0016", "880320-0016", "8803200016", " 880320-0016 "])
def test_personnummer_forms_normalise_to_twelve_digits(raw: str) -> None:
    assert normalize_personnummer(raw) == "198803200016"


@pytest.mark.parametrize("raw", ["198803200017", "880320001", "abc", "", "19881320-0016"])
def test_bad_personnummer_is_rejected_without_echoing_it(raw: str) -> None:
    with pytest.raises(InvalidIdentityNumber) as caught:
        normalize_personnummer(raw)
    assert "Personnumret" in str(caught.value)
    assert raw.strip() == "" or raw not in str(caught.value)


def test_org_and_vat_numbers() -> None:
    assert normalize_orgnr("5560360793") == "556036-0793"
    assert normalize_orgnr("16556036-0793") == "556036-0793"
    with pytest.raises(InvalidIdentityNumber):
        normalize_orgnr("556036-0794")
    assert normalize_vat_number("se 5560 3607 9301") == "SE556036079301"
    with pytest.raises(InvalidIdentityNumber):
        normalize_vat_number("SE556036079401")
    assert vat_number_matches_orgnr("SE556036079301", "556036-0793")
    assert not vat_number_matches_orgnr("SE556547548901", "556036-0793")


def test_masked_personnummer_keeps_only_the_birth_date() -> None:
    assert mask_personnummer("198803200016") == "19880320-****"


def test_swedish_money_format() -> None:
    assert format_sek(D("1234.5")) == "1\u00a0234,50\u00a0kr"
    assert format_sek(D("-0.5")) == "\u22120,50\u00a0kr"  # the minus sign, not the hyphen (issue 20)
    assert to_whole_kronor(D("-2.50")) == D("-3.00")
