"""The integrator API in one place: its routers, and the idempotency keys of every write under ``/api/v1``."""

from __future__ import annotations

from fastapi import FastAPI

from fakturabro.bootstrap import Container
from fakturabro.web import api_events, api_external_ids, api_tokens, api_webhooks
from fakturabro.web.idempotency import IdempotencyKeys
from fakturabro.web.views import api_access


def install(app: FastAPI, container: Container) -> None:
    app.include_router(api_events.router)
    app.include_router(api_external_ids.router)
    app.include_router(api_webhooks.router)
    app.include_router(api_tokens.router)
    app.include_router(api_access.router)  # the settings page
    app.add_middleware(IdempotencyKeys, db=container.db)
