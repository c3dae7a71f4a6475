"""The export of one invoice as a DBOS workflow, and the ways it is started.

One workflow per invoice and *generation*: its id is ``export-<invoice id>-<generation>``, so an invoice is never
enqueued twice (DBOS returns the existing workflow for a known id). "Export again" and the pick-up of waiting
invoices bump the generation in our table first, in a transaction that only succeeds from a resting state, so
two workflows of one invoice never run at the same time.

Two lanes per company (queues registered in `sync.runtime`): an export that may create a customer or an article in
Visma is enqueued on the serial queue (one at a time per company), one that only needs to POST its document on the
parallel queue (`steps.export_lane` decides). A parallel export never creates: when it finds it must, it hands
the invoice to the serial lane as its child ``export-<invoice id>-<generation>-serial`` and returns its outcome.

The workflow runs the steps of `steps.py`; a retriable Visma error (timeout, 5xx, 429) is logged and the attempt
starts over after a durable, capped, jittered sleep (Visma's "Try again in N seconds" honoured); every step is
safe to run again. A refusal stops as ``failed`` with Visma's message explained in Swedish; a missing or
refused connection leaves the invoice ``waiting`` / ``needs_reconnect`` until the company (re)connects.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

import structlog
from dbos import DBOS
from dbos._enqueue_options import EnqueueOptions
from dbos._error import DBOSException
from sqlalchemy import select

from fakturabro.domain.invoice import InvoiceStatus
from fakturabro.store import models
from fakturabro.store.export_models import InvoiceExport
from fakturabro.sync.export import steps, two_steps
from fakturabro.sync.export.planner import ExportLane, explain_refusal
from fakturabro.sync.export.steps import ExportDeps, ExportState
from fakturabro.visma.errors import OAuthError, VismaError, VismaRateLimited, VismaUnauthorized
from fakturabro.visma.mapping import MappingError
from fakturabro.visma.oauth import NotConnected

log = structlog.get_logger("fakturabro.sync.export")

EXPORT_QUEUE = "fakturabro-exports"  # the serial lane: one export at a time per company (the queue before lanes)
CUSTOMER_EXPORT_QUEUE = "fakturabro-exports-customers"  # the customers' lanes: one export at a time per customer
PARALLEL_EXPORT_QUEUE = "fakturabro-exports-parallel"  # exports that only POST their document: several per company
EXPORT_WORKFLOW = "fakturabro.export_invoice"  # in seven steps: the workflows recorded before the two-step one
TWO_STEP_EXPORT_WORKFLOW = "fakturabro.export_invoice_in_two_steps"
# What new exports run (a test enqueues the seven-step workflow through it, as exports recorded before were).
ENQUEUED_EXPORT_WORKFLOW = TWO_STEP_EXPORT_WORKFLOW
LINK_QUEUE = "fakturabro-links"
LINK_WORKFLOW = "fakturabro.link_invoice"  # in link_workflow.py
# Exports recorded before the link lane linked between the document and `finish`; DBOS replays a workflow by step
# position, so those replay that path (DBOS.patch answers False for them) and new ones skip it. Once no workflow
# from before is pending anywhere, the call can become DBOS.deprecate_patch and later go.
LINK_LANE_PATCH = "link-lane"
ACTIVE_WORKFLOW_STATUSES = frozenset({"ENQUEUED", "PENDING", "DELAYED"})
RESTING_STATES = (ExportState.WAITING, ExportState.FAILED, ExportState.NEEDS_RECONNECT, ExportState.NEEDS_ATTENTION)

_deps: list[ExportDeps] = []
T = TypeVar("T")


def configure(deps: ExportDeps) -> None:
    """Give the workflows their dependencies (the composition root calls this before DBOS is launched)."""
    _deps[:] = [deps]


class ExportNotRunning(RuntimeError):
    """This process runs no background export (``serve --no-worker``, or a tool that never started it)."""


def current_deps() -> ExportDeps:
    if not _deps:
        raise ExportNotRunning("the export is not configured: call sync.export.workflow.configure() first")
    return _deps[0]


def workflow_id(invoice_id: int, generation: int) -> str:
    return f"export-{invoice_id}-{generation}"


def serial_workflow_id(invoice_id: int, generation: int) -> str:
    """The export handed over from the lane it started in to the serial one (a child of ``workflow_id``)."""
    return handed_over_id(workflow_id(invoice_id, generation), ExportLane.SERIAL)


def handed_over_id(parent_id: str, lane: ExportLane) -> str:
    """The child an export hands itself over to: derived from the parent's id, so a recovered parent finds it."""
    return f"{parent_id}-{lane.value}"


