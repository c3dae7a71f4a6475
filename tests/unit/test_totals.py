"""Invoice totals against hand-computed amounts (each expected figure is worked out in the comment)."""

from __future__ import annotations

from dataclasses import replace

from fakturabro.domain.husavdrag import HouseWorkType, HusavdragKind
from fakturabro.domain.invoice import compute_totals

from .helpers import ANNA, BERTIL, CECILIA, D, claim, invoice, labour, material, text


def test_mixed_vat_rates_are_summed_per_rate_and_rounded_to_whole_kronor() -> None:
    totals = compute_totals(
        invoice(
            labour("8", "650"),  # 5 200.00 @ 25
            material("2", "149.90"),  # 299.80 @ 25
            material("1", "99.00", vat="6"),  # 99.00 @ 6
            material("3", "33.33", vat="12"),  # 99.99 @ 12
            text("Arbetet utfört 2026-11-20"),
        )
    )
    assert totals.net == D("5698.79")
    # 25 %: 5 499.80 × 0.25 = 1 374.95; 12 %: 99.99 × 0.12 = 11.9988 → 12.00; 6 %: 99 × 0.06 = 5.94
    assert totals.vat_by_rate == {D(25): D("1374.95"), D(12): D("12.00"), D(6): D("5.94")}
    assert totals.vat == D("1392.89")
    # 7 091.68 → 7 092 kr, öresavrundning +0.32
    assert totals.total == D("7092.00")
    assert totals.rounding == D("0.32")
    assert totals.to_pay == D("7092.00")
    assert totals.husavdrag == D("0.00")


def test_discount_is_applied_before_rounding_the_row_to_ore() -> None:
    totals = compute_totals(invoice(material("3", "199.00", discount="15")))
    assert totals.net == D("507.45")  # 597.00 − 89.55
    assert totals.vat == D("126.86")  # 126.8625
    assert totals.total == D("634.00")  # 634.31 rounds down
    assert totals.rounding == D("-0.31")


def test_half_ore_and_half_krona_round_away_from_zero() -> None:
    assert compute_totals(invoice(material("1", "10.05", discount="50"))).net == D("5.03")  # 5.025
    totals = compute_totals(invoice(material("1", "100.40")))  # 100.40 + 25.10 = 125.50
    assert totals.total == D("126.00")
    assert totals.rounding == D("0.50")


def test_reverse_charge_has_no_vat() -> None:
    totals = compute_totals(invoice(labour("10", "650"), material("1", "99.90"), reverse_charge=True))
    assert totals.vat == D("0.00")
    assert totals.vat_by_rate == {D(25): D("0.00")}
    assert totals.total == D("6600.00")  # 6 599.90 → 6 600
    assert totals.rounding == D("0.10")


def test_rot_2026_is_30_percent_of_labour_incl_vat_split_between_two_buyers() -> None:
    totals = compute_totals(
        invoice(
            labour("10", "500", HouseWorkType.EL),  # 5 000 + VAT = 6 250
            material("1", "800"),  # material gives no reduction
            husavdrag=claim(HusavdragKind.ROT, (ANNA, "50"), (BERTIL, "50")),
        )
    )
    assert totals.total == D("7250.00")
    # 6 250 × 0.30 = 1 875, but each buyer's exact part is 937.50: whole kronor down, never above the rate
    assert totals.husavdrag_by_person == (D("937.00"), D("937.00"))
    assert totals.husavdrag == D("1874.00")
    assert totals.to_pay == D("5376.00")


def test_rot_rate_follows_the_date_2025_raise() -> None:
    rows = (labour("10", "500", HouseWorkType.BYGG),)  # 6 250 incl. VAT
    during = compute_totals(invoice(*rows, day="2025-06-01", husavdrag=claim(HusavdragKind.ROT, (ANNA, "100"))))
    before = compute_totals(invoice(*rows, day="2025-05-11", husavdrag=claim(HusavdragKind.ROT, (ANNA, "100"))))
    assert during.husavdrag == D("3125.00")  # 50 %
    assert before.husavdrag == D("1875.00")  # 30 %


def test_rot_cap_applies_per_buyer() -> None:
    rows = (labour("400", "600", HouseWorkType.VVS),)  # 240 000 + VAT = 300 000; 30 % = 90 000
    one = compute_totals(invoice(*rows, husavdrag=claim(HusavdragKind.ROT, (ANNA, "100"))))
    two = compute_totals(invoice(*rows, husavdrag=claim(HusavdragKind.ROT, (ANNA, "50"), (BERTIL, "50"))))
    skew = compute_totals(invoice(*rows, husavdrag=claim(HusavdragKind.ROT, (ANNA, "70"), (BERTIL, "30"))))
    assert one.husavdrag == D("50000.00")
    assert two.husavdrag_by_person == (D("45000.00"), D("45000.00"))
    assert skew.husavdrag_by_person == (D("50000.00"), D("27000.00"))  # 63 000 capped, 27 000
    assert skew.to_pay == D("300000.00") - D("77000.00")


def test_three_buyers_never_get_more_than_the_rate_times_their_share() -> None:
    totals = compute_totals(
        invoice(
            labour("1", "2670", HouseWorkType.EL),  # 3 337.50 incl. VAT; 30 % = 1 001.25
            husavdrag=claim(HusavdragKind.ROT, (ANNA, "33.33"), (BERTIL, "33.33"), (CECILIA, "33.34")),
        )
    )
    # exact parts 333.63, 333.63, 333.73: each rounded down, the invoice deducts their sum
    assert totals.husavdrag_by_person == (D("333.00"), D("333.00"), D("333.00"))
    assert totals.husavdrag == D("999.00")


