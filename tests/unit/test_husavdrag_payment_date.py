"""Husavdrag at the payment date: Skatteverket's rate and cap are those of the day the buyer paid."""

from __future__ import annotations

import os
from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fakturabro.domain.husavdrag import (
    HouseWorkType,
    HusavdragKind,
    NoRateForDate,
    RateShift,
    backdated_warning,
    compute_deduction,
    husavdrag_at_payment,
    paid_on_warning,
    payment_today_warning,
    rate_change_notice,
)
from fakturabro.domain.invoice import InvoiceContent, InvoiceRow, RowKind, compute_totals, deduction_bases

from .helpers import ANNA, BERTIL, CECILIA, claim, invoice, labour, material

EXAMPLES = int(os.environ.get("FAKTURABRO_HYPOTHESIS_EXAMPLES", "300"))
NBSP = "\u00a0"


def rot_invoice(day: str, *shares: tuple[str, str], hours: str = "328", price: str = "100") -> InvoiceContent:
    return invoice(
        labour(hours, price, HouseWorkType.BYGG),
        material("1", "5000"),
        day=day,
        husavdrag=claim(HusavdragKind.ROT, *(shares or ((ANNA, "100"),))),
    )


def test_rot_at_50_percent_paid_in_january_2026_gets_30_percent() -> None:
    # 328 h × 100 kr = 32 800 kr + 25 % VAT = 41 000 kr labour incl. VAT; 50 % = 20 500, 30 % = 12 300.
    content = rot_invoice("2025-12-20", (ANNA, "50"), (BERTIL, "50"))

    check = husavdrag_at_payment(content, date(2026, 1, 8))

    assert check is not None
    assert check.invoiced.total == compute_totals(content).husavdrag == Decimal(20500)
    assert check.at_payment.total == Decimal(12300)
    assert check.at_payment.per_person == (Decimal(6150), Decimal(6150))
    assert check.difference == Decimal(8200)
    assert check.difference_by_person == (Decimal(4100), Decimal(4100))
    assert check.rate_shifts == (RateShift("rot", Decimal(50), Decimal(30)),)
    assert rate_change_notice(1042, check) == (
        f"Faktura 1042 betalades 2026-01-08, då ROT-avdraget är 30{NBSP}% (fakturan: 50{NBSP}%). "
        f"Skatteverket betalar högst 12{NBSP}300{NBSP}kr; fakturera kunden mellanskillnaden 8{NBSP}200{NBSP}kr."
    )


def test_the_notice_names_no_personnummer() -> None:
    content = rot_invoice("2025-12-20", (ANNA, "50"), (BERTIL, "50"))
    check = husavdrag_at_payment(content, date(2026, 1, 8))
    assert check is not None
    notice = rate_change_notice(1042, check) + (backdated_warning(check) or "")
    for number in (ANNA, BERTIL, ANNA[2:], BERTIL[2:], ANNA[:8]):
        assert number not in notice


def test_solar_cells_across_1_july_2025_go_from_20_to_15_percent_of_labour_and_material() -> None:
    content = invoice(
        labour("10", "1000", HouseWorkType.SOLCELLER),
        material("1", "40000", work=HouseWorkType.SOLCELLER),
        day="2025-06-30",
        husavdrag=claim(HusavdragKind.GREEN, (ANNA, "100")),
    )

    check = husavdrag_at_payment(content, date(2025, 7, 1))

    # 50 000 kr excl. VAT = 62 500 incl. VAT; 20 % = 12 500, 15 % = 9 375.
    assert check is not None
    assert (check.invoiced.total, check.at_payment.total, check.difference) == (
        Decimal(12500),
        Decimal(9375),
        Decimal(3125),
    )
    assert check.rate_shifts == (RateShift("solceller", Decimal(20), Decimal(15)),)
    assert "grön teknik för solceller är 15" in rate_change_notice(7, check)


def test_a_battery_on_the_same_solar_invoice_keeps_its_rate() -> None:
    content = invoice(
        labour("10", "1000", HouseWorkType.SOLCELLER),
        labour("10", "1000", HouseWorkType.ENERGILAGRING),
        day="2025-06-30",
        husavdrag=claim(HusavdragKind.GREEN, (ANNA, "100")),
    )
    check = husavdrag_at_payment(content, date(2025, 7, 1))
    assert check is not None
    assert [shift.scheme for shift in check.rate_shifts] == ["solceller"]
    # Only the solar part changed: 12 500 × 5 % = 625.
    assert check.difference == Decimal(625)