def lane_of(argument: bool | str) -> ExportLane:
    """The lane an export workflow runs in, from its last argument: workflows recorded before the customers' lanes
    carry True (the serial lane) or False (the parallel lane)."""
    if isinstance(argument, bool):
        return ExportLane.SERIAL if argument else ExportLane.PARALLEL
    return ExportLane(argument)


def queue_of(lane: ExportLane) -> str:
    return {
        ExportLane.CUSTOMER: CUSTOMER_EXPORT_QUEUE,
        ExportLane.SERIAL: EXPORT_QUEUE,
        ExportLane.PARALLEL: PARALLEL_EXPORT_QUEUE,
    }[lane]


def partition_of(company_id: int, customer_id: int, lane: ExportLane) -> str:
    """A company's queue partition, in the customers' lanes the customer's: the queues serialise per partition."""
    return f"{company_id}:{customer_id}" if lane is ExportLane.CUSTOMER else str(company_id)


def link_workflow_id(invoice_id: int, generation: int) -> str:
    return f"link-{invoice_id}-{generation}"


def workflow_active(first_id: str) -> bool:
    """Whether the workflow ``first_id``, or a sweep's restart of it (``<first_id>-<suffix>``), is queued or
    running (the sweeps leave those alone)."""
    active = DBOS.list_workflows(
        workflow_id_prefix=first_id, status=sorted(ACTIVE_WORKFLOW_STATUSES), load_input=False, load_output=False
    )
    return any(w.workflow_id == first_id or w.workflow_id.startswith(f"{first_id}-") for w in active)


# --- the steps as DBOS steps ---------------------------------------------------------------------------------


class ConnectionMissing(Exception):  # noqa: N818 - a state, not a failure of ours
    """The company is not connected (``not_connected``) or must reconnect (``needs_reconnect``).

    The connection's own exceptions take no message argument and cannot be pickled into DBOS's step record, so
    every step turns them into this one.
    """

    @property
    def kind(self) -> str:
        return str(self.args[0])


def _guarded(call: Callable[[], T]) -> T:
    try:
        return call()
    except NotConnected:
        raise ConnectionMissing("not_connected") from None
    except OAuthError as error:
        if error.needs_reconnect:
            raise ConnectionMissing("needs_reconnect") from None
        raise


@DBOS.step(name="export.begin")
def _begin(company_id: int, invoice_id: int, generation: int) -> steps.Begun:
    return _guarded(lambda: steps.begin_attempt(current_deps(), company_id, invoice_id, generation))


@DBOS.step(name="export.check_connection")
def _check_connection(company_id: int) -> None:
    _guarded(lambda: current_deps().client_for(company_id))


@DBOS.step(name="export.resolve_customer")
def _resolve_customer(company_id: int, invoice_id: int, may_create: bool = True) -> steps.ResolvedCustomer:
    return _guarded(lambda: steps.resolve_customer(current_deps(), company_id, invoice_id, may_create=may_create))


@DBOS.step(name="export.resolve_articles")
def _resolve_articles(company_id: int, invoice_id: int, may_create: bool = True) -> list[str | None]:
    return _guarded(lambda: steps.resolve_articles(current_deps(), company_id, invoice_id, may_create=may_create))


@DBOS.step(name="export.send_document")
def _send_document(
    company_id: int, invoice_id: int, mode: str, customer_id: str, article_ids: list[str | None]
) -> steps.SentDocument:
    return _guarded(lambda: steps.send_document(current_deps(), company_id, invoice_id, mode, customer_id, article_ids))


@DBOS.step(name="export.prepare")
def _prepare(company_id: int, invoice_id: int, generation: int, counts: bool = True) -> two_steps.Prepared:
    return _guarded(lambda: two_steps.prepare(current_deps(), company_id, invoice_id, generation, counts=counts))


@DBOS.step(name="export.send_and_finish")
def _send_and_finish(
    company_id: int, invoice_id: int, mode: str, customer: steps.ResolvedCustomer, article_ids: list[str | None]
) -> str | None:
    deps = current_deps()
    return _guarded(lambda: two_steps.send_and_finish(deps, company_id, invoice_id, mode, customer, article_ids))


