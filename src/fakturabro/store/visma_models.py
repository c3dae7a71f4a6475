"""The tables of the Visma connection: one connection per company, pending OAuth requests, settings checks.

Tokens are stored only Fernet-encrypted (the key lives outside the database, see ``Settings.fernet_key``); the
OAuth ``state`` is stored only as a SHA-256, so a copy of the database cannot complete someone's pending flow.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from fakturabro.store.models import NAME_LENGTH, SHORT_LENGTH, Base

URL_LENGTH = 2000


class VismaConnection(Base):
    """A company's link to one Visma eEkonomi company. The row is also the per-company refresh lock."""

    __tablename__ = "visma_connections"

    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), primary_key=True)
    activated: Mapped[bool] = mapped_column(Boolean, default=False)
    mode: Mapped[str] = mapped_column(String(10), default="draft")
    visma_company_name: Mapped[str | None] = mapped_column(String(NAME_LENGTH))
    visma_company_org_number: Mapped[str | None] = mapped_column(String(SHORT_LENGTH))
    access_token_encrypted: Mapped[str | None] = mapped_column(Text)
    refresh_token_encrypted: Mapped[str | None] = mapped_column(Text)
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    scope: Mapped[str | None] = mapped_column(Text)
    connected_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    needs_reconnect: Mapped[bool] = mapped_column(Boolean, default=False)
    last_error_code: Mapped[str | None] = mapped_column(String(SHORT_LENGTH))
    last_error_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    token_generation: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class VismaOAuthRequest(Base):
    """A started "Koppla till Visma eEkonomi": single use, short-lived, bound to the company that started it."""

    __tablename__ = "visma_oauth_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), index=True)
    state_hash: Mapped[str] = mapped_column(String(64), unique=True)
    code_verifier_encrypted: Mapped[str] = mapped_column(Text)
    redirect_uri: Mapped[str] = mapped_column(String(URL_LENGTH))
    # SHA-256 of a secret in the starting browser's session; None for flows started through the REST API.
    browser_binding_hash: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class VismaPreflightResult(Base):
    """One run of the settings check; ``items`` is the checklist as JSON."""

    __tablename__ = "visma_preflight_results"

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), index=True)
    checked_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    trigger: Mapped[str] = mapped_column(String(20))
    ok: Mapped[bool] = mapped_column(Boolean)
    items: Mapped[str] = mapped_column(Text)
