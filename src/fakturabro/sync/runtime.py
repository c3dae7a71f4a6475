"""DBOS Transact for fakturabro's background work: configuration from the settings, launch and shutdown.

The system database is a SQLite file in the data directory by default, and the application's PostgreSQL
database when ``DATABASE_URL`` is PostgreSQL, so several `fakturabro worker` processes on several machines share
one queue. The export queue is partitioned by company: each company has at most ``PER_COMPANY_CONCURRENCY``
exports running at once across all workers, so one company's bulk export cannot starve the others. One at a time
per company also means two exports never race to create the same customer or fallback article in Visma (which
does not promise unique customer numbers); Visma's rate limit, not our concurrency, bounds a company's speed.
"""

from __future__ import annotations

import os
from collections.abc import Callable

import structlog
from dbos import DBOS, DBOSConfig, WorkflowHandle

from fakturabro.settings import Settings
from fakturabro.sync.export import workflow
from fakturabro.sync.export.steps import ExportDeps
from fakturabro.sync.payments import schedule as payment_schedule

log = structlog.get_logger("fakturabro.sync.runtime")

APP_NAME = "fakturabro"
PER_COMPANY_CONCURRENCY = 1
WORKER_CONCURRENCY = 8
PENDING_SCHEDULE = "fakturabro-export-pending"


def system_database_url(settings: Settings) -> str:
    """PostgreSQL when the app runs on PostgreSQL (DBOS keeps its tables in its own schema), else a SQLite file."""
    url = settings.resolved_database_url
    if url.startswith(("postgresql", "postgres")):
        return url.replace("postgresql+psycopg://", "postgresql://", 1)
    return f"sqlite:///{(settings.data_dir / 'dbos.sqlite').resolve()}"


def dbos_config(settings: Settings, *, executor_id: str | None = None) -> DBOSConfig:
    config: DBOSConfig = {
        "name": APP_NAME,
        "system_database_url": system_database_url(settings),
        "log_level": os.environ.get("FAKTURABRO_DBOS_LOG_LEVEL", "WARNING"),
        "application_version": "fakturabro-export-1",
        "notification_listener_polling_interval_sec": 0.1,
    }
    if executor_id:
        config["executor_id"] = executor_id
    return config


def launch(
    settings: Settings,
    deps: ExportDeps,
    *,
    executor_id: str | None = None,
    polling_interval_sec: float = 0.2,
    schedule_pending: bool = True,
) -> None:
    """Configure the export, start DBOS (recovering workflows a dead process left) and register the queue."""
    workflow.configure(deps)
    payment_schedule.configure(payment_schedule.deps_from_export(deps))
    DBOS(config=dbos_config(settings, executor_id=executor_id))
    DBOS.launch()
    DBOS.register_queue(
        workflow.EXPORT_QUEUE,
        worker_concurrency=WORKER_CONCURRENCY,
        partition_concurrency=PER_COMPANY_CONCURRENCY,
        polling_interval_sec=polling_interval_sec,
        on_conflict="always_update",
    )
    if schedule_pending and DBOS.get_schedule(PENDING_SCHEDULE) is None:
        DBOS.create_schedule(
            schedule_name=PENDING_SCHEDULE, workflow_fn=workflow.export_pending_scheduled, schedule="0 * * * * *"
        )
    if schedule_pending:
        payment_schedule.schedule()  # the payment import per connected company, every N minutes
    log.info("dbos.launched", system_database=system_database_url(settings).split("@")[-1])


def shutdown() -> None:
    DBOS.destroy(workflow_completion_timeout_sec=0)


def wait_for(invoice_id: int, generation: int = 1) -> str | None:
    """The final state of one export workflow (tests and the CLI's `--wait`)."""
    handle: WorkflowHandle[str] = DBOS.retrieve_workflow(workflow.workflow_id(invoice_id, generation))
    return handle.get_result()


OnApproved = Callable[[int, int], None]


def on_approved() -> OnApproved:
    """The callback for ``Container.on_approved``: enqueue the export after the approval committed."""
    return workflow.start_export
