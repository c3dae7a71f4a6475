"""Login sessions: begun at a login, checked on every page, ended by logout, a password change or the operator.

A session is over when it was ended, when it has not been used for ``idle`` (the idle timeout), or when it began
more than ``lifetime`` ago (the absolute timeout), whichever comes first. Its key is a random secret the browser
holds (inside the signed cookie); the database holds only a SHA-256 of it. ``last_seen_at`` is written at most
once per ``TOUCH_INTERVAL`` so a busy page does not write on every request.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from argon2 import PasswordHasher

from fakturabro.domain.errors import NotFound, ValidationFailed
from fakturabro.store.database import Database
from fakturabro.store.repositories import CompanyRepository
from fakturabro.store.session_models import WebSession
from fakturabro.store.session_repository import SessionRepository

TOUCH_INTERVAL = timedelta(seconds=60)
_hasher = PasswordHasher()


@dataclass(frozen=True)
class SessionOwner:
    user_id: int
    company_id: int


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def begin_session(db: Database, user_id: int, company_id: int, *, lifetime: timedelta) -> str:
    """A new session (a new key at every login); forgets sessions that are over for good."""
    key = secrets.token_urlsafe(32)
    now = db.clock()
    with db.transaction() as session:
        sessions = SessionRepository(session)
        sessions.drop_older_than(now - lifetime - timedelta(days=1))
        sessions.add(
            WebSession(key_hash=_hash(key), user_id=user_id, company_id=company_id, created_at=now, last_seen_at=now)
        )
    return key


def session_owner(db: Database, key: str, *, idle: timedelta, lifetime: timedelta) -> SessionOwner | None:
    """Who the session ``key`` belongs to, or None when it is unknown or over (a timed-out one is ended here)."""
    now = db.clock()
    with db.transaction() as session:
        row = SessionRepository(session).by_key_hash(_hash(key))
        if row is None or row.ended_at is not None:
            return None
        if now - row.last_seen_at >= idle or now - row.created_at >= lifetime:
            row.ended_at, row.ended_reason = now, "timeout"
            return None
        if now - row.last_seen_at >= TOUCH_INTERVAL:
            row.last_seen_at = now
        return SessionOwner(row.user_id, row.company_id)


def end_session(db: Database, key: str) -> None:
    with db.transaction() as session:
        row = SessionRepository(session).by_key_hash(_hash(key))
        if row is not None and row.ended_at is None:
            row.ended_at, row.ended_reason = db.clock(), "logout"


def end_sessions_of(db: Database, email: str, reason: str = "operator") -> int:
    """End every session of the user with ``email``; the number ended."""
    with db.transaction() as session:
        user = CompanyRepository(session).user_by_email(email.strip().lower())
        if user is None:
            raise NotFound("Användaren", email)
        return SessionRepository(session).end_of_user(user.id, db.clock(), reason)


def end_all_sessions(db: Database) -> int:
    with db.transaction() as session:
        return SessionRepository(session).end_all(db.clock(), "operator")


def change_password(db: Database, email: str, password: str) -> int:
    """Set a new password and end every session of the user in the same transaction; the number ended."""
    if len(password) < 8:
        raise ValidationFailed.single(("password",), "Lösenordet måste ha minst 8 tecken.", "too_short")
    with db.transaction() as session:
        user = CompanyRepository(session).user_by_email(email.strip().lower())
        if user is None:
            raise NotFound("Användaren", email)
        user.password_hash = _hasher.hash(password)
        return SessionRepository(session).end_of_user(user.id, db.clock(), "password_changed")
