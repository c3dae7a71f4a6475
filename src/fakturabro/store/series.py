"""Number series per company. Taking a number is one ``UPDATE … RETURNING``: the row lock it takes on
PostgreSQL serialises concurrent approvals until commit, so two invoices never get the same number, and a
rolled-back approval gives its number back (no gaps)."""

from __future__ import annotations

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from fakturabro.store.models import NumberSeries

CUSTOMER_SERIES = "customer"
INVOICE_SERIES = "invoice"


def create_series(session: Session, company_id: int) -> None:
    session.execute(
        insert(NumberSeries),
        [
            {"company_id": company_id, "kind": CUSTOMER_SERIES, "next_value": 1},
            {"company_id": company_id, "kind": INVOICE_SERIES, "next_value": 1},
        ],
    )


def take_next(session: Session, company_id: int, kind: str) -> int:
    taken = session.execute(
        update(NumberSeries)
        .where(NumberSeries.company_id == company_id, NumberSeries.kind == kind)
        .values(next_value=NumberSeries.next_value + 1)
        .returning(NumberSeries.next_value)
    ).scalar_one()
    return int(taken) - 1


def next_value(session: Session, company_id: int, kind: str) -> int:
    """The number the series hands out next, without taking it (1 for a company without the series yet)."""
    value = session.scalar(
        select(NumberSeries.next_value).where(NumberSeries.company_id == company_id, NumberSeries.kind == kind)
    )
    return int(value or 1)


def set_next(session: Session, company_id: int, kind: str, next_value: int) -> None:
    session.execute(
        update(NumberSeries)
        .where(NumberSeries.company_id == company_id, NumberSeries.kind == kind)
        .values(next_value=next_value)
    )
