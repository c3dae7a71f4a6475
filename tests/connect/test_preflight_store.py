"""Stored check results: the latest is read back; only a short history is kept."""

from __future__ import annotations

from connect_support import Clock, Company

from fakturabro.store.database import Database
from fakturabro.store.visma_models import VismaPreflightResult
from fakturabro.sync.preflight import KEPT_RESULTS, CheckItem, latest_check, store_result


def test_latest_result_is_read_back_and_history_is_bounded(db: Database, company: Company, clock: Clock) -> None:
    assert latest_check(db, company.id) is None
    for run in range(KEPT_RESULTS + 5):
        clock.advance(60)
        store_result(db, company.id, "export", [CheckItem("app_activated", run % 2 == 0, f"körning {run}")])
    latest = latest_check(db, company.id)
    assert latest is not None
    assert latest.checked_at == clock.now
    assert latest.items == (CheckItem("app_activated", True, f"körning {KEPT_RESULTS + 4}"),)
    assert latest.ok
    with db.transaction() as session:
        kept = session.query(VismaPreflightResult).filter_by(company_id=company.id).count()
    assert kept == KEPT_RESULTS
