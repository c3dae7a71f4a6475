"""Inställningar → API och webhooks: the company's API tokens (create, revoke) and webhooks (state, resume)."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Form, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from fakturabro.domain.errors import DomainError
from fakturabro.invoicing.companies import create_api_token
from fakturabro.invoicing.inputs import MAX_ID
from fakturabro.invoicing.tokens import list_tokens, revoke_token
from fakturabro.sync.webhooks.endpoints import list_webhooks, resume_webhook
from fakturabro.web.deps import Db
from fakturabro.web.views.errors import PageRoute
from fakturabro.web.views.rendering import render
from fakturabro.web.views.session import PageCompany, check_csrf

router = APIRouter(include_in_schema=False, route_class=PageRoute)
Csrf = Annotated[str | None, Form(max_length=100)]
Id = Annotated[int, Path(ge=1, le=MAX_ID)]
STOCKHOLM = ZoneInfo("Europe/Stockholm")
PAGE = "/settings/api"


@router.get(PAGE, response_class=HTMLResponse)
def api_access_page(request: Request, db: Db, company_id: PageCompany) -> HTMLResponse:
    return _page(request, db, company_id)


@router.post(f"{PAGE}/tokens", response_class=HTMLResponse)
def create_token(
    request: Request,
    db: Db,
    company_id: PageCompany,
    name: Annotated[str, Form(max_length=200)] = "",
    write: Annotated[str | None, Form(max_length=10)] = None,
    expires_on: Annotated[date | None, Form()] = None,
    csrf: Csrf = None,
) -> HTMLResponse:
    check_csrf(request, csrf)
    scopes = ("read", "write") if write else ("read",)
    expires_at = datetime.combine(expires_on, time(23, 59, 59), STOCKHOLM) if expires_on else None
    try:
        created = create_api_token(db, company_id, name.strip(), scopes, expires_at)
    except DomainError as error:
        return _page(request, db, company_id, errors=[str(error)], status_code=422)
    return _page(request, db, company_id, new_token=created.token, status_code=201)


@router.post(f"{PAGE}/tokens/{{token_id}}/revoke")
def revoke(request: Request, token_id: Id, db: Db, company_id: PageCompany, csrf: Csrf = None) -> Response:
    check_csrf(request, csrf)
    revoke_token(db, company_id, token_id)
    return RedirectResponse(PAGE, status_code=303)


@router.post(f"{PAGE}/webhooks/{{webhook_id}}/resume")
def resume(request: Request, webhook_id: Id, db: Db, company_id: PageCompany, csrf: Csrf = None) -> Response:
    check_csrf(request, csrf)
    resume_webhook(db, company_id, webhook_id)
    return RedirectResponse(PAGE, status_code=303)


def _page(
    request: Request,
    db: Db,
    company_id: int,
    *,
    new_token: str | None = None,
    errors: list[str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    context = {
        "tokens": list_tokens(db, company_id),
        "webhooks": list_webhooks(db, company_id),
        "new_token": new_token,
        "errors": errors or [],
    }
    return render(request, "api_access.html", context, status_code=status_code)
