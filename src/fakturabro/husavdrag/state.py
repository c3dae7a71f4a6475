"""An invoice's claim state: stored once a claim is made (here or, read from Visma, there), derived before that.

Before any claim the state follows the invoice: ``awaiting_payment`` until the buyer has paid it all, then
``ready``. The source is ``visma`` when the invoice went to Visma eEkonomi and the company claims there (Visma
keeps the claim: `TaxDeductionStatus`, read by the payment import), else ``fakturabro`` (Skatteverket's file).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from fakturabro.domain.husavdrag_claims import ClaimState
from fakturabro.domain.invoice import InvoiceStatus
from fakturabro.invoicing.views import ClaimStateView
from fakturabro.store import models
from fakturabro.store.husavdrag_models import HusavdragInvoiceClaim
from fakturabro.store.husavdrag_repository import CLAIMS_IN_VISMA, HusavdragRepository
from fakturabro.store.repositories import Transaction

SOURCE_VISMA = "visma"
SOURCE_FAKTURABRO = "fakturabro"
VISMA_REFUSAL = "Skatteverket avslog begäran enligt Visma eEkonomi. Ange beslutet om en del godkändes."


def derived_state(invoice: models.Invoice) -> ClaimState:
    return ClaimState.READY if invoice.status == InvoiceStatus.PAID.value else ClaimState.AWAITING_PAYMENT


def has_claim(invoice: models.Invoice) -> bool:
    """Approved invoices with husavdrag have a claim state; drafts and credit invoices none."""
    return (
        bool(invoice.house_work_kind)
        and invoice.credits_invoice_id is None
        and invoice.status != InvoiceStatus.DRAFT.value
    )


def source_of(repository: HusavdragRepository, invoice_ids: Sequence[int]) -> dict[int, str]:
    """Where each invoice's claim is made when none is stored yet."""
    if repository.claims_in() != CLAIMS_IN_VISMA:
        return dict.fromkeys(invoice_ids, SOURCE_FAKTURABRO)
    exported = repository.exported(invoice_ids)
    return {i: SOURCE_VISMA if i in exported else SOURCE_FAKTURABRO for i in invoice_ids}


def claim_state_view(session: Transaction, invoice: models.Invoice) -> ClaimStateView | None:
    """``house_work.claim`` of an invoice (None for drafts, credit invoices and invoices without husavdrag)."""
    if not has_claim(invoice):
        return None
    repository = HusavdragRepository(session, invoice.company_id)
    row = repository.states([invoice.id]).get(invoice.id)
    if row is None or (row.source == SOURCE_VISMA and row.state in _DERIVED):
        source = row.source if row is not None else source_of(repository, [invoice.id])[invoice.id]
        state = derived_state(invoice) if row is None else ClaimState(row.state)
        return ClaimStateView(
            state=state.value,
            label=state.label,
            source=source,
            requested_amount=None,
            approved_amount=None,
            decided_at=None,
            reason=None,
        )
    return stored_view(row)


_DERIVED = (ClaimState.AWAITING_PAYMENT.value, ClaimState.READY.value)


def stored_view(row: HusavdragInvoiceClaim) -> ClaimStateView:
    state = ClaimState(row.state)
    return ClaimStateView(
        state=state.value,
        label=state.label,
        source=row.source,
        requested_amount=row.requested_amount,
        approved_amount=row.approved_amount,
        decided_at=row.decided_at,
        reason=row.reason,
        claim_id=row.claim_id,
        back_invoice_id=row.back_invoice_id,
    )


# --- Visma's claim state, read by the payment import --------------------------------------------------------


@dataclass(frozen=True)
class VismaClaimRead:
    """What Visma said about one of our exported husavdrag invoices, in our words."""

    invoice_id: int
    state: ClaimState
    visma_status: int
    reduction: Decimal | None  # the invoice's reduction as Visma keeps it (what Visma claims)


def record_visma_states(session: Transaction, company_id: int, reads: Sequence[VismaClaimRead], now: datetime) -> int:
    """Store what Visma says about the invoices' claims (in the payment import's page transaction); returns how many
    states changed. A decision the user entered stands; a claim made in fakturabro is not Visma's to change."""
    if not reads:
        return 0
    repository = HusavdragRepository(session, company_id)
    if repository.claims_in() != CLAIMS_IN_VISMA:
        return 0
    rows = repository.states([read.invoice_id for read in reads], for_update=True)
    changed = 0
    for read in reads:
        row = rows.get(read.invoice_id)
        if row is None:
            row = HusavdragInvoiceClaim(
                company_id=company_id, invoice_id=read.invoice_id, source=SOURCE_VISMA, state="", updated_at=now
            )
            repository.add(row)
        if row.source != SOURCE_VISMA:
            continue
        row.visma_status = read.visma_status
        if row.decided_at is not None or row.state == read.state.value:
            continue
        row.state, row.updated_at = read.state.value, now
        if read.state in (ClaimState.REQUESTED, ClaimState.REFUSED) and read.reduction is not None:
            row.requested_amount = abs(read.reduction)
        if read.state is ClaimState.REFUSED:
            row.reason = VISMA_REFUSAL
        repository.record(read.invoice_id, now, "visma_state", f"Visma eEkonomi: {read.state.label.lower()}.")
        changed += 1
    return changed
