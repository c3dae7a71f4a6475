"""The integrator API in one place: its routers, and the idempotency keys of every write under ``/api/v1``."""

from __future__ import annotations

from fastapi import FastAPI

from fakturabro.web import api_events


def install(app: FastAPI) -> None:
    app.include_router(api_events.router)
