"""``/api/v1/webhooks``: register, list, resume and delete endpoints; read their delivery log."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response
from pydantic import BaseModel, ConfigDict, Field

from fakturabro.invoicing.inputs import MAX_ID
from fakturabro.sync.webhooks import endpoints
from fakturabro.sync.webhooks.delivery import allows_loopback
from fakturabro.sync.webhooks.endpoints import CreatedWebhook, DeliveryView, WebhookView
from fakturabro.sync.webhooks.urls import MAX_URL_LENGTH
from fakturabro.web.deps import CompanyId, ContainerDep, Db

router = APIRouter(prefix="/api/v1", tags=["webhooks"])
Id = Annotated[int, Path(ge=1, le=MAX_ID)]


class WebhookInput(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: Annotated[str, Field(min_length=1, max_length=MAX_URL_LENGTH)]
    events: Annotated[list[Annotated[str, Field(max_length=50)]], Field(min_length=1, max_length=20)] = Field(
        description="Event types to receive, e.g. `invoice.exported`."
    )


@router.post("/webhooks", status_code=201)
def create_webhook(body: WebhookInput, container: ContainerDep, company_id: CompanyId) -> CreatedWebhook:
    """A new endpoint for the company's events from now on. The answer shows the signing `secret` once."""
    return endpoints.create_webhook(
        container.db, company_id, body.url, body.events, allow_loopback=allows_loopback(container.settings)
    )


@router.get("/webhooks")
def list_webhooks(db: Db, company_id: CompanyId) -> list[WebhookView]:
    return endpoints.list_webhooks(db, company_id)


@router.get("/webhooks/{webhook_id}")
def get_webhook(webhook_id: Id, db: Db, company_id: CompanyId) -> WebhookView:
    return endpoints.get_webhook(db, company_id, webhook_id)


@router.delete("/webhooks/{webhook_id}", status_code=204)
def delete_webhook(webhook_id: Id, db: Db, company_id: CompanyId) -> Response:
    endpoints.delete_webhook(db, company_id, webhook_id)
    return Response(status_code=204)


@router.post("/webhooks/{webhook_id}/resume")
def resume_webhook(webhook_id: Id, db: Db, company_id: CompanyId) -> WebhookView:
    """Deliver again to a paused endpoint, from the event it stopped at."""
    return endpoints.resume_webhook(db, company_id, webhook_id)


@router.get("/webhooks/{webhook_id}/deliveries")
def list_deliveries(
    webhook_id: Id,
    db: Db,
    company_id: CompanyId,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    before: Annotated[int | None, Query(ge=1, le=MAX_ID, description="Only deliveries older than this id.")] = None,
) -> list[DeliveryView]:
    """The delivery attempts, newest first."""
    return endpoints.list_deliveries(db, company_id, webhook_id, limit, before)
