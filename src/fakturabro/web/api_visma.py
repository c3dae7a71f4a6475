"""Inställningar → Integrationer → Visma eEkonomi: the REST API, the OAuth callback and a minimal settings page.

REST (`/api/v1/integrations/visma`, bearer token): GET/PUT the integration, POST `connect` for the
authorization URL, POST `check`, POST `fallback-articles`, DELETE to disconnect. The callback
(`/integrations/visma/callback`) needs no login: the `state` it carries names the company that started the flow.
"""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Annotated, Literal

import structlog
from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, ConfigDict

from fakturabro.domain.errors import Conflict
from fakturabro.domain.swedish_format import plural
from fakturabro.sync import connection, preflight
from fakturabro.sync.connection import ConnectFailed, ConnectionStatus, VismaSetup
from fakturabro.visma.errors import VismaError, VismaForbidden
from fakturabro.web.deps import CompanyId, ContainerDep
from fakturabro.web.pages import PageCompany, check_csrf
from fakturabro.web.views.errors import PageRoute
from fakturabro.web.views.rendering import render

log = structlog.get_logger(__name__)

router = APIRouter()
pages = APIRouter(include_in_schema=False, route_class=PageRoute)  # HTML: errors as Swedish pages, not JSON
CALLBACK_PATH = "/integrations/visma/callback"
PAGE_PATH = "/settings/integrations/visma"
SESSION_BINDING = "visma_connect_binding"  # ties a flow started on the page to this browser


class VismaCompanyView(BaseModel):
    name: str | None
    org_number: str | None


class ChecklistItemView(BaseModel):
    key: str
    ok: bool
    message: str
    fix: str | None = None


class VismaIntegrationView(BaseModel):
    activated: bool
    connected: bool
    state: Literal["inactive", "not_connected", "connected", "needs_reconnect"]
    mode: Literal["voucher", "draft"]
    visma_company: VismaCompanyView | None
    connected_at: datetime | None
    checked_at: datetime | None
    checklist: list[ChecklistItemView]


class VismaIntegrationUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    activated: bool | None = None
    mode: Literal["voucher", "draft"] | None = None


class AuthorizationView(BaseModel):
    authorization_url: str


class FallbackArticlesView(BaseModel):
    created: list[str]
    integration: VismaIntegrationView


# --- shared ---------------------------------------------------------------------------------------------------


def request_setup(request: Request, container: ContainerDep) -> VismaSetup:
    """The Visma setup, with the callback URL and embedded-sandbox endpoints derived from this request when
    FAKTURABRO_PUBLIC_URL is not configured (the app may run on any port)."""
    configured = container.extras.get("visma_setup")
    if isinstance(configured, VismaSetup):
        return configured
    return VismaSetup.from_settings(container.settings, public_url=str(request.base_url))


def _view(container: ContainerDep, company_id: int, status: ConnectionStatus | None = None) -> VismaIntegrationView:
    status = status or connection.connection_status(container.db, company_id)
    check = preflight.latest_check(container.db, company_id)
    company = status.visma_company
    return VismaIntegrationView(
        activated=status.activated,
        connected=status.connected,
        state=status.state.value,
        mode=status.mode.value,
        visma_company=VismaCompanyView(name=company.name, org_number=company.org_number) if company else None,
        connected_at=status.connected_at,
        checked_at=check.checked_at if check else None,
        checklist=[ChecklistItemView(key=i.key, ok=i.ok, message=i.message, fix=i.fix) for i in check.items]
        if check
        else [],
    )


def _conflict_from(error: VismaError) -> Conflict:
    """A Visma failure as a 409 the user can act on; never Visma's own text, which may echo personal data."""
    if isinstance(error, connection.NotConnected):
        return Conflict("Företaget är inte kopplat till Visma eEkonomi. Koppla först.", "not_connected")
    if getattr(error, "needs_reconnect", False):
        return Conflict("Kopplingen till Visma eEkonomi har gått ut. Koppla igen.", "needs_reconnect")
    if isinstance(error, VismaForbidden):
        return Conflict(
            "Visma eEkonomi nekade åtkomst. Aktivera integrationen i Visma under Appar och integrationer → "
            "Visma Integration och försök igen.",
            "visma_forbidden",
        )
    return Conflict("Visma eEkonomi svarade inte som väntat. Försök igen om en stund.", "visma_unavailable")


def _check_after_connect(container: ContainerDep, company_id: int, setup: VismaSetup) -> None:
    try:
        preflight.run_check(container, company_id, "connect", setup=setup)
    except VismaError as exc:  # the connection is made; the check can be run again from the page
        log.warning("visma.preflight.after_connect_failed", company_id=company_id, error=type(exc).__name__)
    from fakturabro.web.reconciliation import start_after_connect  # it imports this module

    start_after_connect(company_id)  # the reconciliation with the company's books, in the background


# --- REST -----------------------------------------------------------------------------------------------------


@router.get("/api/v1/integrations/visma", tags=["visma"])
def get_integration(container: ContainerDep, company_id: CompanyId) -> VismaIntegrationView:
    return _view(container, company_id)


@router.put("/api/v1/integrations/visma", tags=["visma"])
def put_integration(
    body: VismaIntegrationUpdate, container: ContainerDep, company_id: CompanyId
) -> VismaIntegrationView:
    status = connection.update_integration(container.db, company_id, activated=body.activated, mode=body.mode)
    return _view(container, company_id, status)


@router.post("/api/v1/integrations/visma/connect", tags=["visma"])
def start_connect(request: Request, container: ContainerDep, company_id: CompanyId) -> AuthorizationView:
    """The URL to send a browser to; following it (login, consent, redirects) connects this token's company."""
    setup = request_setup(request, container)
    return AuthorizationView(authorization_url=connection.start_connect(container.db, setup, company_id))


