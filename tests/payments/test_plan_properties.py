"""Properties of the planner: whatever Visma's remaining amount does, applying the plan converges in one step,
a second plan of the same state changes nothing, and no external id is ever used twice."""

from __future__ import annotations

import os
from dataclasses import replace
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from fakturabro.sync.payments.plan import (
    DocumentKind,
    ExportedInvoice,
    RegisterPayment,
    ReversePayment,
    SkipUnchanged,
    VismaReceivable,
    paid_from_visma,
    plan,
)

EXAMPLES = int(os.environ.get("FAKTURABRO_PLAN_EXAMPLES", "200"))
ore = st.integers(min_value=0, max_value=10_000_000).map(lambda n: Decimal(n).scaleb(-2))


@settings(max_examples=EXAMPLES, deadline=None)
@given(
    to_pay=ore.filter(lambda amount: amount > 0),
    remaining_shares=st.lists(st.integers(min_value=0, max_value=100), min_size=1, max_size=8),
    credited_share=st.integers(min_value=0, max_value=100),
    manual_share=st.integers(min_value=0, max_value=100),
)
def test_each_plan_converges_and_never_reuses_an_external_id(
    to_pay: Decimal, remaining_shares: list[int], credited_share: int, manual_share: int
) -> None:
    credited = (to_pay * credited_share / 100).quantize(Decimal("0.01"))
    manual = ((to_pay - credited) * manual_share / 100).quantize(Decimal("0.01"))
    ours = ExportedInvoice(1, 1001, "draft", frozenset({"draft-1"}), to_pay, credited=credited, paid_manually=manual)
    used: set[str] = set()
    for share in remaining_shares:  # what Visma says is still owed, run after run (payments and undos)
        remaining = (to_pay * share / 100).quantize(Decimal("0.01"))
        receivable = VismaReceivable(
            DocumentKind.INVOICE, "inv-1", 1001, to_pay, remaining, created_from_draft_id="draft-1"
        )
        for action in plan([receivable], [ours]):
            if isinstance(action, RegisterPayment | ReversePayment):
                assert action.external_id not in used
                used.add(action.external_id)
                signed = action.amount if isinstance(action, RegisterPayment) else -action.amount
                assert action.amount > 0
                ours = replace(
                    ours, paid_from_visma=ours.paid_from_visma + signed, visma_payments=ours.visma_payments + 1
                )
        assert ours.paid_from_visma == paid_from_visma(receivable, ours)
        assert 0 <= ours.paid_from_visma <= to_pay - credited - manual  # never paid beyond what is open
        assert plan([receivable], [ours]) == [SkipUnchanged("inv-1", "payments unchanged")]
