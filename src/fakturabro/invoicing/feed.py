"""Reading the company's event feed (``GET /api/v1/events``)."""

from __future__ import annotations

from dataclasses import dataclass

from fakturabro.store.database import Database
from fakturabro.store.events import StoredEvent, events_after

MAX_PAGE = 1000


@dataclass(frozen=True)
class EventPage:
    events: list[StoredEvent]
    next: int
    """The cursor to ask with next time: the last event's, or ``after`` itself when nothing is newer."""


def read_events(db: Database, company_id: int, after: int, limit: int) -> EventPage:
    with db.transaction() as session:
        found = events_after(session, company_id, after, min(limit, MAX_PAGE))
    return EventPage(found, found[-1].cursor if found else after)
