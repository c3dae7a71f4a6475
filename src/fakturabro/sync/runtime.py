"""DBOS Transact for fakturabro's background work: configuration from the settings, launch and shutdown.

The system database is a SQLite file in the data directory by default, and the application's PostgreSQL
database when ``DATABASE_URL`` is PostgreSQL, so several `fakturabro worker` processes on several machines share
one queue. Exports run in three lanes, each a queue partitioned by company (so one company's bulk export cannot
starve the others). Visma does not promise unique customer or article numbers, so whatever may create one is
serialised with everything else that may create the same one:

- a *customer's* lane (``fakturabro-exports-customers``, partitioned per company and customer: one export at a
  time per customer across all workers) for exports whose customer is not linked yet; they may look it up and
  create it, and exports of different new customers go side by side;
- the *serial* lane (``fakturabro-exports``, one export at a time per company) for exports that may create a
  fallback article (shared by all of the company's invoices);
- the *parallel* lane (``fakturabro-exports-parallel``, ``PER_COMPANY_CONCURRENCY`` at once per company) for
  exports whose customer is linked and whose articles are cached: they only POST their document.

The lane is chosen at enqueue time (`steps.export_lane`); an export that meets something its lane may not create
(its routing went stale, or a new customer's invoice also needs a new article) hands itself over to the lane that
may, never creating anything itself. Visma's rate limit, paced per endpoint by token buckets
shared through the database, bounds a company's speed, not the queues.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from datetime import datetime

import structlog
from dbos import DBOS, DBOSConfig, WorkflowHandle

from fakturabro.bootstrap import Container
from fakturabro.settings import Settings
from fakturabro.store.database import Database
from fakturabro.sync.delivery import workflow as delivery
from fakturabro.sync.delivery.requests import default_delivery
from fakturabro.sync.delivery.steps import DeliveryDeps
from fakturabro.sync.export import link_workflow, workflow
from fakturabro.sync.export.steps import ExportDeps
from fakturabro.sync.pacing_db import pacer_for
from fakturabro.sync.payments import schedule as payment_schedule
from fakturabro.sync.reconciliation import run as reconciliation
from fakturabro.sync.webhooks import delivery as webhooks
from fakturabro.visma.client import VismaClient

log = structlog.get_logger("fakturabro.sync.runtime")

APP_NAME = "fakturabro"
# Parallel-lane exports per company at once. An export takes Visma's 100–300 ms for its POST plus ~250–350 ms of
# ours (transactions, DBOS's step records) on a loaded machine, so 4 at once gave 8.5 a second at 100 ms latency
# (docs/BENCHMARKS.md) and 8 keep the document endpoint at its paced rate (9.7 a second); more only wait on the pacer.
PER_COMPANY_CONCURRENCY = int(os.environ.get("FAKTURABRO_EXPORT_PER_COMPANY_CONCURRENCY", "8"))
# No DBOS limiter on the export queues (there was one of 500 starts a minute): a limiter counts workflow starts,
# not calls, so it cannot keep an endpoint under Visma's limit (an export makes one to eight calls on different
# endpoints, retries included), and any limit at or under the paced rate caps a bulk export below Visma's ceiling.
# The token buckets (`sync/pacing_db.py`) pace every call per endpoint, shared by all workers through the database.
WORKER_CONCURRENCY = 16  # per queue and worker: room for other companies while one company's bulk export runs
# Threads for this process's workflows. DBOS's default is Python's (cpu count + 4: 6 on two cores), fewer than the
# queues' worker concurrencies together (serial 8 + parallel 8 + links + imports), and a parallel export handed
# over to the serial lane holds its thread while it waits for that child: with too few threads the children could
# never start.
EXECUTOR_THREADS = 64
PENDING_SCHEDULE = "fakturabro-export-pending"
SHUTDOWN_GRACE_SECONDS = 5  # within the 30 s a service manager gives a stopping process (docs/DEPLOYMENT.md)


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
        "max_executor_threads": EXECUTOR_THREADS,
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
    webhook_deps: webhooks.WebhookDeps | None = None,
    delivery_deps: DeliveryDeps | None = None,
) -> None:
    """Configure the export, start DBOS (recovering workflows a dead process left) and register the queues (the two
    export lanes, the links)."""
    workflow.configure(deps)
    payment_schedule.configure(payment_schedule.deps_from_export(deps))
    DBOS(config=dbos_config(settings, executor_id=executor_id))
    DBOS.launch()
    lanes = (
        (workflow.CUSTOMER_EXPORT_QUEUE, 1),  # partitioned per customer
        (workflow.EXPORT_QUEUE, 1),
        (workflow.PARALLEL_EXPORT_QUEUE, PER_COMPANY_CONCURRENCY),
    )
    for queue, per_company in lanes:
        DBOS.register_queue(
            queue,
            worker_concurrency=WORKER_CONCURRENCY,
            partition_concurrency=per_company,
            polling_interval_sec=polling_interval_sec,
            on_conflict="always_update",  # also drops the limiter an older release stored with the serial queue
        )
    link_workflow.register(polling_interval_sec=polling_interval_sec, sweep=schedule_pending)
    reconciliation.register(polling_interval_sec=polling_interval_sec)
    webhooks.register(
        webhook_deps or webhooks.production_deps(settings, deps.db),
        polling_interval_sec=polling_interval_sec,
        schedule=schedule_pending,
    )
    delivery.register(
        delivery_deps or delivery_deps_from_export(settings, deps),
        polling_interval_sec=polling_interval_sec,
        sweep=schedule_pending,
    )
    if schedule_pending and DBOS.get_schedule(PENDING_SCHEDULE) is None:
        DBOS.create_schedule(
            schedule_name=PENDING_SCHEDULE, workflow_fn=workflow.export_pending_scheduled, schedule="0 * * * * *"
        )
    if schedule_pending:
        payment_schedule.schedule()  # the payment import per connected company, every N minutes
    log.info("dbos.launched", system_database=system_database_url(settings).split("@")[-1])


def shutdown(grace_seconds: int = SHUTDOWN_GRACE_SECONDS) -> None:
    """Stop taking work, let the workflows running here finish for up to ``grace_seconds``, then stop DBOS.

    A workflow still running after the grace (sleeping out a retry's backoff, say) is cut at its next step: it
    stays pending and is resumed from its last recorded step when this executor id starts again, and DBOS logs
    that step's failure. The grace spares that to the steps in flight, which take well under a second."""
    DBOS.destroy(workflow_completion_timeout_sec=grace_seconds)


def wait_for(invoice_id: int, generation: int = 1) -> str | None:
    """The final state of one export workflow (tests and the CLI's `--wait`)."""
    handle: WorkflowHandle[str] = DBOS.retrieve_workflow(workflow.workflow_id(invoice_id, generation))
    return handle.get_result()


def kept_clients(
    connection_of: Callable[[int], tuple[bool, datetime | None]], build: Callable[[int], VismaClient]
) -> Callable[[int], VismaClient]:
    """`client_for` keeping one client per company and connection (see `production_deps`).

    ``connection_of`` is read on every call: (connected, connected at). A kept client is returned only while the
    company is connected with the same ``connected_at``; otherwise ``build`` runs (and raises when not connected).
    """
    kept: dict[int, tuple[datetime | None, VismaClient]] = {}
    lock = threading.Lock()

    def client_for(company_id: int) -> VismaClient:
        connected, connected_at = connection_of(company_id)
        held = kept.get(company_id)
        if connected and held is not None and held[0] == connected_at:
            return held[1]
        client = build(company_id)
        with lock:
            kept[company_id] = (connected_at, client)
        return client

    return client_for


def production_deps(container: Container) -> ExportDeps:
    """The export's dependencies from the composition root: the company's Visma connection and export mode.

    One `VismaClient` per company and connection is kept for the process's life: building one costs two httpx
    clients (TLS contexts, ~20 ms CPU each) and a token read, and an export asks for it in four steps. The
    connection is still read on every call, so a disconnect or a refused refresh stops the next step at once,
    and a reconnect (a new ``connected_at``) gets a new client. A kept client stays correct across token
    refreshes by other workers: `VismaAuth` re-reads the stored tokens under the company's lock before every
    refresh and on a 401 (see `DatabaseTokenStore`).
    """
    from fakturabro.sync.connection import ConnectionState, connection_status, visma_client_for, visma_setup_of

    # PostgreSQL: one budget per Visma client and endpoint in the shared database, whatever the number of workers.
    scope = container.settings.visma_client_id or "sandbox"
    pacer = pacer_for(container.engine, scope=scope)
    setup = visma_setup_of(container)

    def connection_of(company_id: int) -> tuple[bool, datetime | None]:
        status = connection_status(container.db, company_id)
        return status.state is ConnectionState.CONNECTED, status.connected_at

    client_for = kept_clients(
        connection_of, lambda company_id: visma_client_for(container, company_id, pacer=pacer, setup=setup)
    )

    def mode_for(company_id: int) -> str:
        return connection_status(container.db, company_id).mode.value

    def connected(company_id: int) -> bool:
        return connection_status(container.db, company_id).connected

    return ExportDeps(
        db=container.db,
        client_for=client_for,
        mode_for=mode_for,
        connected=connected,
        public_url=container.settings.public_url,
        fallback_name=setup.fallback_article,
        house_work_fallback_name=setup.house_work_fallback_article,
        # The link back is one more call per invoice, in its own lane after the export (link_workflow.py).
        link_back=os.environ.get("FAKTURABRO_VISMA_LINK_BACK", "1") != "0",
    )


def delivery_deps_from_export(settings: Settings, deps: ExportDeps) -> DeliveryDeps:
    """Sending's dependencies: the export's storage and Visma clients, the deployment's SMTP server."""
    from fakturabro.mail.smtp import parse_smtp_url, send

    server = parse_smtp_url(settings.smtp_url.get_secret_value()) if settings.smtp_url else None
    return DeliveryDeps(
        db=deps.db,
        client_for=deps.client_for,
        smtp_for=lambda _company_id: server,
        send_mail=send,
        sender_address=settings.mail_from,
    )


def send_by_default(db: Database) -> Callable[[int, int], None]:
    """The approval hook that sends a newly approved invoice the company's default way (if it has one)."""

    def hook(company_id: int, invoice_id: int) -> None:
        requested = default_delivery(db, company_id, invoice_id)
        if requested is not None:
            delivery.start(requested)

    return hook


def start(container: Container, *, executor_id: str | None = None) -> None:
    """Start the background export in this process: register the approval hooks and launch DBOS.

    The web app and every `fakturabro worker` call this; all of them enqueue and all of them run exports.
    """
    if workflow.start_export not in container.on_approved:
        container.on_approved.append(workflow.start_export)
        container.on_approved.append(send_by_default(container.db))
    launch(container.settings, production_deps(container), executor_id=executor_id)
