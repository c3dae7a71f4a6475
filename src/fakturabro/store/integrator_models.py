"""The tables of the integrator API: idempotency keys, the event feed, webhook endpoints and their deliveries.

Events carry a cursor per company taken from ``event_cursors`` with ``UPDATE … RETURNING`` inside the
transaction that records the change: the counter row stays locked until that transaction commits, so events
of one company commit in cursor order and a reader that has seen cursor N will never later find an N-1.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from fakturabro.store.models import SHORT_LENGTH, Base
from fakturabro.store.types import UtcDateTime

IDEMPOTENCY_KEY_LENGTH = 255
URL_LENGTH = 2000


class IdempotencyKey(Base):
    """The first answer to a write sent with an ``Idempotency-Key``, kept for replay until ``expires_at``.

    ``state`` is ``in_flight`` while the first request runs and ``done`` once its answer is stored;
    ``fingerprint`` is a SHA-256 of the method, path, query and body the key was first used with.
    """

    __tablename__ = "idempotency_keys"
    __table_args__ = (UniqueConstraint("company_id", "key"), Index("ix_idempotency_keys_expires_at", "expires_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"))
    key: Mapped[str] = mapped_column(String(IDEMPOTENCY_KEY_LENGTH))
    fingerprint: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(20))
    status_code: Mapped[int | None] = mapped_column(Integer)
    content_type: Mapped[str | None] = mapped_column(String(100))
    body: Mapped[bytes | None] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime())


class EventCursor(Base):
    """The last cursor a company's events have taken."""

    __tablename__ = "event_cursors"

    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), primary_key=True)
    last_cursor: Mapped[int] = mapped_column(Integer)


class Event(Base):
    """One state change a vendor may care about; ``data`` is the JSON object the feed and webhooks show."""

    __tablename__ = "events"
    __table_args__ = (UniqueConstraint("company_id", "cursor"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"))
    cursor: Mapped[int] = mapped_column(Integer)
    type: Mapped[str] = mapped_column(String(SHORT_LENGTH))
    occurred_at: Mapped[datetime] = mapped_column(UtcDateTime())
    data: Mapped[str] = mapped_column(Text)


class WebhookEndpoint(Base):
    """Where a company wants its events POSTed; ``delivered_cursor`` is the last event handled for it.

    ``events`` is the space-separated list of event types it subscribed to. The signing secret is encrypted
    with the personal-data key (it must be readable to sign). ``state`` is ``active`` or ``paused`` (after
    failing for longer than the retry schedule); a deleted endpoint keeps its row and its delivery log.
    """

    __tablename__ = "webhook_endpoints"

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), index=True)
    url: Mapped[str] = mapped_column(String(URL_LENGTH))
    events: Mapped[str] = mapped_column(Text)
    secret_encrypted: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(20))
    paused_reason: Mapped[str | None] = mapped_column(Text)
    delivered_cursor: Mapped[int] = mapped_column(Integer)
    generation: Mapped[int] = mapped_column(Integer)  # bumped on resume, so a new delivery workflow starts
    failing_since: Mapped[datetime | None] = mapped_column(UtcDateTime())
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    deleted_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class WebhookDelivery(Base):
    """One attempt to deliver one event to one endpoint (the delivery log)."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (Index("ix_webhook_deliveries_endpoint_id_id", "endpoint_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"))
    endpoint_id: Mapped[int] = mapped_column(ForeignKey("webhook_endpoints.id"))
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id"))
    event_type: Mapped[str] = mapped_column(String(SHORT_LENGTH))
    attempt: Mapped[int] = mapped_column(Integer)
    attempted_at: Mapped[datetime] = mapped_column(UtcDateTime())
    outcome: Mapped[str] = mapped_column(String(20))
    status_code: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(String(500))
    duration_ms: Mapped[int] = mapped_column(Integer)
