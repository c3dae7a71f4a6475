"""``GET /api/v1/events``: the company's event feed, oldest first, paged by cursor."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from fakturabro.domain.events import EventType
from fakturabro.invoicing.feed import MAX_PAGE, read_events
from fakturabro.invoicing.inputs import MAX_ID
from fakturabro.web.deps import CompanyId, Db

router = APIRouter(prefix="/api/v1", tags=["events"])


class EventView(BaseModel):
    id: int = Field(description="Unique across companies; the `Fakturabro-Event-Id` of its webhook deliveries.")
    cursor: int = Field(description="Grows by one per event of the company, in the order the changes committed.")
    type: EventType
    occurred_at: datetime
    data: dict[str, Any]


class EventsPage(BaseModel):
    events: list[EventView]
    next: int = Field(description="Pass as `after` to read on; equals `after` when there is nothing newer yet.")


@router.get("/events")
def list_events(
    db: Db,
    company_id: CompanyId,
    after: Annotated[int, Query(ge=0, le=MAX_ID, description="The cursor of the last event already read.")] = 0,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 100,
) -> EventsPage:
    """Every event of the company after the cursor `after`, oldest first: none is skipped, repeated or reordered,
    whichever process recorded it."""
    page = read_events(db, company_id, after, limit)
    events = [
        EventView(id=e.id, cursor=e.cursor, type=EventType(e.type), occurred_at=e.occurred_at, data=e.data)
        for e in page.events
    ]
    return EventsPage(events=events, next=page.next)
