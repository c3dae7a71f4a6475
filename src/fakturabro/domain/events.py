"""The events a vendor can follow (the feed at ``/api/v1/events`` and webhooks): what changed, named by the API.

Adding a type is adding a member here; the use case that makes the change records it in the same transaction
(``fakturabro.store.events.record_event``).
"""

from __future__ import annotations

from enum import StrEnum


class EventType(StrEnum):
    INVOICE_CREATED = "invoice.created"
    INVOICE_APPROVED = "invoice.approved"
    INVOICE_EXPORTED = "invoice.exported"
    INVOICE_EXPORT_FAILED = "invoice.export_failed"
    INVOICE_NEEDS_ATTENTION = "invoice.needs_attention"
    INVOICE_SENT = "invoice.sent"
    INVOICE_DELIVERY_FAILED = "invoice.delivery_failed"
    INVOICE_PAYMENT_REGISTERED = "invoice.payment_registered"
    INVOICE_PAID = "invoice.paid"
    INVOICE_CREDITED = "invoice.credited"
    VISMA_CONNECTION_CHANGED = "visma.connection_changed"


def parse_event_types(values: list[str]) -> tuple[list[EventType], list[str]]:
    """The known event types among ``values`` (in order, each once) and the unknown ones."""
    known: list[EventType] = []
    unknown: list[str] = []
    for value in values:
        try:
            event_type = EventType(value)
        except ValueError:
            unknown.append(value)
            continue
        if event_type not in known:
            known.append(event_type)
    return known, unknown