@pytest.mark.parametrize(
    ("invoice_date", "payment_date"),
    [("2025-12-20", "2025-12-31"), ("2026-01-02", "2026-11-24"), ("2025-05-12", "2025-12-31")],
)
def test_paid_in_the_same_period_changes_nothing(invoice_date: str, payment_date: str) -> None:
    check = husavdrag_at_payment(rot_invoice(invoice_date), date.fromisoformat(payment_date))
    assert check is not None
    assert check.rate_shifts == ()
    assert check.difference == 0
    assert check.at_payment == check.invoiced
    assert backdated_warning(check) is None


def test_rut_keeps_50_percent_across_new_year() -> None:
    content = invoice(
        labour("10", "400", HouseWorkType.STADNING), day="2025-12-20", husavdrag=claim(HusavdragKind.RUT, (ANNA, "100"))
    )
    check = husavdrag_at_payment(content, date(2026, 1, 8))
    assert check is not None
    assert (check.rate_shifts, check.difference) == ((), 0)


def test_caps_are_those_of_the_payment_date() -> None:
    # 600 000 kr labour incl. VAT: at 50 % each of two buyers would get 150 000, capped at 50 000 each.
    content = rot_invoice("2025-12-20", (ANNA, "50"), (BERTIL, "50"), hours="480", price="1000")
    check = husavdrag_at_payment(content, date(2026, 1, 8))
    assert check is not None
    assert check.invoiced.per_person == (Decimal(50000), Decimal(50000))
    assert check.at_payment.per_person == (Decimal(50000), Decimal(50000))  # 30 % = 90 000 each, still capped
    assert check.rate_shifts == (RateShift("rot", Decimal(50), Decimal(30)),)
    assert check.difference == 0  # the rate changed but Skatteverket pays the same
    assert rate_change_notice(3, check).endswith(
        f"Skatteverket betalar ändå 100{NBSP}000{NBSP}kr, som fakturan drog av."
    )


def test_a_cap_that_changes_with_the_payment_date_counts_even_at_the_same_rate() -> None:
    # Second half of 2024: ROT cap 75 000 per person; from 2025: 50 000. Rate 30 % throughout.
    content = rot_invoice("2024-12-20", (ANNA, "100"), hours="240", price="1000")  # 300 000 incl. VAT, 30 % = 90 000
    check = husavdrag_at_payment(content, date(2025, 1, 8))
    assert check is not None
    assert (check.invoiced.total, check.at_payment.total) == (Decimal(75000), Decimal(50000))
    assert check.rate_shifts == ()
    assert check.difference == Decimal(25000)
    assert "andra tak" in rate_change_notice(5, check)


def test_a_rate_that_went_up_by_the_payment_date_is_a_negative_difference() -> None:
    check = husavdrag_at_payment(rot_invoice("2025-05-10"), date(2025, 5, 12))
    assert check is not None
    assert check.difference == Decimal(-8200)
    notice = rate_change_notice(9, check)
    assert "Skatteverket medger 8\u00a0200\u00a0kr mer än fakturan drog av" in notice


@pytest.mark.parametrize(
    ("invoice_date", "payment_date", "green"),
    [
        ("2025-12-20", "2026-01-08", False),
        ("2025-05-10", "2025-05-12", False),
        ("2025-06-30", "2025-07-01", True),
        ("2024-12-20", "2025-01-08", False),
    ],
)
def test_a_notice_fits_the_deviation_list_even_with_large_numbers(
    invoice_date: str, payment_date: str, green: bool
) -> None:
    work = HouseWorkType.SOLCELLER if green else HouseWorkType.BYGG
    content = invoice(
        labour("9999", "99999", work),
        day=invoice_date,
        husavdrag=claim(HusavdragKind.GREEN if green else HusavdragKind.ROT, (ANNA, "100")),
    )
    check = husavdrag_at_payment(content, date.fromisoformat(payment_date))
    assert check is not None
    assert len(rate_change_notice(999_999_999, check)) <= 200  # the deviation's detail column


def test_backdated_warning_says_what_a_payment_today_gives() -> None:
    check = husavdrag_at_payment(rot_invoice("2025-12-20"), date(2026, 11, 24))
    assert check is not None
    warning = backdated_warning(check)
    assert warning is not None
    assert warning.startswith(f"Fakturadatumet ger 50{NBSP}% ROT men betalas fakturan i dag gäller 30{NBSP}%.")
    assert f"mellanskillnaden 8{NBSP}200{NBSP}kr" in warning


def test_the_warning_for_today_is_none_in_the_same_period_and_without_husavdrag() -> None:
    december = rot_invoice("2025-12-20")
    assert payment_today_warning(december, date(2025, 12, 31)) is None
    assert payment_today_warning(december, date(2026, 1, 1)) is not None
    assert payment_today_warning(invoice(labour("1", "100")), date(2026, 1, 1)) is None
    assert payment_today_warning(rot_invoice("2019-12-20"), date(2026, 1, 1)) is None  # validation says why


