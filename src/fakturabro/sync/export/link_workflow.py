"""The link back from Visma's document to our invoice, in its own lane after the export.

Issue 5 asks for a partner resource link on every exported document. Visma cannot carry it inside the draft and
has no batch endpoint for links, so a link always costs one call of its own. It is deferred work that never delays
or fails the export: the export workflow enqueues ``link-<invoice id>-<generation>`` (a child workflow, so it is
enqueued exactly once even when the export is recovered after a crash) once the invoice is ``exported``, on its
own queue partitioned by company. The link is reconciled like the document (``visma_link_id`` is ``pending``
while its POST may have landed unseen, and a pending link is looked up by ``ResourceId`` before posting again);
transient errors are retried with backoff; every outcome is written to the export log. A refusal leaves the
invoice exported with its link ``refused``. A link given up on (Visma down for long, or the company disconnected)
stays ``pending`` and the scheduled sweep here starts it again.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import structlog
from dbos import DBOS
from dbos._enqueue_options import EnqueueOptions
from dbos._error import DBOSException
from sqlalchemy import or_, select

from fakturabro.store.export_models import LINK_PENDING, LINKABLE_DOCUMENTS, InvoiceExport
from fakturabro.sync.export import steps
from fakturabro.sync.export.steps import ExportState
from fakturabro.sync.export.workflow import (
    LINK_QUEUE,
    LINK_WORKFLOW,
    ConnectionMissing,
    _delay,
    _guarded,
    _jitter,
    current_deps,
    link_workflow_id,
    workflow_active,
)
from fakturabro.visma.errors import VismaError

log = structlog.get_logger("fakturabro.sync.export.link")

# No DBOS limiter, as on the export queues: the token buckets shared through the database (`sync/pacing_db.py`) pace
# every call per endpoint, and a link is one POST to its own endpoint (plus a lookup when its answer was lost).
LINK_WORKER_CONCURRENCY = 8
LINK_PER_COMPANY_CONCURRENCY = 4  # no shared record is created, so no race; the rate limit bounds a company
LINK_POLLING_SECONDS = 0.2
SWEEP_SCHEDULE = "fakturabro-link-sweep"
SWEEP_AFTER = timedelta(minutes=5)  # a link pending longer than this after the export has lost its workflow


class LinkState:
    LINKED = "linked"
    PENDING = "pending"
    REFUSED = "refused"
    OFF = "off"


def register(*, polling_interval_sec: float = 0.2, sweep: bool = True) -> None:
    """Register the link queue (and the sweep of links left pending); DBOS must be launched.

    The queue is polled no more often than every ``LINK_POLLING_SECONDS``, whatever the export queues use: a link
    is not in a hurry, and each poll is a query on the system database whether or not anything waits. A poll
    starts up to the free concurrency, so 8 per worker every 0.2 s keeps up with a bulk export (Visma allows 10
    links/s)."""
    DBOS.register_queue(
        LINK_QUEUE,
        worker_concurrency=LINK_WORKER_CONCURRENCY,
        partition_concurrency=LINK_PER_COMPANY_CONCURRENCY,
        polling_interval_sec=max(polling_interval_sec, LINK_POLLING_SECONDS),
        on_conflict="always_update",
    )
    if sweep and DBOS.get_schedule(SWEEP_SCHEDULE) is None:
        DBOS.create_schedule(schedule_name=SWEEP_SCHEDULE, workflow_fn=sweep_pending_links, schedule="0 */5 * * * *")


# --- the steps ------------------------------------------------------------------------------------------------


@DBOS.step(name="link.create")
def _create(company_id: int, invoice_id: int) -> str | None:
    return _guarded(lambda: steps.link_back(current_deps(), company_id, invoice_id))


@DBOS.step(name="link.record")
def _record(invoice_id: int, outcome: str, message: str | None, error: VismaError | None, refused: bool) -> None:
    steps.record_link(
        current_deps(),
        invoice_id,
        outcome=outcome,
        message=message,
        refused=refused,
        error_id=error.error_id if error else None,
        http_status=error.status if error else None,
    )


# --- the workflow -------------------------------------------------------------------------------------------


@DBOS.workflow(name=LINK_WORKFLOW)
def link_invoice(company_id: int, invoice_id: int) -> str:
    """Link the exported invoice's Visma document back to our invoice; returns the link's state."""
    deps = current_deps()
    for attempt in range(deps.max_attempts):
        try:
            link_id = _create(company_id, invoice_id)
        except VismaError as error:
            if not error.retriable:
                _record(invoice_id, "link_refused", _refusal(error), error, True)
                return LinkState.REFUSED
            _record(invoice_id, "retry", f"Visma svarade inte ({error}); försöker igen.", error, False)
            DBOS.sleep(_delay(deps, error, attempt, _jitter()))
            continue
        except ConnectionMissing:
            message = "Inte kopplad till Visma eEkonomi; länken skapas när företaget är kopplat igen."
            _record(invoice_id, "not_connected", message, None, False)
            return LinkState.PENDING
        except DBOSException:
            # DBOS itself, not the link: shut down under the step, say. Not a bug of the link to record (recording
            # would fail too): the workflow stays pending and is resumed from its last recorded step.
            raise
        except Exception as error:  # noqa: BLE001 - recorded, and logged loudly: a bug must not pass silently
            log.exception("link.unexpected_error", invoice_id=invoice_id)
            _record(invoice_id, "bug", f"Oväntat fel när länken skapades ({type(error).__name__}).", None, True)
            return LinkState.REFUSED
        return LinkState.OFF if link_id is None else LinkState.LINKED  # link_back logged it with its id
    _record(invoice_id, "gave_up", "Visma svarar inte just nu; länken skapas senare.", None, False)
    return LinkState.PENDING


def _refusal(error: VismaError) -> str:
    detail = error.developer_message or str(error)
    return f"Visma godtog inte länken tillbaka till fakturan (fakturan är ändå exporterad): {detail}"


# --- the sweep of links left pending ------------------------------------------------------------------------


@DBOS.step(name="link.pending_candidates")
def _candidates() -> list[tuple[int, int, int]]:
    """(company, invoice, generation) of exported documents whose link is still pending well after the export."""
    deps = current_deps()
    if not deps.link_back:
        return []
    before = deps.db.clock() - SWEEP_AFTER
    with deps.db.transaction() as session:
        rows = session.execute(
            select(InvoiceExport.company_id, InvoiceExport.invoice_id, InvoiceExport.generation).where(
                InvoiceExport.state == ExportState.EXPORTED,
                InvoiceExport.visma_document_type.in_(LINKABLE_DOCUMENTS),
                or_(InvoiceExport.visma_link_id.is_(None), InvoiceExport.visma_link_id == LINK_PENDING),
                InvoiceExport.exported_at < before,
            )
        ).all()
    found = [(company, invoice, generation) for company, invoice, generation in rows]
    connected = {company: deps.connected(company) for company in {c for c, _, _ in found}}
    return [row for row in found if connected[row[0]] and not workflow_active(link_workflow_id(row[1], row[2]))]


@DBOS.workflow(name="fakturabro.link_sweep_scheduled")
def sweep_pending_links(scheduled_at: datetime, context: object) -> None:
    """Every five minutes: start again the links that were given up on (each run under a new workflow id)."""
    for company_id, invoice_id, generation in _candidates():
        again = f"{link_workflow_id(invoice_id, generation)}-{scheduled_at:%Y%m%d%H%M}"
        options = EnqueueOptions(
            workflow_name=LINK_WORKFLOW, queue_name=LINK_QUEUE, workflow_id=again, queue_partition_key=str(company_id)
        )
        DBOS.enqueue_workflow_with_options(options, company_id, invoice_id)
