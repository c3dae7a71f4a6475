"""Operations endpoints and per-request log context: ``/readyz``, ``/metrics``, request ids.

``/healthz`` (the process answers) lives in the app factory. ``/readyz`` says whether this process should get
traffic: the database answers, its schema is at the newest migration, and — when this process runs the
background worker — DBOS is launched. ``/metrics`` is Prometheus's text format (see
``observability.metrics``). Every request gets an id (a sane incoming ``X-Request-ID`` is kept, else a new one),
echoed in the response and put on every log line with the company the request acts for.
"""

from __future__ import annotations

import re
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Request, Response
from fastapi.responses import JSONResponse
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from fakturabro.bootstrap import Container
from fakturabro.observability import metrics
from fakturabro.observability.logging import RequestContext, begin_request, end_request, note_company
from fakturabro.web import deps
from fakturabro.web.security import SecurityHeaders

REQUEST_ID_HEADER = "X-Request-ID"
_SANE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")

router = APIRouter(tags=["ops"])


class RequestContextMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = _incoming_request_id(scope) or uuid.uuid4().hex
        token = begin_request(RequestContext(request_id=request_id, scope=scope))

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message).setdefault(REQUEST_ID_HEADER, request_id)
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            end_request(token)


def _incoming_request_id(scope: Scope) -> str | None:
    for name, value in scope.get("headers", []):
        if name == b"x-request-id":
            candidate = value.decode("latin-1")
            return candidate if _SANE_REQUEST_ID.match(candidate) else None
    return None


def _container(request: Request) -> Container:
    container: Container = request.app.state.container
    return container


@router.get("/readyz", include_in_schema=False)
def readyz(request: Request) -> JSONResponse:
    checks = readiness(_container(request))
    ready = all(value in ("ok", "not in this process") for value in checks.values())
    return JSONResponse(
        {"status": "ready" if ready else "not ready", "checks": checks}, status_code=200 if ready else 503
    )


@router.get("/metrics", include_in_schema=False)
def prometheus_metrics(request: Request) -> Response:
    registry = request.app.state.metrics_registry
    return Response(metrics.render(registry), media_type="text/plain; version=0.0.4; charset=utf-8")


def readiness(container: Container) -> dict[str, str]:
    """Each check's outcome: ``ok``, ``not in this process`` (a worker-less web process) or what is wrong."""
    from fakturabro.store.migrate import is_up_to_date  # noqa: PLC0415 - alembic only when asked

    checks = {"database": "ok", "migrations": "ok", "background": _background_state(container)}
    try:
        with container.engine.connect() as connection:
            connection.exec_driver_sql("SELECT 1")
    except Exception as error:  # noqa: BLE001 - any failure to reach the database is "not ready"
        checks["database"] = f"unreachable ({type(error).__name__})"
        checks["migrations"] = "unknown"
        return checks
    try:
        if not is_up_to_date(container.engine):
            checks["migrations"] = "behind: run `fakturabro db upgrade`"
    except Exception as error:  # noqa: BLE001 - reported, not raised: the probe must answer
        checks["migrations"] = f"unknown ({type(error).__name__})"
    return checks


def _background_state(container: Container) -> str:
    """DBOS must be launched in a process that runs the background worker (it registered the export hook)."""
    try:
        from dbos import _dbos  # noqa: PLC0415 - DBOS is optional for a web-only process

        from fakturabro.sync.export import workflow  # noqa: PLC0415
    except ImportError:
        return "not in this process"
    instance: Any = _dbos._dbos_global_instance  # noqa: SLF001 - DBOS has no public "launched?" question
    launched = bool(instance is not None and getattr(instance, "_launched", False))
    runs_worker = workflow.start_export in container.on_approved
    if launched:
        return "ok"
    return "not launched" if runs_worker else "not in this process"


def _company_id_noted(access: Annotated[deps.TokenAccess, Depends(deps.get_token_access)]) -> int:
    """``deps.get_company_id`` plus putting the company on the request's log lines (installed as an override,
    so authorisation stays decided in one place, ``deps``)."""
    company_id = deps.get_company_id(access)
    note_company(company_id)
    return company_id


def install(app: FastAPI) -> None:
    """Routes, request context and security headers; called once by the app factory."""
    container = _container_of(app)
    app.state.metrics_registry = metrics.registry_for(container.db)
    app.include_router(router)
    app.dependency_overrides.setdefault(deps.get_company_id, _company_id_noted)
    app.add_middleware(RequestContextMiddleware)
    app.add_middleware(
        SecurityHeaders, public_url_is_https=container.settings.public_url.lower().startswith("https://")
    )


def _container_of(app: FastAPI) -> Container:
    container: Container = app.state.container
    return container
