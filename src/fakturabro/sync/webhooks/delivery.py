"""Delivering events to webhook endpoints: one DBOS workflow at a time per endpoint, events in cursor order.

Every second a scheduled workflow (``fakturabro-webhook-dispatch``; DBOS runs one per second across all workers)
looks for active endpoints whose company's feed has grown past what they were delivered, and enqueues
``webhook-<endpoint>-<generation>-<cursor>`` on a queue partitioned by endpoint with one at a time, so two
workers never deliver to one endpoint at once and a known id is never enqueued twice. The workflow reads the
events after the endpoint's cursor, POSTs the subscribed ones one by one and moves the cursor in the transaction
that logs each delivery. A failed attempt is retried after ``RETRY_DELAYS`` (durable sleeps: a restarted worker
resumes the wait), the first after 30 seconds, for more than a day; an event still refused after the last one
pauses the endpoint (shown by the API with its reason) and stops its deliveries until it is resumed, because
delivering later events first would break the order.

Delivery is at least once: a worker killed between the receiver's answer and our record of it sends that event
again, with the same ``Fakturabro-Event-Id``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from urllib.parse import urlsplit

import httpx
import structlog
from dbos import DBOS
from dbos._enqueue_options import EnqueueOptions

from fakturabro.settings import Settings
from fakturabro.store.database import Database
from fakturabro.store.events import StoredEvent, event_by_id, events_after
from fakturabro.store.integrator_models import WebhookDelivery, WebhookEndpoint
from fakturabro.store.webhook_repository import PAUSED, endpoint_for_delivery, endpoints_with_pending_events
from fakturabro.sync.webhooks.signing import EVENT_ID_HEADER, SIGNATURE_HEADER, signature
from fakturabro.sync.webhooks.urls import Resolver, is_loopback_host, refusal, resolve

log = structlog.get_logger("fakturabro.sync.webhooks")

# Seconds between attempts: 30 s, 2 min, 10 min, 30 min, 1 h, 2 h, 4 h, then 8 h three times — 31.7 hours in all.
RETRY_DELAYS: tuple[float, ...] = (30, 120, 600, 1800, 3600, 7200, 14400, 28800, 28800, 28800)
WEBHOOK_QUEUE = "fakturabro-webhooks"
DRAIN_WORKFLOW = "fakturabro.webhook_drain"
DISPATCH_SCHEDULE = "fakturabro-webhook-dispatch"
WORKER_CONCURRENCY = 16
BATCH = 50
BATCHES_PER_WORKFLOW = 10  # then the next dispatch continues in a fresh workflow, keeping each one's history short
REQUEST_TIMEOUT_SECONDS = 10.0
DELIVERED, FAILED, STOPPED = "delivered", "failed", "stopped"
USER_AGENT = "fakturabro-webhooks/1"


@dataclass
class WebhookDeps:
    db: Database
    http: httpx.Client
    allow_loopback: bool
    retry_delays: Sequence[float] = RETRY_DELAYS
    resolver: Resolver = resolve
    unix_time: Callable[[], float] = field(default=time.time)


_deps: list[WebhookDeps] = []


def allows_loopback(settings: Settings) -> bool:
    """Loopback receivers only while fakturabro itself is reached on loopback (development)."""
    return is_loopback_host(urlsplit(settings.public_url).hostname or "")


def production_deps(settings: Settings, db: Database) -> WebhookDeps:
    return WebhookDeps(
        db=db, http=httpx.Client(headers={"User-Agent": USER_AGENT}), allow_loopback=allows_loopback(settings)
    )


def configure(deps: WebhookDeps) -> None:
    _deps[:] = [deps]


def current_deps() -> WebhookDeps:
    if not _deps:
        raise RuntimeError("webhook delivery is not configured in this process")
    return _deps[0]


def register(deps: WebhookDeps, *, polling_interval_sec: float = 0.2, schedule: bool = True) -> None:
    """Configure the delivery and register its queue (and the dispatch schedule); DBOS must be launched."""
    configure(deps)
    DBOS.register_queue(
        WEBHOOK_QUEUE,
        worker_concurrency=WORKER_CONCURRENCY,
        partition_concurrency=1,
        polling_interval_sec=polling_interval_sec,
        on_conflict="always_update",
    )
    if schedule:
        schedule_dispatch()


def schedule_dispatch() -> None:
    """The dispatch every second (DBOS runs each scheduled second once, whichever worker takes it)."""
    if DBOS.get_schedule(DISPATCH_SCHEDULE) is None:
        DBOS.create_schedule(schedule_name=DISPATCH_SCHEDULE, workflow_fn=dispatch_scheduled, schedule="* * * * * *")


def drain_workflow_id(endpoint_id: int, generation: int, cursor: int) -> str:
    return f"webhook-{endpoint_id}-{generation}-{cursor}"


# --- dispatch -------------------------------------------------------------------------------------------------


@DBOS.workflow(name="fakturabro.webhook_dispatch")
def dispatch_scheduled(scheduled_at: object, context: object) -> None:
    dispatch()


def dispatch() -> int:
    """Enqueue a delivery for every endpoint with events waiting; returns how many were looked at."""
    pending = _pending()
    for endpoint_id, generation, cursor in pending:
        options = EnqueueOptions(
            workflow_name=DRAIN_WORKFLOW,
            queue_name=WEBHOOK_QUEUE,
            workflow_id=drain_workflow_id(endpoint_id, generation, cursor),
            queue_partition_key=str(endpoint_id),
        )
        DBOS.enqueue_workflow_with_options(options, endpoint_id)
    return len(pending)


@DBOS.step(name="webhook.pending")
def _pending() -> list[tuple[int, int, int]]:
    with current_deps().db.transaction() as session:
        return [(p.endpoint_id, p.generation, p.delivered_cursor) for p in endpoints_with_pending_events(session)]


# --- one endpoint's deliveries --------------------------------------------------------------------------------


@DBOS.workflow(name=DRAIN_WORKFLOW)
def drain(endpoint_id: int) -> int:
    """Deliver the endpoint's waiting events in order; returns how many were delivered."""
    delivered = 0
    for _ in range(BATCHES_PER_WORKFLOW):
        batch = _next_batch(endpoint_id)
        if batch is None:
            return delivered
        subscribed, scanned_to, more = batch
        for event_id in subscribed:
            if not _deliver_with_retries(endpoint_id, event_id):
                return delivered
            delivered += 1
        _advance(endpoint_id, scanned_to)
        if not more:
            break
    return delivered


