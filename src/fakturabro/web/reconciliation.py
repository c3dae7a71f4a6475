"""Inställningar → Visma → Avstämning: the reconciliation's REST API and its page.

REST (bearer token): ``POST /api/v1/integrations/visma/reconciliation`` starts a run (202, the run as it stands),
``GET`` the latest run, ``POST …/reconciliation/resolutions`` resolves one finding. The page shows the same and
posts the same resolutions (forms that work without JavaScript; the page polls itself while a run is running).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Annotated, Any, TypeVar

from dbos._error import DBOSException
from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from fakturabro.domain.errors import Conflict, DomainError, NotFound, ValidationFailed
from fakturabro.sync.export import workflow
from fakturabro.sync.export.steps import ExportDeps
from fakturabro.sync.reconciliation import resolutions
from fakturabro.sync.reconciliation import run as reconciliation
from fakturabro.visma.errors import VismaError
from fakturabro.web.api_visma import _conflict_from
from fakturabro.web.deps import CompanyId, ContainerDep
from fakturabro.web.pages import PageCompany, check_csrf
from fakturabro.web.views.errors import PageRoute
from fakturabro.web.views.rendering import render

router = APIRouter()
pages = APIRouter(include_in_schema=False, route_class=PageRoute)
API_PATH = "/api/v1/integrations/visma/reconciliation"
PAGE_PATH = "/settings/integrations/visma/reconciliation"
T = TypeVar("T")


class ResolutionInput(BaseModel):
    model_config = ConfigDict(extra="forbid")

    finding: str = Field(min_length=1, max_length=100)
    action: str = Field(min_length=1, max_length=30)
    visma_id: str | None = Field(default=None, max_length=100)
    visma_number: str | None = Field(default=None, max_length=50)  # instead of visma_id: the customer's number
    customer_number: str | None = Field(default=None, max_length=50)


def _export_deps() -> ExportDeps:
    """Runs and resolutions use the background runtime's Visma clients (paced) and its export workflows."""
    try:
        return workflow.current_deps()
    except workflow.ExportNotRunning as error:
        raise Conflict(
            "Bakgrundsarbetet körs inte i den här processen (fakturabro startad med --no-worker?), så avstämningen "
            "kan inte startas här.",
            "export_not_running",
        ) from error


def _visma(call: Callable[[], T]) -> T:
    try:
        return call()
    except VismaError as error:
        raise _conflict_from(error) from None
    except DBOSException as error:
        raise Conflict("Bakgrundsarbetet körs inte just nu. Försök igen om en stund.", "export_not_running") from error


def start(company_id: int, trigger: str = "manual") -> dict[str, Any]:
    deps = _export_deps()
    run_id = _visma(lambda: reconciliation.start_run(deps.db, company_id, trigger))
    result = reconciliation.latest_result(deps.db, company_id)
    assert result is not None
    assert result["id"] == run_id
    return result


def start_after_connect(company_id: int) -> None:
    """The automatic run after connecting; a process without the background runtime leaves it to the page."""
    with contextlib.suppress(Conflict):
        start(company_id, "connect")


# --- REST -----------------------------------------------------------------------------------------------------


@router.post(API_PATH, status_code=202, tags=["visma"])
def start_reconciliation(company_id: CompanyId) -> dict[str, Any]:
    return start(company_id)


@router.get(API_PATH, tags=["visma"])
def latest_reconciliation(container: ContainerDep, company_id: CompanyId) -> dict[str, Any]:
    result = reconciliation.latest_result(container.db, company_id)
    if result is None:
        raise NotFound("Avstämningen", "senaste")
    return result


@router.post(f"{API_PATH}/resolutions", tags=["visma"])
def resolve_finding(body: ResolutionInput, company_id: CompanyId) -> dict[str, Any]:
    deps = _export_deps()
    request = resolutions.ResolutionRequest(
        body.finding, body.action, body.visma_id, body.customer_number, visma_number=body.visma_number
    )
    resolved = _visma(lambda: resolutions.resolve(deps, company_id, request))
    return {"finding": resolved.finding, "exported_again": resolved.exported_again}


# --- the page ---------------------------------------------------------------------------------------------------


ACTION_LABELS = {
    "number_collision": "Samma kundnummer, annan kund",
    "identity_elsewhere": "Finns i Visma under ett annat nummer",
    "type_mismatch": "Annan kundtyp i Visma",
    "article_differs": "Artikeln skiljer sig",
}


def _page(
    request: Request, container: ContainerDep, company_id: int, *, error: str | None = None, status_code: int = 200
) -> HTMLResponse:
    context = {
        "result": reconciliation.latest_result(container.db, company_id),
        "error": error,
        "notice": request.query_params.get("klart"),
        "page_path": PAGE_PATH,
        "kinds": ACTION_LABELS,
    }
    return render(request, "visma_reconciliation.html", context, status_code=status_code)


@pages.get(PAGE_PATH, response_class=HTMLResponse)
def reconciliation_page(request: Request, container: ContainerDep, company_id: PageCompany) -> HTMLResponse:
    return _page(request, container, company_id)


@pages.post(PAGE_PATH)
def reconciliation_submit(
    request: Request,
    container: ContainerDep,
    company_id: PageCompany,
    csrf: Annotated[str, Form(max_length=100)],
    action: Annotated[str, Form(max_length=30)],
    finding: Annotated[str | None, Form(max_length=100)] = None,
    visma_id: Annotated[str | None, Form(max_length=100)] = None,
    visma_number: Annotated[str | None, Form(max_length=50)] = None,
    customer_number: Annotated[str | None, Form(max_length=50)] = None,
) -> Response:
    check_csrf(request, csrf)
    try:
        if action == "start":
            start(company_id)
            return RedirectResponse(PAGE_PATH, status_code=303)
        if not finding:
            raise ValidationFailed.single(("finding",), "Välj en avvikelse.", "finding_missing")
        deps = _export_deps()
        wanted = resolutions.ResolutionRequest(
            finding,
            action,
            visma_id or None,
            customer_number or None,
            visma_number=(visma_number or "").strip() or None,
        )
        resolved = _visma(lambda: resolutions.resolve(deps, company_id, wanted))
    except DomainError as problem:
        return _page(request, container, company_id, error=_message(problem), status_code=_status(problem))
    return RedirectResponse(f"{PAGE_PATH}?klart={len(resolved.exported_again)}", status_code=303)


def _message(problem: DomainError) -> str:
    if isinstance(problem, ValidationFailed):
        return " ".join(error.message for error in problem.errors)
    if isinstance(problem, Conflict):
        return problem.message
    return "Avvikelsen finns inte (längre). Ladda om sidan."


def _status(problem: DomainError) -> int:
    if isinstance(problem, ValidationFailed):
        return 422
    return 404 if isinstance(problem, NotFound) else 409


router.include_router(pages)
