"""Read-only views of what the Visma integration recorded, for the pages: export state per invoice, its log,
and which article numbers Visma has (the export's article cache).

These read the integration's own tables; they never call Visma, so a page is fast and works while Visma is down.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from fakturabro.store.database import Database
from fakturabro.store.export_models import InvoiceExport, link_state
from fakturabro.store.export_state_repository import ExportStateRepository

FINAL_STATES = ("exported", "failed", "needs_reconnect", "needs_attention")


@dataclass(frozen=True)
class ExportInfo:
    state: str
    mode: str | None
    attempts: int
    error: str | None
    visma_invoice_number: int | None
    exported_at: datetime | None
    show_actions: bool = True
    link: str | None = None  # the link back from Visma: linked, pending, refused, off (None until exported)

    @property
    def final(self) -> bool:
        return self.state in FINAL_STATES


@dataclass(frozen=True)
class ExportEvent:
    at: datetime
    step: str
    outcome: str
    message: str | None


@dataclass(frozen=True)
class VismaArticles:
    """Article numbers Visma has, as of ``checked_at`` (None: the export has not read Visma's articles yet)."""

    numbers: frozenset[str]
    checked_at: datetime | None


def _info(row: InvoiceExport) -> ExportInfo:
    return ExportInfo(
        state=row.state,
        mode=row.mode,
        attempts=row.attempts,
        error=row.error,
        visma_invoice_number=row.visma_invoice_number,
        exported_at=row.exported_at,
        link=link_state(row),
    )


def export_states(db: Database, company_id: int, invoice_ids: list[int]) -> dict[int, ExportInfo]:
    if not invoice_ids:
        return {}
    with db.transaction() as session:
        rows = ExportStateRepository(session, company_id).exports_for(invoice_ids)
        return {row.invoice_id: _info(row) for row in rows}


def export_state(db: Database, company_id: int, invoice_id: int) -> ExportInfo | None:
    return export_states(db, company_id, [invoice_id]).get(invoice_id)


def export_history(db: Database, company_id: int, invoice_id: int, limit: int = 50) -> list[ExportEvent]:
    with db.transaction() as session:
        rows = ExportStateRepository(session, company_id).log_of(invoice_id, limit)
        return [ExportEvent(row.at, row.step, row.outcome, row.message) for row in rows]


def visma_articles(db: Database, company_id: int) -> VismaArticles | None:
    with db.transaction() as session:
        exports = ExportStateRepository(session, company_id)
        cache = exports.company_cache()
        numbers = exports.active_article_numbers()
        if cache is None and not numbers:
            return None
        return VismaArticles(frozenset(numbers), cache.articles_checked_at if cache else None)