def _deliver_with_retries(endpoint_id: int, event_id: int) -> bool:
    delays = list(current_deps().retry_delays)
    for attempt in range(1, len(delays) + 2):
        outcome = _attempt(endpoint_id, event_id, attempt)
        if outcome == DELIVERED:
            return True
        if outcome == STOPPED:
            return False
        if attempt <= len(delays):
            DBOS.sleep(delays[attempt - 1])
    _pause(endpoint_id, len(delays) + 1, sum(delays))
    return False


@DBOS.step(name="webhook.next_batch")
def _next_batch(endpoint_id: int) -> tuple[list[int], int, bool] | None:
    """(subscribed event ids, the last cursor scanned, whether more may follow), or None when the endpoint is
    paused, deleted or has nothing waiting."""
    with current_deps().db.transaction() as session:
        endpoint = session.get(WebhookEndpoint, endpoint_id)
        if endpoint is None or endpoint.state == PAUSED or endpoint.deleted_at is not None:
            return None
        events = events_after(session, endpoint.company_id, endpoint.delivered_cursor, BATCH)
        if not events:
            return None
        wanted = set(endpoint.events.split())
        return [e.id for e in events if e.type in wanted], events[-1].cursor, len(events) == BATCH


@DBOS.step(name="webhook.advance")
def _advance(endpoint_id: int, cursor: int) -> None:
    """Move past the events of the batch the endpoint did not subscribe to."""
    with current_deps().db.transaction() as session:
        endpoint = endpoint_for_delivery(session, endpoint_id)
        if endpoint is not None:
            endpoint.delivered_cursor = max(endpoint.delivered_cursor, cursor)


@dataclass(frozen=True)
class _Request:
    company_id: int
    url: str
    body: bytes
    secret: str
    event: StoredEvent


