"""The sandbox app factory: Visma's API under `/v2`, Visma Connect under `/connect`, control under `/_sandbox`,
the files Visma links to (invoice PDFs) under `/documents`.

Works standalone (`fakturabro sandbox`) and mounted under a prefix (`/visma-sandbox` in `fakturabro serve`);
absolute URLs are always built from the incoming request, never hard-coded.
"""

from __future__ import annotations

import random
from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from fakturabro.sandbox import control, documents, oauth
from fakturabro.sandbox.errors import (
    VismaApiError,
    handle_http_exception,
    handle_request_validation,
    handle_visma_error,
)
from fakturabro.sandbox.middleware import sandbox_middleware
from fakturabro.sandbox.resources import (
    articles,
    customers,
    drafts,
    invoices,
    ledger,
    links,
    reference,
    sending,
    settings,
    vouchers,
)
from fakturabro.sandbox.state import Clock, SandboxState

# Resource routers, one module per Visma resource family (paths without `/v2`).
RESOURCE_ROUTERS: tuple[APIRouter, ...] = (
    settings.router,
    reference.router,
    customers.router,
    articles.router,
    drafts.router,
    invoices.router,
    sending.router,
    ledger.router,
    vouchers.router,
    links.router,
)


def create_sandbox_app(
    data_dir: Path | None = None,
    *,
    clock: Clock | None = None,
    access_token_ttl_seconds: int = 3600,
    rate_limit_per_minute: int = 600,
    rng: random.Random | None = None,
) -> FastAPI:
    """Build a sandbox with its own state (loaded from `data_dir` when it holds one, else seeded)."""
    state = SandboxState(
        data_dir,
        clock=clock,
        access_token_ttl_seconds=access_token_ttl_seconds,
        rate_limit_per_minute=rate_limit_per_minute,
        rng=rng,
    )
    app = FastAPI(
        title="Visma eEkonomi sandbox (fakturabro)",
        description="A stateful emulator of Visma eAccounting API v2 and Visma Connect; test use only.",
        docs_url="/_sandbox/docs",
        redoc_url=None,
        openapi_url="/_sandbox/openapi.json",
    )
    app.state.sandbox = state
    app.add_exception_handler(VismaApiError, handle_visma_error)
    app.add_exception_handler(RequestValidationError, handle_request_validation)
    app.add_exception_handler(StarletteHTTPException, handle_http_exception)
    app.middleware("http")(sandbox_middleware)
    app.include_router(oauth.router)
    app.include_router(control.router)
    app.include_router(documents.router)
    api = APIRouter(prefix="/v2")
    for resource_router in RESOURCE_ROUTERS:
        api.include_router(resource_router)
    app.include_router(api)
    return app
