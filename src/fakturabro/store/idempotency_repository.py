"""Idempotency keys: claim a key for a request, store its answer, release it when nothing was done."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite

from fakturabro.store.database import Database
from fakturabro.store.integrator_models import IdempotencyKey

IN_FLIGHT = "in_flight"
DONE = "done"


@dataclass(frozen=True)
class Claimed:
    """The key was free: this request runs, and its answer is stored under ``row_id``."""

    row_id: int


@dataclass(frozen=True)
class Taken:
    """The key is already used: ``state`` and whether it was with the same request, and the stored answer."""

    same_request: bool
    state: str
    status_code: int | None
    content_type: str | None
    body: bytes | None


def claim_key(
    db: Database, company_id: int, key: str, fingerprint: str, now: datetime, expires_at: datetime
) -> Claimed | Taken:
    """Take ``key`` for a request, or say who has it. Two claims at once: the unique (company, key) lets one in."""
    while True:  # a conflicting claim released between our insert and our read: claim again
        found = _claim_once(db, company_id, key, fingerprint, now, expires_at)
        if found is not None:
            return found


def _claim_once(
    db: Database, company_id: int, key: str, fingerprint: str, now: datetime, expires_at: datetime
) -> Claimed | Taken | None:
    with db.transaction() as session:
        # Expired keys are forgotten first, so a key used again after its time is a new request.
        session.execute(
            delete(IdempotencyKey).where(IdempotencyKey.company_id == company_id, IdempotencyKey.expires_at <= now)
        )
        dialect = session.get_bind().dialect.name
        insert = postgresql.insert(IdempotencyKey) if dialect == "postgresql" else sqlite.insert(IdempotencyKey)
        statement = (
            insert.values(
                company_id=company_id,
                key=key,
                fingerprint=fingerprint,
                state=IN_FLIGHT,
                created_at=now,
                expires_at=expires_at,
            )
            .on_conflict_do_nothing(index_elements=[IdempotencyKey.company_id, IdempotencyKey.key])
            .returning(IdempotencyKey.id)
        )
        row_id = session.execute(statement).scalar_one_or_none()
        if row_id is not None:
            return Claimed(int(row_id))
        row = session.scalar(
            select(IdempotencyKey).where(IdempotencyKey.company_id == company_id, IdempotencyKey.key == key)
        )
        if row is None:
            return None
        return Taken(row.fingerprint == fingerprint, row.state, row.status_code, row.content_type, row.body)


def store_answer(db: Database, row_id: int, status_code: int, content_type: str | None, body: bytes) -> None:
    with db.transaction() as session:
        row = session.get(IdempotencyKey, row_id)
        if row is None:
            return  # deleted by hand meanwhile: nothing to keep the answer under
        row.state = DONE
        row.status_code = status_code
        row.content_type = content_type
        row.body = body


def release_key(db: Database, row_id: int) -> None:
    """Forget a claim whose request changed nothing (refused input, a failure), so a retry runs again."""
    with db.transaction() as session:
        session.execute(delete(IdempotencyKey).where(IdempotencyKey.id == row_id))
