"""Gathering: Visma's changed receivables, page by page, as the planner's `VismaReceivable`s.

The pages come through our `VismaClient`; every page is one GET, counted in `calls` (a retried GET counts
once: the client retries inside one call).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from fakturabro.domain.money import ZERO
from fakturabro.sync.payments.plan import DocumentKind, VismaReceivable
from fakturabro.visma.client import Page, VismaClient
from fakturabro.visma.mapping import husavdrag_claim_state
from fakturabro.visma.models import CustomerInvoice, CustomerLedgerItem


@dataclass(frozen=True)
class VismaPage:
    receivables: list[VismaReceivable]
    upper_bound: datetime  # Visma's clock when this listing's first page was answered
    is_last: bool


class VismaReader:
    def __init__(self, client: VismaClient) -> None:
        self._client = client
        self.calls = 0

    def pages(self, source: DocumentKind, since: datetime | None) -> Iterator[VismaPage]:
        if source is DocumentKind.INVOICE:
            return self._invoice_pages(since)
        return self._ledger_pages(since)

    def _invoice_pages(self, since: datetime | None) -> Iterator[VismaPage]:
        upper_bound: datetime | None = None
        for page in self._client.customer_invoice_pages(modified_since=since):
            self.calls += 1
            upper_bound = upper_bound or page.meta.server_time_utc
            receivables = [from_invoice(invoice) for invoice in page.items]
            yield VismaPage(receivables, upper_bound, _is_last(page))

    def _ledger_pages(self, since: datetime | None) -> Iterator[VismaPage]:
        """Ledger items changed since the cursor; checked again here in case Visma's filter is looser."""
        upper_bound: datetime | None = None
        for page in self._client.customer_ledger_item_pages(modified_since=since):
            self.calls += 1
            upper_bound = upper_bound or page.meta.server_time_utc
            items = [
                item for item in page.items if since is None or item.modified_utc is None or item.modified_utc >= since
            ]
            yield VismaPage([from_ledger_item(item) for item in items], upper_bound, _is_last(page))


def _is_last(page: Page[CustomerInvoice] | Page[CustomerLedgerItem]) -> bool:
    return not page.items or page.meta.current_page >= page.meta.total_number_of_pages


def from_invoice(invoice: CustomerInvoice) -> VismaReceivable:
    total = invoice.total_amount_invoice_currency
    if total is None:
        total = invoice.total_amount or ZERO
    remaining = invoice.remaining_amount_invoice_currency
    if remaining is None:
        remaining = invoice.remaining_amount or ZERO
    # The customer owes the total less Skatteverket's part of ROT/RUT; RemainingAmount starts there.
    to_pay = total - (invoice.rot_reduced_invoicing_amount or ZERO)
    return VismaReceivable(
        kind=DocumentKind.INVOICE,
        visma_id=str(invoice.id),
        invoice_number=invoice.invoice_number,
        to_pay=to_pay,
        remaining=remaining,
        is_credit=bool(invoice.is_credit_invoice),
        created_from_draft_id=str(invoice.created_from_draft_id) if invoice.created_from_draft_id else None,
        payment_date=invoice.payment_date,
        claim_state=husavdrag_claim_state(invoice),
        claim_status=invoice.tax_deduction_status,
        reduction=invoice.rot_reduced_invoicing_amount,
    )


def from_ledger_item(item: CustomerLedgerItem) -> VismaReceivable:
    return VismaReceivable(
        kind=DocumentKind.LEDGER_ITEM,
        visma_id=str(item.id),
        invoice_number=item.invoice_number,
        to_pay=item.total_amount_invoice_currency,
        remaining=item.remaining_amount_invoice_currency,
        is_credit=item.is_credit_invoice,
    )
