"""SQL of the login sessions (``web_sessions``)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from fakturabro.store.models import User
from fakturabro.store.session_models import WebSession


class SessionRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, row: WebSession) -> None:
        self.session.add(row)
        self.session.flush()

    def by_key_hash(self, key_hash: str) -> WebSession | None:
        return self.session.scalar(select(WebSession).where(WebSession.key_hash == key_hash))

    def end_of_user(self, user_id: int, now: datetime, reason: str) -> int:
        """End every open session of the user; the number ended."""
        result = self.session.execute(
            update(WebSession)
            .where(WebSession.user_id == user_id, WebSession.ended_at.is_(None))
            .values(ended_at=now, ended_reason=reason)
        )
        return int(getattr(result, "rowcount", 0) or 0)

    def end_all(self, now: datetime, reason: str) -> int:
        result = self.session.execute(
            update(WebSession).where(WebSession.ended_at.is_(None)).values(ended_at=now, ended_reason=reason)
        )
        return int(getattr(result, "rowcount", 0) or 0)

    def drop_older_than(self, moment: datetime) -> None:
        """Forget sessions that began before ``moment`` (all of them are over by then)."""
        self.session.execute(delete(WebSession).where(WebSession.created_at < moment))

    def user(self, user_id: int) -> User | None:
        return self.session.get(User, user_id)
