"""Sending one invoice as a DBOS workflow, after its export, exactly once.

One workflow per invoice and generation: ``delivery-<invoice id>-<generation>`` on its own queue, partitioned by
company, so a request (or the approval hook, or the sweep) can enqueue it any number of times and it runs once.
"Skicka igen" bumps the generation first (`requests.py`), so a workflow of an older attempt stops at its next
step. A Visma channel waits, with durable sleeps, until the invoice's export is done, then books the draft,
sends it and keeps Visma's PDF; ``email`` sends our own PDF at once. A retriable failure (Visma's 5xx or 429, a
mail server that is down) sleeps and tries again; a refusal stops as ``failed`` with a Swedish reason; a delivery
that cannot go yet (no connection, Visma away for long, the export not done) stays ``pending`` saying why, and the
sweep every five minutes starts it again.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

import structlog
from dbos import DBOS
from dbos._enqueue_options import EnqueueOptions
from dbos._error import DBOSException
from sqlalchemy import select

from fakturabro.domain.delivery import DeliveryChannel, DeliveryState
from fakturabro.store.delivery_models import InvoiceDelivery
from fakturabro.sync.delivery import steps
from fakturabro.sync.delivery.requests import Requested
from fakturabro.sync.delivery.steps import DeliveryDeps, DeliveryStopped, Superseded, TryLater
from fakturabro.sync.export.workflow import ConnectionMissing, _guarded, workflow_active
from fakturabro.visma.errors import VismaError, VismaRateLimited

log = structlog.get_logger("fakturabro.sync.delivery")

DELIVERY_QUEUE = "fakturabro-deliveries"
DELIVERY_WORKFLOW = "fakturabro.deliver_invoice"
SWEEP_SCHEDULE = "fakturabro-delivery-sweep"
SWEEP_AFTER = timedelta(minutes=5)
WORKER_CONCURRENCY = 8
PER_COMPANY_CONCURRENCY = 4
SENT, FAILED, PENDING, SUPERSEDED = "sent", "failed", "pending", "superseded"

_deps: list[DeliveryDeps] = []


def configure(deps: DeliveryDeps) -> None:
    _deps[:] = [deps]


def current_deps() -> DeliveryDeps:
    if not _deps:
        raise RuntimeError("sending is not configured in this process: call sync.delivery.workflow.configure()")
    return _deps[0]


def register(deps: DeliveryDeps, *, polling_interval_sec: float = 0.2, sweep: bool = True) -> None:
    """Configure sending and register its queue (and the sweep); DBOS must be launched."""
    configure(deps)
    DBOS.register_queue(
        DELIVERY_QUEUE,
        worker_concurrency=WORKER_CONCURRENCY,
        partition_concurrency=PER_COMPANY_CONCURRENCY,
        polling_interval_sec=polling_interval_sec,
        on_conflict="always_update",
    )
    if sweep and DBOS.get_schedule(SWEEP_SCHEDULE) is None:
        DBOS.create_schedule(schedule_name=SWEEP_SCHEDULE, workflow_fn=sweep_pending, schedule="30 */5 * * * *")


def workflow_id(invoice_id: int, generation: int) -> str:
    return f"delivery-{invoice_id}-{generation}"


def start(requested: Requested, suffix: str = "") -> None:
    """Enqueue the delivery's workflow (a known id is not enqueued twice). A process that runs no background work
    (``serve --no-worker``) leaves it to the workers' sweep, which finds the delivery pending."""
    if not _deps:
        log.info("delivery.left_to_sweep", invoice_id=requested.invoice_id)
        return
    options = EnqueueOptions(
        workflow_name=DELIVERY_WORKFLOW,
        queue_name=DELIVERY_QUEUE,
        workflow_id=workflow_id(requested.invoice_id, requested.generation) + suffix,
        queue_partition_key=str(requested.company_id),
    )
    DBOS.enqueue_workflow_with_options(options, requested.company_id, requested.invoice_id, requested.generation)


def wait_for(invoice_id: int, generation: int) -> str:
    """The delivery workflow's result (tests and the CLI)."""
    return str(DBOS.retrieve_workflow(workflow_id(invoice_id, generation)).get_result())


# --- the steps as DBOS steps ---------------------------------------------------------------------------------


@DBOS.step(name="delivery.begin")
def _begin(invoice_id: int, generation: int) -> steps.Begun:
    return steps.begin(current_deps(), invoice_id, generation)


@DBOS.step(name="delivery.export_position")
def _export_position(invoice_id: int) -> str:
    return steps.export_position(current_deps(), invoice_id)


@DBOS.step(name="delivery.book")
def _book(company_id: int, invoice_id: int, generation: int) -> None:
    _guarded(lambda: steps.book_in_visma(current_deps(), company_id, invoice_id, generation))


@DBOS.step(name="delivery.send_through_visma")
def _send_through_visma(company_id: int, invoice_id: int, generation: int) -> None:
    _guarded(lambda: steps.send_through_visma(current_deps(), company_id, invoice_id, generation))


@DBOS.step(name="delivery.keep_visma_pdf")
def _keep_visma_pdf(company_id: int, invoice_id: int, generation: int) -> None:
    """Best effort: the invoice is sent whether or not Visma's PDF can be read now (ours stays available)."""
    try:
        _guarded(lambda: steps.keep_visma_pdf(current_deps(), company_id, invoice_id, generation))
    except (VismaError, ConnectionMissing) as error:
        log.warning("delivery.visma_pdf_missing", invoice_id=invoice_id, error=type(error).__name__)


