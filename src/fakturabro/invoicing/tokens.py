"""API tokens: who may act for a company through the REST API, with which scopes, until when.

A token is checked on every request against the database (no cache), so a revoked or expired token is refused
by every process at once. ``last_used_at`` is written at most once a minute per token, so a busy integration
does not turn every read into a write.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from pydantic import BaseModel

from fakturabro.domain.errors import NotFound, ValidationFailed
from fakturabro.store.database import Database
from fakturabro.store.models import ApiToken
from fakturabro.store.repositories import CompanyRepository, TokenRepository

LAST_USED_RESOLUTION = timedelta(minutes=1)


class Scope(StrEnum):
    READ = "read"
    WRITE = "write"


ALL_SCOPES = (Scope.READ, Scope.WRITE)


class TokenState(StrEnum):
    ACTIVE = "active"
    REVOKED = "revoked"
    EXPIRED = "expired"


class TokenView(BaseModel):
    id: int
    name: str
    prefix: str
    scopes: list[Scope]
    state: TokenState
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None
    revoked_at: datetime | None


@dataclass(frozen=True)
class TokenAccess:
    company_id: int
    token_id: int
    scopes: frozenset[Scope]


def scopes_text(scopes: Iterable[str]) -> str:
    """The stored form: known scopes, each once, in a fixed order; refuses unknown or no scopes."""
    wanted = set(scopes)
    unknown = sorted(wanted - {s.value for s in ALL_SCOPES})
    if unknown or not wanted:
        raise ValidationFailed.single(
            ("scopes",), "Ange behörigheterna read och/eller write (okända: " + ", ".join(unknown) + ").", "enum"
        )
    return " ".join(s.value for s in ALL_SCOPES if s.value in wanted)


def check_expiry(expires_at: datetime | None, now: datetime) -> None:
    if expires_at is not None and (expires_at.tzinfo is None or expires_at <= now):
        raise ValidationFailed.single(
            ("expires_at",), "Utgångstiden måste ligga i framtiden och ha en tidszon.", "out_of_range"
        )


def token_access(db: Database, token_hash: str) -> TokenAccess | None:
    """What the token with this hash may do now, or None when it is unknown, revoked or expired."""
    now = db.clock()
    with db.transaction() as session:
        row = CompanyRepository(session).token_by_hash(token_hash)
        if row is None or _state(row, now) is not TokenState.ACTIVE:
            return None
        if row.last_used_at is None or now - row.last_used_at >= LAST_USED_RESOLUTION:
            row.last_used_at = now
        return TokenAccess(row.company_id, row.id, frozenset(Scope(s) for s in row.scopes.split()))


def list_tokens(db: Database, company_id: int) -> list[TokenView]:
    now = db.clock()
    with db.transaction() as session:
        return [_view(row, now) for row in TokenRepository(session, company_id).all()]


def revoke_token(db: Database, company_id: int, token_id: int) -> TokenView:
    """Revoke a token of the company (revoking again keeps the first time)."""
    now = db.clock()
    with db.transaction() as session:
        row = TokenRepository(session, company_id).get(token_id, for_update=True)
        if row is None:
            raise NotFound("API-token", token_id)
        row.revoked_at = row.revoked_at or now
        return _view(row, now)


def _state(row: ApiToken, now: datetime) -> TokenState:
    if row.revoked_at is not None:
        return TokenState.REVOKED
    if row.expires_at is not None and row.expires_at <= now:
        return TokenState.EXPIRED
    return TokenState.ACTIVE


def _view(row: ApiToken, now: datetime) -> TokenView:
    return TokenView(
        id=row.id,
        name=row.name,
        prefix=row.prefix,
        scopes=[Scope(s) for s in row.scopes.split()],
        state=_state(row, now),
        created_at=row.created_at,
        expires_at=row.expires_at,
        last_used_at=row.last_used_at,
        revoked_at=row.revoked_at,
    )
