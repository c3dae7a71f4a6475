"""The invoice list's search: free text (customer, number, row text, amount) and filters, one page at a time,
with the number of matches per status for the same search.

SQLite's ``lower()`` folds only ASCII, so a text is matched as typed, lowered and capitalised as well: "åkesson"
finds "Åkesson" on SQLite too (PostgreSQL folds all of it).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal

from sqlalchemy import ColumnElement, Select, and_, exists, false, func, or_, select

from fakturabro.store.delivery_models import InvoiceDelivery
from fakturabro.store.export_models import InvoiceExport
from fakturabro.store.models import Customer, Invoice, InvoiceRow
from fakturabro.store.repositories import CompanyScoped

NOT_STARTED = "none"
"""The export or delivery filter's value for an invoice that has none (never exported, never sent)."""
OPEN_STATUSES = ("approved", "partially_paid")


@dataclass(frozen=True)
class InvoiceFilter:
    """What the list shows: every field narrows it; empty means "any"."""

    text: str = ""
    number: int | None = None
    amount: Decimal | None = None
    statuses: tuple[str, ...] = ()
    export_states: tuple[str, ...] = ()
    delivery_states: tuple[str, ...] = ()
    date_from: date | None = None
    date_to: date | None = None
    overdue: bool = False  # only invoices still unpaid after their due date
    customer_id: int | None = None


@dataclass(frozen=True)
class SearchPage:
    invoices: Sequence[Invoice]
    total: int
    by_status: dict[str, int] = field(default_factory=dict)


class InvoiceSearch(CompanyScoped):
    def page(self, wanted: InvoiceFilter, today: date, limit: int, offset: int) -> SearchPage:
        """``today`` (the Swedish date) decides what is overdue."""
        conditions = self._conditions(wanted, today)
        status_free = self._conditions(replace(wanted, statuses=()), today)
        query = select(Invoice).join(Customer, Invoice.customer_id == Customer.id).where(*conditions)
        found = list(self.session.scalars(query.order_by(Invoice.id.desc()).limit(limit).offset(offset)))
        counts = self._counts(select(Invoice.status, func.count()).join(Customer).where(*status_free))
        return SearchPage(found, self._count(conditions), counts)

    def _count(self, conditions: list[ColumnElement[bool]]) -> int:
        query = select(func.count()).select_from(Invoice).join(Customer).where(*conditions)
        return int(self.session.scalar(query) or 0)

    def _counts(self, query: Select[str, int]) -> dict[str, int]:
        rows = self.session.execute(query.group_by(Invoice.status)).all()
        return {str(row[0]): int(row[1]) for row in rows}

    def _conditions(self, wanted: InvoiceFilter, today: date) -> list[ColumnElement[bool]]:
        conditions: list[ColumnElement[bool]] = [Invoice.company_id == self.company_id]
        if wanted.text or wanted.number is not None or wanted.amount is not None:
            conditions.append(_matches(wanted))
        if wanted.statuses:
            conditions.append(Invoice.status.in_(wanted.statuses))
        if wanted.export_states:
            conditions.append(_state_in(InvoiceExport, wanted.export_states))
        if wanted.delivery_states:
            conditions.append(_state_in(InvoiceDelivery, wanted.delivery_states))
        if wanted.date_from is not None:
            conditions.append(Invoice.invoice_date >= wanted.date_from)
        if wanted.date_to is not None:
            conditions.append(Invoice.invoice_date <= wanted.date_to)
        if wanted.overdue:
            conditions.append(and_(*_owed(), Invoice.due_date < today))
        if wanted.customer_id is not None:
            conditions.append(Invoice.customer_id == wanted.customer_id)
        return conditions


def _owed() -> list[ColumnElement[bool]]:
    # A credit invoice asks for nothing: what it credits is already off the invoice it credits.
    return [Invoice.status.in_(OPEN_STATUSES), Invoice.credits_invoice_id.is_(None)]


def _matches(wanted: InvoiceFilter) -> ColumnElement[bool]:
    """Any of: the customer's name or number, a row's text, the references, the invoice's number or amount."""
    options: list[ColumnElement[bool]] = []
    if wanted.text:
        for pattern in _patterns(wanted.text):
            options += [
                func.lower(Customer.name).like(pattern),
                func.lower(Customer.customer_number).like(pattern),
                func.lower(func.coalesce(Invoice.your_reference, "")).like(pattern),
                exists().where(InvoiceRow.invoice_id == Invoice.id, func.lower(InvoiceRow.text).like(pattern)),
            ]
    if wanted.number is not None:
        options.append(Invoice.number == wanted.number)
    if wanted.amount is not None:
        options += [Invoice.total == wanted.amount, Invoice.to_pay == wanted.amount, Invoice.total == -wanted.amount]
    return or_(*options) if options else false()


def _patterns(text: str) -> list[str]:
    variants = {text.lower(), text, text.capitalize(), text.upper()}
    return [f"%{_escaped(variant)}%" for variant in sorted(variants)]


def _escaped(text: str) -> str:
    # LIKE's wildcards in what the user typed are letters, not wildcards.
    return text.replace("%", "").replace("_", "")


def _state_in(table: type[InvoiceExport] | type[InvoiceDelivery], states: tuple[str, ...]) -> ColumnElement[bool]:
    known = [state for state in states if state != NOT_STARTED]
    has = exists().where(table.invoice_id == Invoice.id, table.state.in_(known))
    if NOT_STARTED in states:
        return or_(has, ~exists().where(table.invoice_id == Invoice.id))
    return has