@DBOS.step(name="delivery.send_email")
def _send_email(company_id: int, invoice_id: int, generation: int) -> None:
    steps.send_email(current_deps(), company_id, invoice_id, generation)


@DBOS.step(name="delivery.note")
def _note(invoice_id: int, generation: int, state: str, message: str | None) -> None:
    steps.note(current_deps(), invoice_id, generation, DeliveryState(state), message)


@DBOS.step(name="delivery.fail")
def _fail(invoice_id: int, generation: int, message: str, code: str, error_id: str | None) -> None:
    steps.fail(current_deps(), invoice_id, generation, message, code, error_id)


@DBOS.step(name="delivery.jitter")
def _jitter() -> float:
    return random.random()  # noqa: S311 - spreading retries, not security


# --- the workflow -------------------------------------------------------------------------------------------


@DBOS.workflow(name=DELIVERY_WORKFLOW)
def deliver_invoice(company_id: int, invoice_id: int, generation: int) -> str:
    """Send one approved invoice as its delivery row asks; returns the state it is left in."""
    begun = _begin(invoice_id, generation)
    if not begun.proceed:
        return SUPERSEDED
    channel = DeliveryChannel(begun.channel)
    deps = current_deps()
    try:
        if channel.through_visma and not _export_done(invoice_id, generation, deps):
            return PENDING
        for attempt in range(deps.max_attempts):
            try:
                _send(channel, company_id, invoice_id, generation)
                return SENT
            except (VismaError, TryLater) as error:
                if isinstance(error, VismaError) and not error.retriable:
                    raise
                _note(invoice_id, generation, DeliveryState.SENDING, _retry_message(channel))
                DBOS.sleep(_delay(deps, error, attempt, _jitter()))
        _note(invoice_id, generation, DeliveryState.PENDING, "Mottagaren svarar inte just nu; fakturan skickas senare.")
        return PENDING
    except Superseded:
        return SUPERSEDED
    except DBOSException:
        raise  # DBOS itself (shutting down under a step): the workflow stays pending and is resumed
    except ConnectionMissing:
        message = "Företaget är inte kopplat till Visma eEkonomi just nu; fakturan skickas när det är kopplat igen."
        _note(invoice_id, generation, DeliveryState.PENDING, message)
        return PENDING
    except DeliveryStopped as stop:
        _fail(invoice_id, generation, stop.message, stop.code, None)
        return FAILED
    except VismaError as error:
        _fail(invoice_id, generation, _refusal(error), "visma_refused", error.error_id)
        return FAILED
    except Exception as error:  # noqa: BLE001 - recorded, and logged loudly: a bug must not pass silently
        log.exception("delivery.unexpected_error", invoice_id=invoice_id)
        _fail(invoice_id, generation, f"Oväntat fel när fakturan skulle skickas ({type(error).__name__}).", "bug", None)
        return FAILED


def _send(channel: DeliveryChannel, company_id: int, invoice_id: int, generation: int) -> None:
    if not channel.through_visma:
        _send_email(company_id, invoice_id, generation)
        return
    _book(company_id, invoice_id, generation)
    _send_through_visma(company_id, invoice_id, generation)
    _keep_visma_pdf(company_id, invoice_id, generation)


def _export_done(invoice_id: int, generation: int, deps: DeliveryDeps) -> bool:
    """Wait (durably) until the invoice's export has put its document in Visma; False after the wait's limit."""
    for _ in range(deps.export_wait_rounds):
        if _export_position(invoice_id) == "ready":
            return True
        _note(invoice_id, generation, DeliveryState.PENDING, "Väntar på att fakturan exporteras till Visma.")
        DBOS.sleep(deps.export_wait_seconds)
    return False


def _delay(deps: DeliveryDeps, error: Exception, attempt: int, jitter: float) -> float:
    if isinstance(error, VismaRateLimited) and error.retry_after_seconds is not None:
        return error.retry_after_seconds + jitter
    backoff = min(deps.backoff_cap_seconds, deps.backoff_base_seconds * 2**attempt)
    return backoff / 2 + backoff / 2 * jitter


def _retry_message(channel: DeliveryChannel) -> str:
    who = "Visma" if channel.through_visma else "E-postservern"
    return f"{who} svarade inte; fakturan skickas om en stund."


def _refusal(error: VismaError) -> str:
    detail = error.developer_message or str(error)
    return f"Visma skickade inte fakturan: {detail}"


# --- the sweep of deliveries left pending -----------------------------------------------------------------------


@DBOS.step(name="delivery.pending_candidates")
def _candidates() -> list[tuple[int, int, int]]:
    """(company, invoice, generation) of deliveries still pending well after they were asked for."""
    deps = current_deps()
    before = deps.db.clock() - SWEEP_AFTER
    with deps.db.transaction() as session:
        rows = session.execute(
            select(InvoiceDelivery.company_id, InvoiceDelivery.invoice_id, InvoiceDelivery.generation).where(
                InvoiceDelivery.state == DeliveryState.PENDING, InvoiceDelivery.updated_at < before
            )
        ).all()
    return [(c, i, g) for c, i, g in rows if not workflow_active(workflow_id(i, g))]


@DBOS.workflow(name="fakturabro.delivery_sweep_scheduled")
def sweep_pending(scheduled_at: datetime, context: object) -> None:
    """Every five minutes: start again the deliveries that are still waiting (each run under a new id)."""
    for company_id, invoice_id, generation in _candidates():
        start(Requested(company_id, invoice_id, generation), suffix=f"-{scheduled_at:%Y%m%d%H%M}")
