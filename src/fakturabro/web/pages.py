"""Minimal Swedish HTML pages: login, registers and invoices. The full UI is its own issue.

Sessions are signed cookies; every form carries the session's CSRF token and every POST checks it.
"""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from fakturabro.domain.identity import mask_personnummer
from fakturabro.domain.invoice import InvoiceStatus
from fakturabro.domain.money import format_sek
from fakturabro.invoicing import articles, customers, invoices
from fakturabro.invoicing.companies import authenticate_user, company_name
from fakturabro.invoicing.inputs import MAX_ID
from fakturabro.web.deps import Db

router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(directory=Path(__file__).parent / "templates")
templates.env.filters["sek"] = format_sek
templates.env.filters["masked"] = mask_personnummer


class LoginRequired(Exception):
    """Raised by page dependencies; answered with a redirect to the login page."""


def csrf_token(request: Request) -> str:
    token = request.session.get("csrf")
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return token


def check_csrf(request: Request, submitted: str) -> None:
    expected = request.session.get("csrf")
    if not isinstance(expected, str) or not secrets.compare_digest(expected, submitted):
        raise HTTPException(403, "Formuläret har gått ut. Ladda om sidan och försök igen.")


def session_company(request: Request) -> int:
    company_id = request.session.get("company_id")
    if not isinstance(company_id, int):
        raise LoginRequired
    return company_id


PageCompany = Annotated[int, Depends(session_company)]


def _render(request: Request, name: str, db: Any, company_id: int | None, **context: Any) -> HTMLResponse:
    context["company_name"] = company_name(db, company_id) if company_id is not None else None
    context["csrf_token"] = csrf_token(request)
    return templates.TemplateResponse(request, name, context)


@router.get("/", response_class=HTMLResponse)
def home(request: Request) -> Response:
    target = "/invoices" if isinstance(request.session.get("company_id"), int) else "/login"
    return RedirectResponse(target, status_code=303)


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, db: Db) -> HTMLResponse:
    return _render(request, "login.html", db, None, error=None, email="")


@router.post("/login", response_class=HTMLResponse)
def login(
    request: Request,
    db: Db,
    email: Annotated[str, Form(max_length=254)],
    password: Annotated[str, Form(max_length=1000)],
    csrf: Annotated[str, Form(max_length=100)],
) -> Response:
    check_csrf(request, csrf)
    found = authenticate_user(db, email, password)
    if found is None:
        response = _render(request, "login.html", db, None, error="Fel e-postadress eller lösenord.", email=email)
        response.status_code = 401
        return response
    user_id, company_id = found
    request.session.clear()
    request.session.update({"user_id": user_id, "company_id": company_id, "csrf": secrets.token_urlsafe(32)})
    return RedirectResponse("/invoices", status_code=303)


@router.post("/logout")
def logout(request: Request, csrf: Annotated[str, Form(max_length=100)]) -> Response:
    check_csrf(request, csrf)
    request.session.clear()
    return RedirectResponse("/login", status_code=303)


@router.get("/customers", response_class=HTMLResponse)
def customer_list(request: Request, db: Db, company_id: PageCompany) -> HTMLResponse:
    return _render(
        request, "customers.html", db, company_id, customers=customers.list_customers(db, company_id, limit=500)
    )


@router.get("/articles", response_class=HTMLResponse)
def article_list(request: Request, db: Db, company_id: PageCompany) -> HTMLResponse:
    return _render(request, "articles.html", db, company_id, articles=articles.list_articles(db, company_id, limit=500))


@router.get("/invoices", response_class=HTMLResponse)
def invoice_list(
    request: Request, db: Db, company_id: PageCompany, status: InvoiceStatus | None = None
) -> HTMLResponse:
    found = invoices.list_invoices(db, company_id, status, limit=500)
    return _render(
        request, "invoices.html", db, company_id, invoices=found, status=status, statuses=list(InvoiceStatus)
    )


@router.get("/invoices/{invoice_id}", response_class=HTMLResponse)
def invoice_page(request: Request, db: Db, company_id: PageCompany, invoice_id: int) -> HTMLResponse:
    if not 1 <= invoice_id <= MAX_ID:
        raise HTTPException(404, "Fakturan finns inte.")
    invoice = invoices.get_invoice(db, company_id, invoice_id)
    return _render(
        request, "invoice.html", db, company_id, invoice=invoice, status_label=InvoiceStatus(invoice.status).label
    )
