"""Registering, listing, pausing and deleting a company's webhook endpoints, and reading their delivery log."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from fakturabro.domain.errors import Conflict, ErrorCollector, NotFound
from fakturabro.domain.events import EventType, parse_event_types
from fakturabro.store.database import Database
from fakturabro.store.events import last_cursor
from fakturabro.store.integrator_models import WebhookDelivery, WebhookEndpoint
from fakturabro.store.webhook_repository import ACTIVE, WebhookRepository
from fakturabro.sync.webhooks.signing import new_secret
from fakturabro.sync.webhooks.urls import Resolver, check_url, resolve

MAX_ENDPOINTS = 20  # per company: plenty for an integration, and a bound on what one token can make us send


class WebhookView(BaseModel):
    id: int
    url: str
    events: list[EventType]
    state: Literal["active", "paused"] = Field(
        description="`paused` after an event could not be delivered for the whole retry schedule (over 24 hours); "
        "`POST /webhooks/{id}/resume` delivers it again and goes on."
    )
    paused_reason: str | None
    failing_since: datetime | None
    delivered_cursor: int = Field(description="The cursor of the last event handled for this endpoint.")
    created_at: datetime


class CreatedWebhook(WebhookView):
    secret: str = Field(description="The signing secret; shown only in this answer.")


class DeliveryView(BaseModel):
    id: int
    event_id: int
    event_type: EventType
    attempt: int
    attempted_at: datetime
    outcome: Literal["delivered", "failed"]
    status_code: int | None
    error: str | None
    duration_ms: int


def create_webhook(
    db: Database,
    company_id: int,
    url: str,
    events: Sequence[str],
    *,
    allow_loopback: bool,
    resolver: Resolver = resolve,
) -> CreatedWebhook:
    """A new endpoint for the events from now on; its secret is in this answer only."""
    types = _event_types(events)
    clean_url = check_url(url, allow_loopback=allow_loopback, resolver=resolver)
    secret = new_secret()
    with db.transaction() as session:
        webhooks = WebhookRepository(session, company_id)
        if len(webhooks.all()) >= MAX_ENDPOINTS:
            raise Conflict(f"Företaget har redan {MAX_ENDPOINTS} webhooks; ta bort en först.", "too_many_webhooks")
        endpoint = WebhookEndpoint(
            company_id=company_id,
            url=clean_url,
            events=" ".join(t.value for t in types),
            secret_encrypted=db.cipher.encrypt(secret),
            state=ACTIVE,
            delivered_cursor=last_cursor(session, company_id),
            generation=1,
            created_at=db.clock(),
        )
        webhooks.add(endpoint)
        return CreatedWebhook(**_view(endpoint).model_dump(), secret=secret)


def list_webhooks(db: Database, company_id: int) -> list[WebhookView]:
    with db.transaction() as session:
        return [_view(endpoint) for endpoint in WebhookRepository(session, company_id).all()]


def get_webhook(db: Database, company_id: int, endpoint_id: int) -> WebhookView:
    with db.transaction() as session:
        return _view(_endpoint(WebhookRepository(session, company_id), endpoint_id))


def delete_webhook(db: Database, company_id: int, endpoint_id: int) -> None:
    """No more deliveries to it (one under way finishes its attempt); its delivery log is kept."""
    with db.transaction() as session:
        _endpoint(WebhookRepository(session, company_id), endpoint_id, lock=True).deleted_at = db.clock()


def resume_webhook(db: Database, company_id: int, endpoint_id: int) -> WebhookView:
    """A paused endpoint gets the event it stopped at again, and then the rest in order."""
    with db.transaction() as session:
        endpoint = _endpoint(WebhookRepository(session, company_id), endpoint_id, lock=True)
        if endpoint.state != ACTIVE:
            endpoint.state = ACTIVE
            endpoint.paused_reason = None
            endpoint.failing_since = None
            endpoint.generation += 1
        return _view(endpoint)


def list_deliveries(
    db: Database, company_id: int, endpoint_id: int, limit: int, before: int | None = None
) -> list[DeliveryView]:
    """The endpoint's delivery attempts, newest first (``before``: older than that delivery id)."""
    with db.transaction() as session:
        webhooks = WebhookRepository(session, company_id)
        _endpoint(webhooks, endpoint_id)
        return [_delivery_view(row) for row in webhooks.deliveries(endpoint_id, limit, before)]


def _event_types(events: Sequence[str]) -> list[EventType]:
    known, unknown = parse_event_types(list(events))
    errors = ErrorCollector()
    if not events:
        errors.add(("events",), "Välj minst en händelse.", "missing")
    for value in unknown:
        index = list(events).index(value)
        names = ", ".join(t.value for t in EventType)
        errors.add(("events", index), f"Okänd händelse. Välj bland: {names}.", "enum")
    errors.raise_if_any()
    return known


def _endpoint(webhooks: WebhookRepository, endpoint_id: int, lock: bool = False) -> WebhookEndpoint:
    endpoint = webhooks.get(endpoint_id, for_update=lock)
    if endpoint is None:
        raise NotFound("Webhooken", endpoint_id)
    return endpoint


def _view(endpoint: WebhookEndpoint) -> WebhookView:
    return WebhookView(
        id=endpoint.id,
        url=endpoint.url,
        events=[EventType(value) for value in endpoint.events.split()],
        state="active" if endpoint.state == ACTIVE else "paused",
        paused_reason=endpoint.paused_reason,
        failing_since=endpoint.failing_since,
        delivered_cursor=endpoint.delivered_cursor,
        created_at=endpoint.created_at,
    )


def _delivery_view(row: WebhookDelivery) -> DeliveryView:
    return DeliveryView(
        id=row.id,
        event_id=row.event_id,
        event_type=EventType(row.event_type),
        attempt=row.attempt,
        attempted_at=row.attempted_at,
        outcome="delivered" if row.outcome == "delivered" else "failed",
        status_code=row.status_code,
        error=row.error,
        duration_ms=row.duration_ms,
    )