def test_the_warning_once_paid_is_the_import_notice_and_none_when_skatteverket_pays_the_same() -> None:
    december = rot_invoice("2025-12-20")
    check = husavdrag_at_payment(december, date(2026, 1, 8))
    assert check is not None
    assert paid_on_warning(1042, december, date(2026, 1, 8)) == rate_change_notice(1042, check)
    assert paid_on_warning(1042, december, date(2025, 12, 30)) is None
    capped_both_ways = rot_invoice("2025-12-20", hours="480", price="1000")
    assert paid_on_warning(1042, capped_both_ways, date(2026, 1, 8)) is None


def test_no_husavdrag_nothing_to_check() -> None:
    assert husavdrag_at_payment(invoice(labour("1", "100")), date(2026, 1, 8)) is None


def test_a_payment_date_without_a_rate_is_an_error_not_a_guess() -> None:
    with pytest.raises(NoRateForDate):
        husavdrag_at_payment(rot_invoice("2025-12-20"), date(2020, 1, 1))


# --- properties ----------------------------------------------------------------------------------------------

ROT_WORK = [t for t in HouseWorkType if t.kind is HusavdragKind.ROT]
money = st.decimals(min_value=0, max_value=100_000, places=2, allow_nan=False, allow_infinity=False)
rows = st.lists(
    st.builds(
        InvoiceRow,
        kind=st.sampled_from([RowKind.LABOUR, RowKind.MATERIAL]),
        quantity=st.decimals(min_value=Decimal("0.01"), max_value=500, places=2, allow_nan=False),
        unit_price=money,
        vat_rate=st.sampled_from([Decimal(25), Decimal(12), Decimal(0)]),
        house_work_type=st.one_of(st.none(), st.sampled_from(ROT_WORK)),
    ),
    min_size=1,
    max_size=8,
)
shares = st.sampled_from(
    [((ANNA, "100"),), ((ANNA, "50"), (BERTIL, "50")), ((ANNA, "33.33"), (BERTIL, "33.33"), (CECILIA, "33.34"))]
)
days = st.dates(min_value=date(2021, 1, 1), max_value=date(2027, 12, 31))


@settings(max_examples=EXAMPLES, deadline=None)
@given(rows=rows, persons=shares, invoice_day=days, payment_day=days)
def test_the_payment_date_prices_as_compute_deduction_does_and_the_difference_adds_up(
    rows: list[InvoiceRow], persons: tuple, invoice_day: date, payment_day: date
) -> None:
    content = invoice(*rows, day=invoice_day.isoformat(), husavdrag=claim(HusavdragKind.ROT, *persons))
    check = husavdrag_at_payment(content, payment_day)
    assert check is not None
    shares_ = [Decimal(share) for _, share in persons]
    assert check.invoiced.total == compute_totals(content).husavdrag
    assert check.at_payment == compute_deduction(deduction_bases(content), shares_, payment_day)
    assert check.difference == sum(check.difference_by_person, Decimal(0))
    assert all(part == part.to_integral_value() for part in check.difference_by_person)
    # Swapping the dates negates the difference.
    swapped = husavdrag_at_payment(
        invoice(*rows, day=payment_day.isoformat(), husavdrag=claim(HusavdragKind.ROT, *persons)), invoice_day
    )
    assert swapped is not None
    assert swapped.difference == -check.difference
    # ROT went from 50 % back to 30 %: a payment after new year 2026 never gives more than one in late 2025.
    if date(2025, 5, 12) <= invoice_day <= date(2025, 12, 31) and payment_day >= date(2026, 1, 1):
        assert check.difference >= 0


@settings(max_examples=EXAMPLES, deadline=None)
@given(rows=rows, persons=shares, invoice_day=days, offset=st.integers(min_value=0, max_value=400))
def test_within_one_rate_period_nothing_changes(
    rows: list[InvoiceRow], persons: tuple, invoice_day: date, offset: int
) -> None:
    payment_day = invoice_day + timedelta(days=offset)
    same_period = _rot_period(invoice_day) == _rot_period(payment_day)
    content = invoice(*rows, day=invoice_day.isoformat(), husavdrag=claim(HusavdragKind.ROT, *persons))
    check = husavdrag_at_payment(content, payment_day)
    assert check is not None
    if same_period:
        assert check.difference == 0
        assert check.rate_shifts == ()


def _rot_period(day: date) -> int:
    bounds = [date(2024, 7, 1), date(2025, 1, 1), date(2025, 5, 12), date(2026, 1, 1)]
    return sum(day >= bound for bound in bounds)