@DBOS.step(name="export.link_off")
def _link_off(invoice_id: int) -> None:
    steps.turn_link_off(current_deps(), invoice_id)


@DBOS.step(name="export.link_back")
def _link_back_inline(company_id: int, invoice_id: int) -> str | None:
    """The link as exports recorded before the link lane made it, between the document and `finish`."""
    return _guarded(lambda: steps.link_back(current_deps(), company_id, invoice_id))


@DBOS.step(name="export.finish")
def _finish(company_id: int, invoice_id: int, sent: steps.SentDocument, customer: steps.ResolvedCustomer) -> str | None:
    return steps.finish(current_deps(), company_id, invoice_id, sent, customer)


@DBOS.step(name="export.record")
def _record(
    invoice_id: int, state: str, step: str, outcome: str, message: str | None, error: VismaError | None
) -> None:
    steps.record(
        current_deps(),
        invoice_id,
        state=state,
        step=step,
        outcome=outcome,
        message=message,
        error_id=error.error_id if error else None,
        http_status=error.status if error else None,
    )


@DBOS.step(name="export.jitter")
def _jitter() -> float:
    return random.random()  # noqa: S311 - spreading retries, not security


# --- the workflow -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Stop:
    state: str
    outcome: str
    message: str
    error: VismaError | None = None


@DBOS.workflow(name=EXPORT_WORKFLOW)
def export_invoice(company_id: int, invoice_id: int, generation: int, may_create: bool | str = True) -> str:
    """Export one approved invoice in seven steps; returns the final state. Exports are now enqueued as
    `export_invoice_in_two_steps`; this one stays registered for the workflows recorded before it, which DBOS
    resumes by name and replays by step position.

    ``may_create`` is the lane (`lane_of`; the default keeps workflows recorded before the lanes existed, all
    serial, recoverable): an export that needs a customer or an article its lane may not create hands itself over
    to the lane that may, and returns that export's final state."""
    deps = current_deps()
    lane = lane_of(may_create)
    for attempt in range(deps.max_attempts):
        begun = _begin(company_id, invoice_id, generation)
        if not begun.proceed:
            return "superseded"
        step = "check_connection"
        mismatch: str | None = None
        try:
            _check_connection(company_id)
            step = "resolve_customer"
            customer = _resolve_customer(company_id, invoice_id, lane is ExportLane.CUSTOMER)
            mismatch = customer.type_mismatch
            step = "resolve_articles"
            voucher = begun.mode == steps.VOUCHER_MODE
            article_ids = [] if voucher else _resolve_articles(company_id, invoice_id, lane is ExportLane.SERIAL)
            step = "send_document"
            sent = _send_document(company_id, invoice_id, begun.mode, customer.visma_id, article_ids)
            if deps.link_back and not DBOS.patch(LINK_LANE_PATCH):
                step = "link_back"  # a workflow recorded before the link lane: it replays as it ran
                _link_back_or_note(company_id, invoice_id)
            step = "finish"
            _finish(company_id, invoice_id, sent, customer)
            _start_link(company_id, invoice_id, generation, deps.link_back)
            return ExportState.EXPORTED
        except DBOSException:
            raise
        except Exception as error:  # noqa: BLE001 - every error has its outcome in _after_error
            final = _after_error(error, _Failed(company_id, invoice_id, generation, step, mismatch, EXPORT_WORKFLOW))
            if final is not None:
                return final
            _sleep_before_retry(deps, error, attempt)
    return _gave_up(invoice_id)


