"""Bulk register operations as data: one row per run (an import, a push or a pull), from preview to done.

A run keeps what it needs to be applied or resumed later: the uploaded file (encrypted like personal data,
since a customer file holds personnummer, and dropped when the run succeeds), the column mapping and the
user's conflict decisions. ``done`` counts applied writes and moves in the same transaction as each batch.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from fakturabro.store.models import NAME_LENGTH, Base


class RegisterRun(Base):
    __tablename__ = "register_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), index=True)
    operation: Mapped[str] = mapped_column(String(30))  # articles_import, articles_push, customers_pull, …
    status: Mapped[str] = mapped_column(String(20))  # previewed, running, succeeded, failed
    source_name: Mapped[str | None] = mapped_column(String(NAME_LENGTH))
    source_encrypted: Mapped[str | None] = mapped_column(Text)
    columns_json: Mapped[str] = mapped_column(Text, default="{}")
    decisions_json: Mapped[str] = mapped_column(Text, default="{}")
    counts_json: Mapped[str] = mapped_column(Text, default="{}")
    problems_json: Mapped[str] = mapped_column(Text, default="[]")
    total: Mapped[int] = mapped_column(Integer, default=0)
    done: Mapped[int] = mapped_column(Integer, default=0)
    api_calls: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
