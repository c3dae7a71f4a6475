"""The FastAPI application factory."""

from __future__ import annotations

import importlib.util

import structlog
from fastapi import FastAPI, Request, Response
from fastapi.responses import RedirectResponse
from starlette.middleware.sessions import SessionMiddleware

from fakturabro.bootstrap import Container, build
from fakturabro.settings import SANDBOX_MOUNT_PATH, Settings
from fakturabro.web import (
    api,
    api_company,
    api_delivery,
    api_visma,
    documents,
    errors,
    husavdrag,
    ops,
    pages,
    payment_import,
    reconciliation,
    registers,
)
from fakturabro.web.integrator import install as install_integrator_api
from fakturabro.web.limits import BodyLimits

log = structlog.get_logger(__name__)


def create_app(source: Settings | Container | None = None, *, mount_sandbox: bool = False) -> FastAPI:
    """The web app for ``source`` (settings to build from, or an already built container).

    ``mount_sandbox`` mounts the Visma emulator at ``/visma-sandbox`` when no Visma client id is configured.
    """
    container = source if isinstance(source, Container) else build(source)
    app = FastAPI(
        title="fakturabro",
        version="0.1.0",
        description="Fakturering för hantverkare, kopplad till Visma eEkonomi. API-token som Bearer.",
    )
    app.state.container = container
    errors.install(app)
    app.add_exception_handler(pages.LoginRequired, _to_login)
    app.include_router(api.router)
    app.include_router(api_company.router)
    app.include_router(api_delivery.router)
    app.include_router(pages.router)
    app.include_router(api_visma.router)
    app.include_router(payment_import.router)
    app.include_router(registers.router)
    app.include_router(reconciliation.router)
    app.include_router(husavdrag.router)
    app.include_router(documents.api_router)  # the invoice PDF and printable page (web/documents.py)
    app.include_router(documents.page_router)
    install_integrator_api(app, container)  # events, webhooks, tokens, idempotency keys (web/integrator.py)
    app.add_middleware(
        SessionMiddleware,
        secret_key=container.settings.session_secret(),
        session_cookie="fakturabro_session",
        max_age=container.settings.session_max_age_seconds,
        same_site="lax",
        https_only=container.settings.secure_cookies,
    )

    app.add_middleware(
        BodyLimits,
        max_json_bytes=container.settings.max_json_bytes,
        max_upload_bytes=container.settings.max_upload_bytes,
    )
    ops.install(app)  # /readyz, /metrics, request ids on log lines, security headers (web/security.py)

    @app.get("/healthz", tags=["ops"])
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    if mount_sandbox and container.settings.uses_embedded_sandbox:
        _mount_sandbox(app, container.settings)
    return app


async def _to_login(_request: Request, _error: Exception) -> Response:
    return RedirectResponse("/login", status_code=303)


def _mount_sandbox(app: FastAPI, settings: Settings) -> None:
    if importlib.util.find_spec("fakturabro.sandbox.app") is None:
        log.warning("Visma sandbox not available; not mounted")
        return
    from fakturabro.sandbox.app import create_sandbox_app  # noqa: PLC0415 - optional, imported only when used

    app.mount(SANDBOX_MOUNT_PATH, create_sandbox_app(data_dir=settings.sandbox_data_dir))
