"""External ids: the id a vendor's own system gives a customer, article or invoice, unique per company."""

from __future__ import annotations

from sqlalchemy import select

from fakturabro.domain.errors import Conflict
from fakturabro.store.models import Article, Customer, Invoice
from fakturabro.store.repositories import Transaction

Owned = Customer | Article | Invoice


def find_by_external_id(session: Transaction, kind: type[Owned], company_id: int, external_id: str) -> int | None:
    """The id of the company's row of ``kind`` with this external id."""
    query = select(kind.id).where(kind.company_id == company_id, kind.external_id == external_id)
    return session.scalar(query)


def assign_external_id(session: Transaction, row: Owned, external_id: str | None) -> None:
    """Give ``row`` the external id (None keeps the one it has); taken by another row of the company → 409."""
    if external_id is None or external_id == row.external_id:
        return
    other = find_by_external_id(session, type(row), row.company_id, external_id)
    if other is not None and other != row.id:
        raise Conflict("Ett annat objekt har redan detta external_id.", "duplicate_external_id", ("external_id",))
    row.external_id = external_id
