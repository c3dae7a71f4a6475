"""Login sessions kept on the server, so ending one (logout, a password change, the operator) takes effect at
once in every process: the browser's signed cookie only names a session, and only a SHA-256 of that name is
stored, so a copy of the database opens no session."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from fakturabro.store.models import Base
from fakturabro.store.types import UtcDateTime


class WebSession(Base):
    """One login. ``ended_at`` set: over (``ended_reason``: logout, password_changed, operator)."""

    __tablename__ = "web_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    last_seen_at: Mapped[datetime] = mapped_column(UtcDateTime())
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    ended_reason: Mapped[str | None] = mapped_column(String(20))
