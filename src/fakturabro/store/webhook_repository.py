"""Webhook endpoints and their delivery log."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from fakturabro.store.integrator_models import EventCursor, WebhookDelivery, WebhookEndpoint
from fakturabro.store.repositories import CompanyScoped, Transaction

ACTIVE = "active"
PAUSED = "paused"


class WebhookRepository(CompanyScoped):
    """A company's webhook endpoints (a deleted one is kept with its log, and no longer listed)."""

    def add(self, endpoint: WebhookEndpoint) -> None:
        self.session.add(endpoint)
        self.session.flush()

    def all(self) -> list[WebhookEndpoint]:
        query = select(WebhookEndpoint).where(
            WebhookEndpoint.company_id == self.company_id, WebhookEndpoint.deleted_at.is_(None)
        )
        return list(self.session.scalars(query.order_by(WebhookEndpoint.id)))

    def get(self, endpoint_id: int, for_update: bool = False) -> WebhookEndpoint | None:
        query = select(WebhookEndpoint).where(
            WebhookEndpoint.company_id == self.company_id,
            WebhookEndpoint.id == endpoint_id,
            WebhookEndpoint.deleted_at.is_(None),
        )
        return self.session.scalar(query.with_for_update() if for_update else query)

    def deliveries(self, endpoint_id: int, limit: int, before: int | None = None) -> list[WebhookDelivery]:
        query = select(WebhookDelivery).where(
            WebhookDelivery.company_id == self.company_id, WebhookDelivery.endpoint_id == endpoint_id
        )
        if before is not None:
            query = query.where(WebhookDelivery.id < before)
        return list(self.session.scalars(query.order_by(WebhookDelivery.id.desc()).limit(limit)))


@dataclass(frozen=True)
class PendingEndpoint:
    endpoint_id: int
    company_id: int
    delivered_cursor: int
    generation: int


def endpoints_with_pending_events(session: Transaction) -> list[PendingEndpoint]:
    """Active endpoints of every company whose feed has grown past what they were delivered."""
    query = (
        select(
            WebhookEndpoint.id, WebhookEndpoint.company_id, WebhookEndpoint.delivered_cursor, WebhookEndpoint.generation
        )
        .join(EventCursor, EventCursor.company_id == WebhookEndpoint.company_id)
        .where(
            WebhookEndpoint.state == ACTIVE,
            WebhookEndpoint.deleted_at.is_(None),
            EventCursor.last_cursor > WebhookEndpoint.delivered_cursor,
        )
        .order_by(WebhookEndpoint.id)
    )
    return [PendingEndpoint(*row) for row in session.execute(query).tuples()]


def endpoint_for_delivery(session: Transaction, endpoint_id: int) -> WebhookEndpoint | None:
    """The endpoint, locked, while it is active and not deleted (else None: the delivery stops)."""
    query = select(WebhookEndpoint).where(
        WebhookEndpoint.id == endpoint_id, WebhookEndpoint.state == ACTIVE, WebhookEndpoint.deleted_at.is_(None)
    )
    return session.scalar(query.with_for_update())
