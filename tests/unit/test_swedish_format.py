"""Numbers and words the Swedish way (issue 20): one minus sign, prices with öre, nouns that agree with counts."""

from __future__ import annotations

from decimal import Decimal

from fakturabro.domain.money import format_sek
from fakturabro.domain.swedish_format import format_number, format_price, plural, read_minus
from fakturabro.sync.payments.importer import ImportResult


def test_one_minus_sign_for_numbers_and_amounts() -> None:
    assert format_number(Decimal("-0.25")) == "\u22120,25"
    assert format_number(Decimal("1.500")) == "1,5"
    assert format_sek(Decimal("-223")) == "\u2212223,00\u00a0kr"
    assert format_sek(Decimal("-0.001")) == "0,00\u00a0kr"  # no "−0,00"


def test_prices_keep_their_ore() -> None:
    assert format_price(Decimal("129.5")) == "129,50"
    assert format_price(Decimal("650")) == "650,00"
    assert format_price(Decimal("0.125")) == "0,125"
    assert format_price(Decimal("-14.9")) == "\u221214,90"


def test_what_a_page_shows_reads_back() -> None:
    assert Decimal(read_minus(format_number(Decimal("-0.25")).replace(",", "."))) == Decimal("-0.25")


def test_a_noun_agrees_with_its_count() -> None:
    assert plural(1, "faktura", "fakturor") == "1 faktura"
    assert plural(0, "faktura", "fakturor") == "0 fakturor"
    assert plural(2, "faktura", "fakturor") == "2 fakturor"


def test_the_payment_import_summary_is_good_swedish() -> None:
    one = ImportResult(run_id=1, paid=1, partially_paid=1, deviations=1)
    assert one.message == "1 faktura betald, 1 delbetald, 1 ny avvikelse"
    many = ImportResult(run_id=2, paid=2, partially_paid=0, deviations=3)
    assert many.message == "2 fakturor betalda, 0 delbetalda, 3 nya avvikelser"
