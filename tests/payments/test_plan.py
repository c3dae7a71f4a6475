"""The payment import's planner, with literals: no database, no Visma."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

from fakturabro.domain.husavdrag import HouseWorkType, HusavdragKind
from fakturabro.domain.invoice import HusavdragClaim, HusavdragPerson, InvoiceContent, InvoiceRow, RowKind
from fakturabro.sync.payments.plan import (
    DeviationKind,
    DocumentKind,
    ExportedInvoice,
    FlagHusavdragAtPayment,
    FlagNumberMismatch,
    KnownDeviation,
    RecordRounding,
    RecordUnknown,
    RegisterPayment,
    ReversePayment,
    SkipUnchanged,
    VismaReceivable,
    plan,
)

D = Decimal
DRAFT_ID = "0b4c2f0e-0000-4000-8000-00000000d001"
INVOICE_ID = "0b4c2f0e-0000-4000-8000-00000000a001"
LEDGER_ID = "0b4c2f0e-0000-4000-8000-00000000c001"
PAID_ON = date(2026, 3, 2)


def converted(remaining: str, *, number: int = 1001, to_pay: str = "1250.00") -> VismaReceivable:
    return VismaReceivable(
        kind=DocumentKind.INVOICE,
        visma_id=INVOICE_ID,
        invoice_number=number,
        to_pay=D(to_pay),
        remaining=D(remaining),
        created_from_draft_id=DRAFT_ID.upper(),  # Visma's casing of a uuid is not ours to rely on
        payment_date=PAID_ON,
    )


def ours(**changes: object) -> ExportedInvoice:
    values: dict[str, object] = {
        "invoice_id": 7,
        "number": 1001,
        "mode": "draft",
        "visma_ids": frozenset({DRAFT_ID}),
        "to_pay": D("1250.00"),
    }
    values.update(changes)
    return ExportedInvoice(**values)  # type: ignore[arg-type]


def test_a_converted_draft_paid_in_full_registers_the_whole_amount_once() -> None:
    actions = plan([converted("0.00")], [ours()])
    assert actions == [RegisterPayment(7, D("1250.00"), PAID_ON, f"visma:{INVOICE_ID}:1")]


def test_partial_payments_register_only_the_difference() -> None:
    first = plan([converted("1000.00")], [ours()])
    assert first == [RegisterPayment(7, D("250.00"), PAID_ON, f"visma:{INVOICE_ID}:1")]
    second = plan([converted("0.00")], [ours(paid_from_visma=D("250.00"), visma_payments=1)])
    assert second == [RegisterPayment(7, D("1000.00"), PAID_ON, f"visma:{INVOICE_ID}:2")]


def test_reading_the_same_state_again_changes_nothing() -> None:
    actions = plan([converted("1000.00")], [ours(paid_from_visma=D("250.00"), visma_payments=1)])
    assert actions == [SkipUnchanged(INVOICE_ID, "payments unchanged")]


def test_a_payment_undone_in_visma_is_reversed() -> None:
    actions = plan([converted("1250.00")], [ours(paid_from_visma=D("250.00"), visma_payments=1)])
    assert actions == [ReversePayment(7, D("250.00"), PAID_ON, f"visma:{INVOICE_ID}:2")]


def test_ore_are_exact() -> None:
    actions = plan([converted("0.01", to_pay="1250.37")], [ours(to_pay=D("1250.37"))])
    assert actions == [RegisterPayment(7, D("1250.36"), PAID_ON, f"visma:{INVOICE_ID}:1")]


def test_a_different_number_from_visma_is_flagged_once_and_the_payment_still_registered() -> None:
    actions = plan([converted("0.00", number=1005)], [ours()])
    assert actions == [
        FlagNumberMismatch(7, INVOICE_ID, 1005, 1001),
        RegisterPayment(7, D("1250.00"), PAID_ON, f"visma:{INVOICE_ID}:1"),
    ]
    again = plan(
        [converted("0.00", number=1005)],
        [ours(paid_from_visma=D("1250.00"), visma_payments=1)],
        [KnownDeviation(DeviationKind.NUMBER_MISMATCH, INVOICE_ID)],
    )
    assert again == [SkipUnchanged(INVOICE_ID, "payments unchanged")]


def test_a_verifikation_is_matched_by_its_ledger_item_id_or_our_number() -> None:
    item = VismaReceivable(DocumentKind.LEDGER_ITEM, LEDGER_ID, 1001, D("500.00"), D("0.00"))
    by_id = plan([item], [ours(mode="verifikation", visma_ids=frozenset({LEDGER_ID}), to_pay=D("500.00"))])
    by_number = plan([item], [ours(mode="verifikation", visma_ids=frozenset(), to_pay=D("500.00"))])
    expected = [RegisterPayment(7, D("500.00"), None, f"visma:{LEDGER_ID}:1")]
    assert by_id == expected
    assert by_number == expected


def test_a_ledger_item_is_never_matched_by_number_to_a_draft_export() -> None:
    item = VismaReceivable(DocumentKind.LEDGER_ITEM, LEDGER_ID, 1001, D("1250.00"), D("0.00"))
    assert plan([item], [ours()]) == [SkipUnchanged(LEDGER_ID, "ledger item of no verifikation of ours")]


def test_money_paid_on_an_unknown_invoice_is_listed_not_dropped() -> None:
    stranger = VismaReceivable(DocumentKind.INVOICE, INVOICE_ID, 77, D("300.00"), D("100.00"))
    assert plan([stranger], []) == [RecordUnknown(INVOICE_ID, 77, D("200.00"))]
    known = [KnownDeviation(DeviationKind.UNKNOWN_INVOICE, INVOICE_ID, D("200.00"))]
    assert plan([stranger], [], known) == [SkipUnchanged(INVOICE_ID, "unknown invoice already listed")]
    more = VismaReceivable(DocumentKind.INVOICE, INVOICE_ID, 77, D("300.00"), D("0.00"))
    assert plan([more], [], known) == [RecordUnknown(INVOICE_ID, 77, D("300.00"))]


def test_an_unknown_unpaid_invoice_is_none_of_our_business() -> None:
    stranger = VismaReceivable(DocumentKind.INVOICE, INVOICE_ID, 77, D("300.00"), D("300.00"))
    assert plan([stranger], []) == [SkipUnchanged(INVOICE_ID, "not ours, nothing paid")]


def test_a_credit_invoice_registers_no_payment_and_its_match_in_visma_is_no_payment_of_the_original() -> None:
    credit = VismaReceivable(DocumentKind.INVOICE, LEDGER_ID, 1002, D("-400.00"), D("0.00"), is_credit=True)
    credit_ours = ours(invoice_id=8, number=1002, visma_ids=frozenset({LEDGER_ID}), to_pay=D("-400.00"), is_credit=True)
    # The bookkeeper matched the credit against the original (remaining 1250 → 850), then the customer paid 850.
    original = converted("0.00")
    actions = plan([original, credit], [ours(credited=D("400.00")), credit_ours])
    assert actions == [
        RegisterPayment(7, D("850.00"), PAID_ON, f"visma:{INVOICE_ID}:1"),
        SkipUnchanged(LEDGER_ID, "credit invoice"),
    ]


def test_a_payment_registered_by_hand_is_not_paid_again_from_visma() -> None:
    actions = plan([converted("0.00")], [ours(paid_manually=D("1250.00"))])
    assert actions == [SkipUnchanged(INVOICE_ID, "payments unchanged")]


def test_a_credit_matched_in_visma_before_a_partial_payment_is_not_counted_as_paid() -> None:
    # Credit of 400 matched against the original in Visma (remaining 1250 → 850), then the customer paid 500.
    actions = plan([converted("350.00")], [ours(credited=D("400.00"), credit_settled_in_visma=D("400.00"))])
    assert actions == [RegisterPayment(7, D("500.00"), PAID_ON, f"visma:{INVOICE_ID}:1")]


def test_a_credit_not_yet_settled_in_visma_leaves_the_originals_payments_alone() -> None:
    actions = plan([converted("750.00")], [ours(credited=D("400.00"))])
    assert actions == [RegisterPayment(7, D("500.00"), PAID_ON, f"visma:{INVOICE_ID}:1")]


def rot_content(invoice_date: date) -> InvoiceContent:
    """1 000 kr labour + VAT = 1 250 kr with ROT for one buyer: 625 kr at 50 % (Dec 2025), 375 kr at 30 % (2026)."""
    labour = InvoiceRow(RowKind.LABOUR, quantity=D(1), unit_price=D(1000), house_work_type=HouseWorkType.BYGG)
    claim = HusavdragClaim(HusavdragKind.ROT, (HusavdragPerson("encrypted", D(100)),), "EXEMPELBY 1:23")
    return InvoiceContent(invoice_date, (labour,), husavdrag=claim)


def test_a_payment_on_rot_priced_at_50_percent_and_paid_in_2026_is_flagged_once() -> None:
    exported = ours(to_pay=D("625.00"), husavdrag=rot_content(date(2025, 12, 20)))
    receivable = converted("0.00", to_pay="625.00")

    first = plan([receivable], [exported])
    known = [KnownDeviation(DeviationKind.HUSAVDRAG_AT_PAYMENT, INVOICE_ID)]
    again = plan([converted("0.00", to_pay="1250.00")], [exported], known)

    register, flag = first
    assert register == RegisterPayment(7, D("625.00"), PAID_ON, f"visma:{INVOICE_ID}:1")
    assert isinstance(flag, FlagHusavdragAtPayment)
    assert (flag.invoice_id, flag.visma_id, flag.our_number) == (7, INVOICE_ID, 1001)
    assert (flag.check.payment_date, flag.check.difference) == (PAID_ON, D(250))
    assert not any(isinstance(action, FlagHusavdragAtPayment) for action in again)


def test_rot_paid_in_the_period_it_was_priced_in_is_not_flagged() -> None:
    exported = ours(to_pay=D("875.00"), husavdrag=rot_content(date(2026, 2, 20)))
    assert plan([converted("0.00", to_pay="875.00")], [exported]) == [
        RegisterPayment(7, D("875.00"), PAID_ON, f"visma:{INVOICE_ID}:1")
    ]


def test_a_payment_without_a_date_is_priced_at_today() -> None:
    exported = ours(to_pay=D("625.00"), husavdrag=rot_content(date(2025, 12, 20)))
    undated = replace(converted("0.00", to_pay="625.00"), payment_date=None)
    assert len(plan([undated], [exported])) == 1  # no date and no today: nothing to price it at
    [_, flag] = plan([undated], [exported], today=date(2026, 1, 8))
    assert isinstance(flag, FlagHusavdragAtPayment)
    assert flag.check.payment_date == date(2026, 1, 8)


def test_visma_settled_with_ore_left_here_records_the_difference_as_rounding() -> None:
    """Visma's total was 3 373,75 kr (no öresavrundning), ours 3 374,00 kr: paid in full there, paid here too."""
    actions = plan([converted("0.00", to_pay="3373.75")], [ours(to_pay=D("3374.00"))])
    assert actions == [
        RegisterPayment(7, D("3373.75"), PAID_ON, f"visma:{INVOICE_ID}:1"),
        RecordRounding(7, D("0.25"), PAID_ON, f"visma:{INVOICE_ID}:rounding"),
    ]
    # The next run: the rounding is settled, nothing more to do.
    after = ours(to_pay=D("3374.00"), paid_from_visma=D("3373.75"), visma_payments=1, paid_manually=D("0.25"))
    assert plan([converted("0.00", to_pay="3373.75")], [after]) == [SkipUnchanged(INVOICE_ID, "payments unchanged")]


def test_more_than_rounding_left_or_money_still_owed_in_visma_is_never_rounding() -> None:
    written_off = plan([converted("0.00", to_pay="3000.00")], [ours(to_pay=D("3374.00"))])
    assert [type(action) for action in written_off] == [RegisterPayment]
    still_owed = plan([converted("0.25", to_pay="3374.00")], [ours(to_pay=D("3374.00"))])
    assert [type(action) for action in still_owed] == [RegisterPayment]