@DBOS.step(name="webhook.attempt")
def _attempt(endpoint_id: int, event_id: int, attempt: int) -> str:
    """One POST of the event, logged; the endpoint's cursor moves past the event when it is acknowledged."""
    deps = current_deps()
    request = _request(deps, endpoint_id, event_id)
    if request is None:
        return STOPPED
    started = time.monotonic()
    status, error = _post(deps, request)
    duration_ms = int((time.monotonic() - started) * 1000)
    ok = status is not None and 200 <= status < 300
    with deps.db.transaction() as session:
        endpoint = endpoint_for_delivery(session, endpoint_id)
        session.add(
            WebhookDelivery(
                company_id=request.company_id,
                endpoint_id=endpoint_id,
                event_id=event_id,
                event_type=request.event.type,
                attempt=attempt,
                attempted_at=deps.db.clock(),
                outcome=DELIVERED if ok else FAILED,
                status_code=status,
                error=error[:500] if error else None,
                duration_ms=duration_ms,
            )
        )
        if endpoint is None:
            return STOPPED
        if ok:
            endpoint.delivered_cursor = max(endpoint.delivered_cursor, request.event.cursor)
            endpoint.failing_since = None
        else:
            endpoint.failing_since = endpoint.failing_since or deps.db.clock()
    if not ok:
        log.info("webhook.attempt_failed", endpoint_id=endpoint_id, event_id=event_id, attempt=attempt, status=status)
    return DELIVERED if ok else FAILED


def _request(deps: WebhookDeps, endpoint_id: int, event_id: int) -> _Request | None:
    with deps.db.transaction() as session:
        endpoint = session.get(WebhookEndpoint, endpoint_id)
        if endpoint is None or endpoint.state == PAUSED or endpoint.deleted_at is not None:
            return None
        event = event_by_id(session, endpoint.company_id, event_id)
        assert event is not None  # events are never deleted
        secret = deps.db.cipher.decrypt(endpoint.secret_encrypted)
        return _Request(endpoint.company_id, endpoint.url, event_body(event), secret, event)


def event_body(event: StoredEvent) -> bytes:
    """The JSON a webhook carries: the event as the feed shows it."""
    document = {
        "id": event.id,
        "cursor": event.cursor,
        "type": event.type,
        "occurred_at": event.occurred_at.isoformat(),
        "data": event.data,
    }
    return json.dumps(document, separators=(",", ":"), ensure_ascii=False).encode()


def _post(deps: WebhookDeps, request: _Request) -> tuple[int | None, str | None]:
    """(HTTP status, error) of one POST; the address is checked again first (DNS may have changed since)."""
    refused = refusal(request.url, allow_loopback=deps.allow_loopback, resolver=deps.resolver)
    if refused:
        return None, refused
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        SIGNATURE_HEADER: signature(request.secret, int(deps.unix_time()), request.body),
        EVENT_ID_HEADER: str(request.event.id),
    }
    try:
        answer = deps.http.post(
            request.url, content=request.body, headers=headers, timeout=REQUEST_TIMEOUT_SECONDS, follow_redirects=False
        )
    except httpx.HTTPError as error:
        return None, f"Ingen kontakt med mottagaren ({type(error).__name__})."
    if 200 <= answer.status_code < 300:
        return answer.status_code, None
    return answer.status_code, f"Mottagaren svarade HTTP {answer.status_code}."


@DBOS.step(name="webhook.pause")
def _pause(endpoint_id: int, attempts: int, waited_seconds: float) -> None:
    deps = current_deps()
    with deps.db.transaction() as session:
        endpoint = endpoint_for_delivery(session, endpoint_id)
        if endpoint is None:
            return
        hours = timedelta(seconds=waited_seconds).total_seconds() / 3600
        endpoint.state = PAUSED
        endpoint.paused_reason = (
            f"Pausad: en händelse kunde inte levereras på {attempts} försök under {hours:.1f} timmar. "
            "Rätta mottagaren och återuppta webhooken; leveranserna fortsätter då i ordning."
        )
    log.warning("webhook.paused", endpoint_id=endpoint_id, attempts=attempts)
