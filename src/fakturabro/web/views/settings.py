"""Inställningar → Integrationer: the list of integrations (Visma eEkonomi's own page is in ``web.api_visma``)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from fakturabro.sync.connection import connection_status
from fakturabro.web.deps import Db
from fakturabro.web.views.errors import PageRoute
from fakturabro.web.views.rendering import render
from fakturabro.web.views.session import PageCompany

router = APIRouter(include_in_schema=False, route_class=PageRoute)


@router.get("/settings")
def settings_home() -> RedirectResponse:
    return RedirectResponse("/settings/company", status_code=303)


@router.get("/settings/integrations", response_class=HTMLResponse)
def integrations(request: Request, db: Db, company_id: PageCompany) -> HTMLResponse:
    return render(request, "integrations.html", {"visma": connection_status(db, company_id)})