@DBOS.workflow(name=TWO_STEP_EXPORT_WORKFLOW)
def export_invoice_in_two_steps(company_id: int, invoice_id: int, generation: int, lane_name: bool | str) -> str:
    """Export one approved invoice; returns the final state. In the steady state two steps (`two_steps.py`): the
    attempt prepared from our tables, then the document sent and the invoice marked exported; a customer or
    articles that need Visma are resolved in their own steps between the two.

    ``lane_name`` is the `ExportLane` it runs in (`lane_of`): an export that needs a customer or an article its
    lane may not create hands itself over to the lane that may, and returns that export's final state."""
    deps = current_deps()
    lane = lane_of(lane_name)
    handed_over = DBOS.workflow_id != workflow_id(invoice_id, generation)  # its first attempt began in another lane
    for attempt in range(deps.max_attempts):
        step = "check_connection"
        mismatch: str | None = None
        try:
            prepared = _prepare(company_id, invoice_id, generation, attempt > 0 or not handed_over)
            if not prepared.begun.proceed:
                return "superseded"
            customer, article_ids = prepared.customer, list(prepared.article_ids)
            if customer is None:  # not steady: resolved with Visma, one step each as in `export_invoice`
                step = "resolve_customer"
                customer = _resolve_customer(company_id, invoice_id, lane is ExportLane.CUSTOMER)
                step = "resolve_articles"
                voucher = prepared.begun.mode == steps.VOUCHER_MODE
                article_ids = [] if voucher else _resolve_articles(company_id, invoice_id, lane is ExportLane.SERIAL)
            mismatch = customer.type_mismatch
            step = "send_document"
            _send_and_finish(company_id, invoice_id, prepared.begun.mode, customer, article_ids)
            if deps.link_back:
                _start_link(company_id, invoice_id, generation, link_back=True)
            return ExportState.EXPORTED
        except DBOSException:
            raise
        except Exception as error:  # noqa: BLE001 - every error has its outcome in _after_error
            failed = _Failed(company_id, invoice_id, generation, step, mismatch, TWO_STEP_EXPORT_WORKFLOW)
            final = _after_error(error, failed)
            if final is not None:
                return final
            _sleep_before_retry(deps, error, attempt)
    return _gave_up(invoice_id)


@dataclass(frozen=True)
class _Failed:
    """Where an attempt stopped: the workflow's invoice and generation, the step, the customer's type mismatch."""

    company_id: int
    invoice_id: int
    generation: int
    step: str
    mismatch: str | None
    workflow_name: str


def _after_error(error: Exception, failed: _Failed) -> str | None:
    """The final state an error leaves the export in, or None when the attempt is to be retried (recorded here;
    the workflow sleeps out the delay). DBOS's own exceptions never come here: the workflows re-raise them."""
    if isinstance(error, steps.CreateNeeded):
        customer = isinstance(error, steps.CustomerToCreate)
        return _hand_over(failed, ExportLane.CUSTOMER if customer else ExportLane.SERIAL)
    if isinstance(error, steps.NeedsAttention):
        # Raised inside the resolve_customer step, so a recorded workflow's step sequence is unchanged (no patch).
        stop = _Stop(ExportState.NEEDS_ATTENTION, "needs_attention", str(error))
        return _stop(failed.invoice_id, failed.step, stop)
    if isinstance(error, VismaError) and error.retriable:
        _record(failed.invoice_id, ExportState.EXPORTING, failed.step, "retry", _retry_message(error), error)
        return None
    return _stop(failed.invoice_id, failed.step, _classify(error, failed.mismatch))


def _sleep_before_retry(deps: ExportDeps, error: Exception, attempt: int) -> None:
    assert isinstance(error, VismaError), "only Visma's retriable errors are retried (_after_error)"
    DBOS.sleep(_delay(deps, error, attempt, _jitter()))


def _gave_up(invoice_id: int) -> str:
    message = "Visma svarar inte just nu. Exporten försöker igen automatiskt."
    _record(invoice_id, ExportState.WAITING, "retry", "gave_up", message, None)
    return ExportState.WAITING


def _link_back_or_note(company_id: int, invoice_id: int) -> None:
    """The link inline, as before the link lane (only workflows recorded then replay this): a refusal is noted."""
    try:
        _link_back_inline(company_id, invoice_id)
    except VismaError as error:
        if error.retriable:
            raise
        _record(invoice_id, ExportState.EXPORTING, "link_back", "link_refused", explain_refusal(error), error)


def _start_link(company_id: int, invoice_id: int, generation: int, link_back: bool) -> None:
    """The link back runs in its own lane once the invoice is exported: one workflow per invoice and generation on
    its own queue (`link_workflow.py`), enqueued durably as this workflow's child, so it never delays or fails the
    export."""
    if not link_back:
        _link_off(invoice_id)
        return
    options = EnqueueOptions(
        workflow_name=LINK_WORKFLOW,
        queue_name=LINK_QUEUE,
        workflow_id=link_workflow_id(invoice_id, generation),
        queue_partition_key=str(company_id),
    )
    DBOS.enqueue_workflow_with_options(options, company_id, invoice_id)


