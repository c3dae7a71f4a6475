"""The scheduled payment import: a DBOS scheduled workflow that starts one import workflow per connected company.

Each company's import is a child workflow with the id ``payments-import-<company>-<scheduled time>``: DBOS runs
a known id once, so two workers handling the same tick (or a recovered worker re-running it) import a company
once per tick. The import itself is safe to repeat besides (`importer.py`), and a run already under way for the
company (the button, the CLI) makes the scheduled one step aside instead of waiting.

The interval comes from ``FAKTURABRO_PAYMENT_IMPORT_INTERVAL_MINUTES`` (default 15) or `schedule(minutes)`.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import structlog
from dbos import DBOS, SetWorkflowID

from fakturabro.domain.errors import Conflict
from fakturabro.store.database import Database
from fakturabro.sync.connection import NeedsReconnect, VismaContainer
from fakturabro.sync.export.steps import ExportDeps
from fakturabro.sync.payments.importer import ImportResult, import_payments
from fakturabro.sync.payments.reading import VismaReader
from fakturabro.sync.payments.service import NotConnectedToVisma, connected_companies, import_payments_for
from fakturabro.visma.oauth import NotConnected

log = structlog.get_logger("fakturabro.sync.payments.schedule")

SCHEDULE_NAME = "fakturabro-payments-import"
INTERVAL_ENV = "FAKTURABRO_PAYMENT_IMPORT_INTERVAL_MINUTES"
DEFAULT_INTERVAL_MINUTES = 15


@dataclass(frozen=True)
class PaymentImportDeps:
    db: Database
    import_company: Callable[[int, str], ImportResult]  # (company id, trigger)


_deps: list[PaymentImportDeps] = []


def configure(deps: PaymentImportDeps) -> None:
    """Give the workflows their dependencies (before DBOS is launched, like the export's `configure`)."""
    _deps[:] = [deps]


def deps_for(container: VismaContainer) -> PaymentImportDeps:
    return PaymentImportDeps(
        db=container.db,
        import_company=lambda company_id, trigger: import_payments_for(container, company_id, trigger=trigger),
    )


def deps_from_export(export: ExportDeps) -> PaymentImportDeps:
    """The same storage and Visma clients the export workers use (`runtime.launch` has those at hand)."""

    def import_company(company_id: int, trigger: str) -> ImportResult:
        try:
            client = export.client_for(company_id)
        except NeedsReconnect:
            raise NotConnectedToVisma(reconnect=True) from None
        except NotConnected:
            raise NotConnectedToVisma(reconnect=False) from None
        return import_payments(export.db, VismaReader(client), company_id, trigger=trigger)

    return PaymentImportDeps(db=export.db, import_company=import_company)


def current_deps() -> PaymentImportDeps:
    if not _deps:
        raise RuntimeError("the payment import is not configured: call sync.payments.schedule.configure() first")
    return _deps[0]


def import_one(deps: PaymentImportDeps, company_id: int, trigger: str = "schedule") -> dict[str, Any]:
    """One company's import, as a plain (picklable) outcome; a failure is recorded on the run and reported here,
    never raised into the schedule (the next tick reads from the same cursor)."""
    try:
        result = deps.import_company(company_id, trigger)
    except Conflict as skipped:  # not connected, or an import is already running for the company
        log.info("payments.schedule.skipped", company_id=company_id, reason=skipped.code)
        return {"company_id": company_id, "status": "skipped", "reason": skipped.code}
    except Exception as error:
        log.warning("payments.schedule.failed", company_id=company_id, error=type(error).__name__)
        return {"company_id": company_id, "status": "failed", "reason": type(error).__name__}
    return {"company_id": company_id, "status": "succeeded", **result.as_json()}


def workflow_id(company_id: int, scheduled_at: datetime) -> str:
    return f"payments-import-{company_id}-{scheduled_at.strftime('%Y%m%dT%H%M%S')}"


@DBOS.step(name="payments.connected_companies")
def _companies() -> list[int]:
    return connected_companies_of(current_deps())


@DBOS.step(name="payments.import")
def _import(company_id: int) -> dict[str, Any]:
    return import_one(current_deps(), company_id)


@DBOS.workflow(name="fakturabro.payments_import_company")
def import_company_workflow(company_id: int) -> dict[str, Any]:
    return _import(company_id)


@DBOS.workflow(name="fakturabro.payments_import_scheduled")
def import_payments_scheduled(scheduled_at: datetime, context: object) -> None:
    for company_id in _companies():
        with SetWorkflowID(workflow_id(company_id, scheduled_at)):
            DBOS.start_workflow(import_company_workflow, company_id)


def interval_minutes() -> int:
    minutes = int(os.environ.get(INTERVAL_ENV, DEFAULT_INTERVAL_MINUTES))
    if not 1 <= minutes <= 24 * 60:
        raise ValueError(f"{INTERVAL_ENV} must be between 1 and 1440 minutes")
    return minutes


def cron_for(minutes: int) -> str:
    """A DBOS cron (with seconds) firing every `minutes` minutes; whole hours above 59 minutes."""
    if minutes < 60:
        return f"0 */{minutes} * * * *"
    return f"0 0 */{max(1, minutes // 60)} * * *"


def schedule(minutes: int | None = None) -> None:
    """Create (or re-create with a changed interval) the schedule; call after `DBOS.launch()`."""
    cron = cron_for(minutes or interval_minutes())
    existing = DBOS.get_schedule(SCHEDULE_NAME)
    if existing is not None and existing["schedule"] == cron:
        return
    if existing is not None:
        DBOS.delete_schedule(SCHEDULE_NAME)
    DBOS.create_schedule(schedule_name=SCHEDULE_NAME, workflow_fn=import_payments_scheduled, schedule=cron)
    log.info("payments.schedule", cron=cron)


def connected_companies_of(deps: PaymentImportDeps) -> list[int]:
    return connected_companies(deps.db)
