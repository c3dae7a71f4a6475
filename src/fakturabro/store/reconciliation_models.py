"""The tables of reconciliation with a Visma company's existing books: its runs and the user's resolutions.

A run's result is kept as the JSON the API returns (the contract in docs/RECONCILIATION.md), one column per
section so a resumed run rewrites only the section it redoes. A resolution is a decision about one of our
customers or articles, per company; every later export honours it.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from fakturabro.store.models import SHORT_LENGTH, Base

UUID_LENGTH = 36


class VismaReconciliationRun(Base):
    """One reconciliation: ``running``, ``done`` or ``failed``; the sections fill in as the workflow's steps end."""

    __tablename__ = "visma_reconciliation_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), index=True)
    state: Mapped[str] = mapped_column(String(20))
    trigger: Mapped[str] = mapped_column(String(20))
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    visma_calls: Mapped[int] = mapped_column(Integer, default=0)
    customers: Mapped[str | None] = mapped_column(Text)
    articles: Mapped[str | None] = mapped_column(Text)
    numbering: Mapped[str | None] = mapped_column(Text)
    settings: Mapped[str | None] = mapped_column(Text)
    error: Mapped[str | None] = mapped_column(Text)


class VismaResolution(Base):
    """The user's decision on a finding: ``subject`` is ``customer`` or ``article``, ``number`` ours."""

    __tablename__ = "visma_resolutions"
    __table_args__ = (UniqueConstraint("company_id", "subject", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), index=True)
    subject: Mapped[str] = mapped_column(String(20))
    number: Mapped[str] = mapped_column(String(SHORT_LENGTH))
    action: Mapped[str] = mapped_column(String(30))
    finding_kind: Mapped[str] = mapped_column(String(30))
    visma_id: Mapped[str | None] = mapped_column(String(UUID_LENGTH))
    visma_number: Mapped[str | None] = mapped_column(String(SHORT_LENGTH))
    decided_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