def _hand_over(failed: _Failed, lane: ExportLane) -> str:
    """Continue the export in the lane that may create what it needs, and return the final state from there.

    The export there is this workflow's child with an id derived from this one's, running the same workflow
    function, so a recovered parent finds it again instead of enqueueing a second one, and ``runtime.wait_for`` on
    the first workflow still returns the final state."""
    message = _HAND_OVER_MESSAGES[lane]
    _record(failed.invoice_id, ExportState.EXPORTING, failed.step, f"{lane.value}_lane", message, None)
    parent = DBOS.workflow_id
    assert parent is not None, "only an export workflow hands itself over"
    customer_id = steps.customer_of(current_deps(), failed.company_id, failed.invoice_id)
    options = EnqueueOptions(
        workflow_name=failed.workflow_name,
        queue_name=queue_of(lane),
        workflow_id=handed_over_id(parent, lane),
        queue_partition_key=partition_of(failed.company_id, customer_id, lane),
    )
    handle = DBOS.enqueue_workflow_with_options(
        options, failed.company_id, failed.invoice_id, failed.generation, lane.value
    )
    return str(handle.get_result())


_HAND_OVER_MESSAGES = {
    ExportLane.CUSTOMER: "Kunden behöver skapas i Visma först; exporten fortsätter när kunden finns där.",
    ExportLane.SERIAL: "En artikel behöver skapas i Visma först; exporten fortsätter i tur och ordning.",
}


def _stop(invoice_id: int, step: str, stop: _Stop) -> str:
    _record(invoice_id, stop.state, step, stop.outcome, stop.message, stop.error)
    return stop.state


def _classify(error: Exception, customer_mismatch: str | None) -> _Stop:
    """How the export stops on an error that retrying the same request cannot fix."""
    if isinstance(error, ConnectionMissing) and error.kind == "not_connected":
        return _Stop(
            ExportState.WAITING,
            "not_connected",
            "Inte kopplad till Visma eEkonomi. Fakturan exporteras när företaget är kopplat.",
        )
    if isinstance(error, ConnectionMissing | VismaUnauthorized):
        return _Stop(
            ExportState.NEEDS_RECONNECT,
            "needs_reconnect",
            "Kopplingen till Visma eEkonomi behöver förnyas. Koppla igen, så exporteras fakturan.",
            error if isinstance(error, VismaError) else None,
        )
    if isinstance(error, MappingError):
        return _Stop(ExportState.FAILED, "refused", str(error))
    if isinstance(error, VismaError):
        return _Stop(ExportState.FAILED, "refused", explain_refusal(error, customer_mismatch), error)
    log.exception("export.unexpected_error")
    return _Stop(ExportState.FAILED, "bug", f"Oväntat fel i exporten ({type(error).__name__}). Kontakta supporten.")


def _retry_message(error: VismaError) -> str:
    if isinstance(error, VismaRateLimited):
        return "Visma begränsar antalet anrop just nu; försöker igen."
    return f"Visma svarade inte ({error}); försöker igen."


def _delay(deps: ExportDeps, error: VismaError, attempt: int, jitter: float) -> float:
    backoff = min(deps.backoff_cap_seconds, deps.backoff_base_seconds * 2**attempt)
    if isinstance(error, VismaRateLimited) and error.retry_after_seconds is not None:
        return error.retry_after_seconds + jitter * min(1.0, backoff)
    return backoff / 2 + jitter * backoff / 2


# --- starting exports ----------------------------------------------------------------------------------------


def _enqueue(company_id: int, invoice_id: int, generation: int) -> None:
    """Enqueue the export in its lane: the routing is one read of our tables (`steps.export_lane`).

    Also called from the scheduled workflow's body: the read is not a step there, on purpose. It only picks the
    queue of a child whose id is fixed, and DBOS replays a recorded enqueue by position and id, so the step
    sequence of schedules recorded before the lanes existed is unchanged."""
    route = steps.export_lane(current_deps(), company_id, invoice_id)
    options = EnqueueOptions(
        workflow_name=ENQUEUED_EXPORT_WORKFLOW,
        queue_name=queue_of(route.lane),
        workflow_id=workflow_id(invoice_id, generation),
        queue_partition_key=partition_of(company_id, route.customer_id, route.lane),
    )
    DBOS.enqueue_workflow_with_options(options, company_id, invoice_id, generation, route.lane.value)