@router.post("/api/v1/integrations/visma/check", tags=["visma"])
def run_check(request: Request, container: ContainerDep, company_id: CompanyId) -> VismaIntegrationView:
    try:
        preflight.run_check(container, company_id, "manual", setup=request_setup(request, container))
    except VismaError as exc:
        raise _conflict_from(exc) from None
    return _view(container, company_id)


@router.post("/api/v1/integrations/visma/fallback-articles", tags=["visma"])
def create_fallback_articles(request: Request, container: ContainerDep, company_id: CompanyId) -> FallbackArticlesView:
    setup = request_setup(request, container)
    try:
        created = preflight.create_fallback_articles(container, company_id, setup=setup)
        preflight.run_check(container, company_id, "manual", setup=setup)
    except VismaError as exc:
        raise _conflict_from(exc) from None
    return FallbackArticlesView(created=created, integration=_view(container, company_id))


@router.delete("/api/v1/integrations/visma", tags=["visma"])
def disconnect(container: ContainerDep, company_id: CompanyId) -> VismaIntegrationView:
    return _view(container, company_id, connection.disconnect(container.db, company_id))


# --- the OAuth callback ---------------------------------------------------------------------------------------


@pages.get(CALLBACK_PATH, name="visma_callback")
def callback(
    request: Request,
    container: ContainerDep,
    state: Annotated[str, Query(max_length=200)] = "",
    code: Annotated[str | None, Query(max_length=2000)] = None,
    error: Annotated[str | None, Query(max_length=200)] = None,
) -> Response:
    setup = request_setup(request, container)
    binding = request.session.pop(SESSION_BINDING, None)
    try:
        company_id = connection.complete_connect(
            container.db,
            setup,
            state=state,
            code=code,
            error=error,
            browser_binding=binding if isinstance(binding, str) else None,
        )
    except ConnectFailed as failed:
        context = {"message": failed.message, "page_path": PAGE_PATH}
        return render(request, "visma_callback_failed.html", context, status_code=400)
    _check_after_connect(container, company_id, setup)
    return RedirectResponse(f"{PAGE_PATH}?kopplad=1", status_code=303)


# --- the settings page ----------------------------------------------------------------------------------------


@pages.get(PAGE_PATH, response_class=HTMLResponse)
def settings_page(request: Request, container: ContainerDep, company_id: PageCompany) -> HTMLResponse:
    return _page(request, container, company_id)


def _page(
    request: Request,
    container: ContainerDep,
    company_id: int,
    error: str | None = None,
    *,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    context = {
        "integration": _view(container, company_id),
        "error": error,
        "errors": errors or {},
        "just_connected": request.query_params.get("kopplad") == "1",
        "done": _done_message(request.query_params.get("klart", "")),
        "page_path": PAGE_PATH,
    }
    return render(request, "visma_settings.html", context, status_code=status_code)


_DONE = {
    "exportlage-voucher": "Exportläget är sparat: fakturorna bokförs som verifikationer i Visma.",
    "exportlage-draft": "Exportläget är sparat: fakturorna hamnar som fakturautkast i Visma.",
    "artiklar-0": "Reservartiklarna fanns redan i Visma; inget behövde skapas.",
}


def _done_message(code: str) -> str | None:
    """What a button that saved did, told on the page it returns to (the redirect carries only a code)."""
    if code.startswith("artiklar-") and code.removeprefix("artiklar-").isdigit() and code != "artiklar-0":
        count = int(code.removeprefix("artiklar-"))
        return f"{plural(count, 'reservartikel är skapad', 'reservartiklar är skapade')} i Visma."
    return _DONE.get(code)


@pages.post(PAGE_PATH)
def settings_submit(
    request: Request,
    container: ContainerDep,
    company_id: PageCompany,
    csrf: Annotated[str, Form(max_length=100)],
    action: Annotated[
        Literal["activate", "deactivate", "mode", "connect", "check", "fallback_articles", "disconnect"], Form()
    ],
    mode: Annotated[str | None, Form(max_length=50)] = None,
) -> Response:
    check_csrf(request, csrf)
    setup = request_setup(request, container)
    db = container.db
    try:
        if action == "activate":
            connection.activate(db, company_id)
        elif action == "deactivate":
            connection.deactivate(db, company_id)
        elif action == "mode":
            if mode not in ("voucher", "draft"):
                errors = {"mode": "Välj verifikationer eller fakturautkast."}
                return _page(request, container, company_id, errors=errors, status_code=422)
            connection.set_export_mode(db, company_id, mode)
            return RedirectResponse(f"{PAGE_PATH}?klart=exportlage-{mode}", status_code=303)
        elif action == "connect":
            binding = secrets.token_urlsafe(32)
            request.session[SESSION_BINDING] = binding
            url = connection.start_connect(db, setup, company_id, browser_binding=binding)
            return RedirectResponse(url, status_code=303)
        elif action == "check":
            preflight.run_check(container, company_id, "manual", setup=setup)
        elif action == "fallback_articles":
            created = preflight.create_fallback_articles(container, company_id, setup=setup)
            preflight.run_check(container, company_id, "manual", setup=setup)
            return RedirectResponse(f"{PAGE_PATH}?klart=artiklar-{len(created)}", status_code=303)
        else:
            connection.disconnect(db, company_id)
    except Conflict as conflict:
        return _page(request, container, company_id, conflict.message, status_code=409)
    except VismaError as exc:
        return _page(request, container, company_id, _conflict_from(exc).message, status_code=409)
    return RedirectResponse(PAGE_PATH, status_code=303)


router.include_router(pages)  # last: including copies the routes defined so far