def test_the_issues_33_33_34_split_of_1875_gives_618_618_637() -> None:
    totals = compute_totals(
        invoice(
            labour("10", "500", HouseWorkType.BYGG),  # 6 250 incl. VAT; 30 % = 1 875
            husavdrag=claim(HusavdragKind.ROT, (ANNA, "33"), (BERTIL, "33"), (CECILIA, "34")),
        )
    )
    # 618.75 is the first two buyers' exact share: 619 would exceed it (the old largest-remainder split)
    assert totals.husavdrag_by_person == (D("618.00"), D("618.00"), D("637.00"))
    assert totals.husavdrag == D("1873.00")


def test_rut_is_50_percent_of_labour_only() -> None:
    totals = compute_totals(
        invoice(
            labour("4", "450", HouseWorkType.STADNING),  # 1 800 + VAT = 2 250
            material("1", "500"),  # 625 incl. VAT
            husavdrag=claim(HusavdragKind.RUT, (ANNA, "100")),
        )
    )
    assert totals.total == D("2875.00")
    assert totals.husavdrag == D("1125.00")
    assert totals.to_pay == D("1750.00")


def test_green_technology_counts_labour_and_material_at_each_types_rate() -> None:
    totals = compute_totals(
        invoice(
            labour("40", "500", HouseWorkType.SOLCELLER),  # 20 000 + VAT = 25 000
            material("1", "80000", work=HouseWorkType.SOLCELLER),  # 100 000 incl. VAT
            labour("4", "500", HouseWorkType.LADDPUNKT),  # 2 500 incl. VAT
            material("1", "8000", work=HouseWorkType.LADDPUNKT),  # 10 000 incl. VAT
            material("1", "1000"),  # freight-like row: no reduction
            husavdrag=claim(HusavdragKind.GREEN, (ANNA, "100")),
        )
    )
    # solar 15 % of 125 000 = 18 750; charging point 50 % of 12 500 = 6 250
    assert totals.husavdrag == D("25000.00")
    solar_2024 = compute_totals(
        invoice(
            labour("40", "500", HouseWorkType.SOLCELLER),
            day="2024-03-01",
            husavdrag=claim(HusavdragKind.GREEN, (ANNA, "100")),
        )
    )
    assert solar_2024.husavdrag == D("5000.00")  # 20 % of 25 000


def test_green_technology_cap_is_50000_per_buyer() -> None:
    totals = compute_totals(
        invoice(
            material("1", "200000", work=HouseWorkType.ENERGILAGRING),  # 250 000 incl. VAT; 50 % = 125 000
            husavdrag=claim(HusavdragKind.GREEN, (ANNA, "50"), (BERTIL, "50")),
        )
    )
    assert totals.husavdrag_by_person == (D("50000.00"), D("50000.00"))


def test_credit_invoice_is_the_exact_negation_of_its_original() -> None:
    rows = (labour("8", "650"), material("3", "33.33", vat="12"), material("1", "10.05", discount="50"))
    original = compute_totals(invoice(*rows))
    credit = compute_totals(invoice(*rows, is_credit=True))
    assert credit.total == -original.total
    assert credit.rounding == -original.rounding
    assert credit.vat_by_rate == {rate: -vat for rate, vat in original.vat_by_rate.items()}
    assert credit.to_pay == D("-6618.00")  # net 5 305.02 + VAT 1 301.26 + 12.00 = 6 618.28


def test_credit_of_a_rot_invoice_gives_back_the_deduction() -> None:
    rot = claim(HusavdragKind.ROT, (ANNA, "100"))
    credit = compute_totals(invoice(labour("10", "500", HouseWorkType.EL), husavdrag=rot, is_credit=True))
    assert credit.husavdrag == D("-1875.00")
    assert credit.to_pay == D("-4375.00")


def test_a_company_without_oresavrundning_gets_its_total_in_ore() -> None:
    """The issue's case: 2 699,00 + 25 % VAT is 3 373,75 kr in Visma without öresavrundning, 3 374,00 kr with."""
    rounded = compute_totals(invoice(material("1", "2699.00")))
    exact = compute_totals(replace(invoice(material("1", "2699.00")), whole_krona_rounding=False))
    assert (rounded.total, rounded.rounding, rounded.to_pay) == (D("3374.00"), D("0.25"), D("3374.00"))
    assert (exact.total, exact.rounding, exact.to_pay) == (D("3373.75"), D("0.00"), D("3373.75"))
    credit = compute_totals(replace(invoice(material("1", "2699.00"), is_credit=True), whole_krona_rounding=False))
    assert credit.to_pay == -exact.to_pay


def test_husavdrag_is_taken_off_the_total_in_ore_without_oresavrundning() -> None:
    rot = invoice(labour("3", "433.33", HouseWorkType.BYGG), husavdrag=claim(HusavdragKind.ROT, (ANNA, "100")))
    content = replace(rot, whole_krona_rounding=False)
    totals = compute_totals(content)
    assert totals.total == D("1624.99")  # 1 299,99 + 325,00 (VAT 324,9975 → 325,00)
    assert totals.husavdrag == D("487.00")  # 30 % of 1 624,99 = 487,497 → whole kronor, down
    assert totals.to_pay == D("1137.99")