def start_export(company_id: int, invoice_id: int) -> None:
    """The `on_approved` hook: record the export as waiting and enqueue its workflow (approval never waits)."""
    deps = current_deps()
    with deps.db.transaction() as session:
        row = steps.ensure_export_row(session, company_id, invoice_id, deps.db.clock())
        generation = row.generation
    _enqueue(company_id, invoice_id, generation)


def export_again(company_id: int, invoice_id: int) -> bool:
    """Start a new export generation for an invoice at rest (failed, waiting, needs reconnect); False otherwise."""
    generation = bump_generation(company_id, invoice_id)
    if generation is None:
        return False
    _enqueue(company_id, invoice_id, generation)
    return True


def bump_generation(company_id: int, invoice_id: int, *, unless_active: bool = False) -> int | None:
    """Take the invoice's export to a new generation, only from a resting state (locked, so never twice).

    With ``unless_active`` (the scheduled pick-up) an invoice whose current workflow is still queued or running
    is left to it, so a backlog waiting in the queue is not re-enqueued every minute. (A user's "export again"
    skips that check: DBOS's status call is not allowed on an event loop, and a superseded workflow is harmless.)
    """
    deps = current_deps()
    if unless_active:
        with deps.db.transaction() as session:
            row = session.get(InvoiceExport, invoice_id)
            current = row.generation if row is not None else None
        if current is not None and _queued_or_running(invoice_id, current):
            return None
    with deps.db.transaction() as session:
        invoice = session.get(models.Invoice, invoice_id)
        if invoice is None or invoice.company_id != company_id or invoice.number is None:
            return None
        row = steps.ensure_export_row(session, company_id, invoice_id, deps.db.clock())
        if row.state not in RESTING_STATES:
            return None
        row.generation += 1
        row.state = ExportState.WAITING
        row.updated_at = deps.db.clock()
        return row.generation


def _queued_or_running(invoice_id: int, generation: int) -> bool:
    status = DBOS.get_workflow_status(workflow_id(invoice_id, generation))
    return status is not None and status.status in ACTIVE_WORKFLOW_STATUSES


def pending_exports(
    company_ids: Iterable[int] | None = None, *, include_failed: bool = False, connected_only: bool = False
) -> list[tuple[int, int]]:
    """(company id, invoice id) of approved invoices not exported yet: waiting, needs reconnect, never started
    (approved before the export existed), and failed when asked."""
    deps = current_deps()
    states = RESTING_STATES if include_failed else (ExportState.WAITING, ExportState.NEEDS_RECONNECT)
    with deps.db.transaction() as session:
        query = (
            select(models.Invoice.company_id, models.Invoice.id, InvoiceExport.state)
            .outerjoin(InvoiceExport, InvoiceExport.invoice_id == models.Invoice.id)
            .where(models.Invoice.number.is_not(None), models.Invoice.status != InvoiceStatus.DRAFT.value)
            .order_by(models.Invoice.id)
        )
        if company_ids is not None:
            query = query.where(models.Invoice.company_id.in_(list(company_ids)))
        rows = [(c, i) for c, i, state in session.execute(query) if state is None or state in states]
    if connected_only:
        connected = {company: deps.connected(company) for company in {c for c, _ in rows}}
        rows = [(c, i) for c, i in rows if connected[c]]
    return rows


def export_pending(company_ids: Iterable[int] | None = None, *, include_failed: bool = False) -> list[int]:
    """The manual "export all pending": enqueue every pending invoice; returns their ids."""
    started = []
    for company_id, invoice_id in pending_exports(company_ids, include_failed=include_failed):
        if export_again(company_id, invoice_id):
            started.append(invoice_id)
    return started


@DBOS.step(name="export.pending_candidates")
def _pending_candidates() -> list[tuple[int, int]]:
    return pending_exports(connected_only=True)


@DBOS.step(name="export.bump_generation")
def _bump(company_id: int, invoice_id: int) -> int | None:
    return bump_generation(company_id, invoice_id, unless_active=True)


@DBOS.workflow(name="fakturabro.export_pending_scheduled")
def export_pending_scheduled(scheduled_at: datetime, context: object) -> None:
    """Every minute: enqueue the waiting exports of connected companies (the pick-up after a (re)connect)."""
    for company_id, invoice_id in _pending_candidates():
        generation = _bump(company_id, invoice_id)
        if generation is not None:
            _enqueue(company_id, invoice_id, generation)
