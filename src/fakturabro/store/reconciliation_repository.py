"""Reads and writes of reconciliation runs and resolutions (SQL lives in `store/`)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from fakturabro.store.reconciliation_models import VismaReconciliationRun, VismaResolution

CUSTOMER = "customer"
ARTICLE = "article"
USE_FALLBACK = "use_fallback"


def latest_run(session: Session, company_id: int) -> VismaReconciliationRun | None:
    return session.scalars(
        select(VismaReconciliationRun)
        .where(VismaReconciliationRun.company_id == company_id)
        .order_by(VismaReconciliationRun.id.desc())
        .limit(1)
    ).first()


def run_of(session: Session, company_id: int, run_id: int, *, lock: bool = False) -> VismaReconciliationRun | None:
    run = session.get(VismaReconciliationRun, run_id, with_for_update=lock)
    return run if run is not None and run.company_id == company_id else None


def resolutions(session: Session, company_id: int, subject: str | None = None) -> list[VismaResolution]:
    query = select(VismaResolution).where(VismaResolution.company_id == company_id)
    if subject is not None:
        query = query.where(VismaResolution.subject == subject)
    return list(session.scalars(query))


def resolution_of(session: Session, company_id: int, subject: str, number: str) -> VismaResolution | None:
    return session.scalars(
        select(VismaResolution).where(
            VismaResolution.company_id == company_id,
            VismaResolution.subject == subject,
            VismaResolution.number == number,
        )
    ).first()


def resolved_customer_numbers(session: Session, company_id: int) -> frozenset[str]:
    return frozenset(r.number for r in resolutions(session, company_id, CUSTOMER))


def article_fallbacks(session: Session, company_id: int) -> frozenset[str]:
    """Our article numbers whose rows the user chose to export on the fallback article instead of Visma's."""
    return frozenset(r.number for r in resolutions(session, company_id, ARTICLE) if r.action == USE_FALLBACK)
