"""Finding invoices: the list's search and filters, a page at a time, and a customer's open amounts."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from decimal import Decimal, InvalidOperation

from fakturabro.domain.money import ZERO
from fakturabro.invoicing.views import InvoiceView
from fakturabro.invoicing.views_builder import invoice_view, is_owed, load_settlements, swedish_today
from fakturabro.store.database import Database
from fakturabro.store.invoice_search import OPEN_STATUSES, InvoiceFilter, InvoiceSearch
from fakturabro.store.repositories import InvoiceRepository

PAGE_SIZE = 25
_AMOUNT = re.compile(r"^-?\d{1,3}(?:[ \u00a0]\d{3})*(?:[.,]\d{1,2})?$|^-?\d+(?:[.,]\d{1,2})?$")


@dataclass(frozen=True)
class InvoicePage:
    invoices: list[InvoiceView]
    total: int
    page: int
    pages: int
    by_status: dict[str, int]


@dataclass(frozen=True)
class OpenAmounts:
    """What a customer still owes: all unpaid, and the part of it past its due date."""

    unpaid: Decimal
    overdue: Decimal
    unpaid_count: int
    overdue_count: int


def with_text(wanted: InvoiceFilter, typed: str) -> InvoiceFilter:
    """The search box's text: an invoice number and an amount ("1 234,50") are tried as such too."""
    typed = typed.strip()
    if not typed:
        return wanted
    number = int(typed) if typed.isdigit() and len(typed) < 10 else None
    amount = None
    if _AMOUNT.match(typed):
        try:
            amount = Decimal(typed.replace(" ", "").replace("\u00a0", "").replace(",", "."))
        except InvalidOperation:
            amount = None
    return replace(wanted, text=typed, number=number, amount=amount)


def search_invoices(db: Database, company_id: int, wanted: InvoiceFilter, page: int = 1) -> InvoicePage:
    """Newest first, ``PAGE_SIZE`` a page; personnummer masked as in every list."""
    with db.transaction() as session:
        today = swedish_today(db.clock())
        found = InvoiceSearch(session, company_id).page(wanted, today, PAGE_SIZE, (max(page, 1) - 1) * PAGE_SIZE)
        settlements = load_settlements(InvoiceRepository(session, company_id), [i.id for i in found.invoices])
        views = [
            invoice_view(session, invoice, db.cipher, mask=True, settlements=settlements, today=today)
            for invoice in found.invoices
        ]
    pages = max(1, -(-found.total // PAGE_SIZE))
    return InvoicePage(views, found.total, min(max(page, 1), pages), pages, found.by_status)


def open_amounts(db: Database, company_id: int, customer_id: int) -> OpenAmounts:
    """What the customer's approved invoices still ask for, after payments and credits."""
    with db.transaction() as session:
        today = swedish_today(db.clock())
        wanted = InvoiceFilter(statuses=OPEN_STATUSES, customer_id=customer_id)
        search = InvoiceSearch(session, company_id)
        found = search.page(wanted, today, limit=10_000, offset=0).invoices
        settlements = load_settlements(InvoiceRepository(session, company_id), [i.id for i in found])
        owed = [invoice for invoice in found if is_owed(invoice)]
        views = [invoice_view(session, i, db.cipher, mask=True, settlements=settlements, today=today) for i in owed]
    overdue = [view for view in views if view.overdue]
    return OpenAmounts(
        unpaid=sum((view.remaining for view in views), ZERO),
        overdue=sum((view.remaining for view in overdue), ZERO),
        unpaid_count=len(views),
        overdue_count=len(overdue),
    )
