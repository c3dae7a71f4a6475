"""Recording and reading the event feed. ``record_event`` is the one way an event is written.

The cursor comes from the company's ``event_cursors`` row, incremented with an upsert that keeps the row locked
until the caller's transaction ends: events of one company commit in the order of their cursors, so a reader
paging with ``after=<cursor>`` never skips one that commits late (an auto-increment id would allow that).
Call it last in a transaction, after the change's own locks, to hold the counter briefly.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite

from fakturabro.domain.events import EventType
from fakturabro.store.database import utc_now
from fakturabro.store.integrator_models import Event, EventCursor
from fakturabro.store.models import Invoice, Payment
from fakturabro.store.repositories import Transaction

ORE = Decimal("0.01")


@dataclass(frozen=True)
class StoredEvent:
    id: int
    cursor: int
    type: str
    occurred_at: datetime
    data: dict[str, Any]


def record_event(
    session: Transaction, company_id: int, event_type: EventType, data: Mapping[str, Any], now: datetime
) -> int:
    """Add an event to the company's feed inside ``session``'s transaction; returns its cursor."""
    cursor = _take_cursor(session, company_id)
    session.add(
        Event(
            company_id=company_id,
            cursor=cursor,
            type=event_type.value,
            occurred_at=now,
            data=json.dumps(dict(data), separators=(",", ":"), ensure_ascii=False, default=str),
        )
    )
    return cursor


def record_invoice_event(
    session: Transaction, invoice: Invoice, event_type: EventType, now: datetime | None = None, **extra: Any
) -> int:
    """Record ``event_type`` about ``invoice`` in the caller's transaction (flushed first so the invoice has its id)."""
    session.flush()
    return record_event(session, invoice.company_id, event_type, invoice_event_data(invoice, **extra), now or utc_now())


def invoice_event_data(invoice: Invoice, **extra: Any) -> dict[str, Any]:
    """The invoice as events show it: the same small picture in every event about it (amounts as exact strings;
    ``extra`` adds what the event is about)."""
    return {
        "invoice_id": invoice.id,
        "external_id": invoice.external_id,
        "number": invoice.number,
        "status": invoice.status,
        "customer_id": invoice.customer_id,
        "credits_invoice_id": invoice.credits_invoice_id,
        "total": _amount(invoice.total),
        "to_pay": _amount(invoice.to_pay),
        **extra,
    }


def payment_event_data(payment: Payment) -> dict[str, Any]:
    return {
        "amount": _amount(payment.amount),
        "payment_date": payment.payment_date.isoformat(),
        "source": payment.source,
        "external_id": payment.external_id,
    }


def _amount(value: Decimal | None) -> str | None:
    """Kronor with öre, exactly: "200.00" (a whole amount as the invoice shows it)."""
    return None if value is None else str(value.quantize(ORE))


def _take_cursor(session: Transaction, company_id: int) -> int:
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert(EventCursor) if dialect == "postgresql" else sqlite.insert(EventCursor)
    statement = (
        insert.values(company_id=company_id, last_cursor=1)
        .on_conflict_do_update(
            index_elements=[EventCursor.company_id], set_={"last_cursor": EventCursor.last_cursor + 1}
        )
        .returning(EventCursor.last_cursor)
    )
    return int(session.execute(statement).scalar_one())


def last_cursor(session: Transaction, company_id: int) -> int:
    """The newest cursor of the company's feed (0 before its first event)."""
    value = session.scalar(select(EventCursor.last_cursor).where(EventCursor.company_id == company_id))
    return int(value or 0)


def events_after(
    session: Transaction, company_id: int, after: int, limit: int, types: frozenset[str] | None = None
) -> list[StoredEvent]:
    """The company's events with a cursor above ``after``, oldest first (only ``types`` when given)."""
    query = select(Event).where(Event.company_id == company_id, Event.cursor > after)
    if types is not None:
        query = query.where(Event.type.in_(sorted(types)))
    rows = session.scalars(query.order_by(Event.cursor).limit(limit))
    return [_stored(row) for row in rows]


def event_by_id(session: Transaction, company_id: int, event_id: int) -> StoredEvent | None:
    row = session.scalar(select(Event).where(Event.company_id == company_id, Event.id == event_id))
    return _stored(row) if row else None


def count_events(session: Transaction, company_id: int) -> int:
    return int(session.scalar(select(func.count()).select_from(Event).where(Event.company_id == company_id)) or 0)


def _stored(row: Event) -> StoredEvent:
    return StoredEvent(row.id, row.cursor, row.type, row.occurred_at, json.loads(row.data))
