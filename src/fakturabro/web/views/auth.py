"""Logging in and out."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from fakturabro.invoicing.companies import authenticate_user
from fakturabro.web.deps import Db
from fakturabro.web.views.errors import PageRoute
from fakturabro.web.views.rendering import render
from fakturabro.web.views.session import (
    LoginLimiter,
    check_csrf,
    end_current_session,
    logged_in_company,
    login_limiter,
    start_session,
)

router = APIRouter(include_in_schema=False, route_class=PageRoute)
Limiter = Annotated[LoginLimiter, Depends(login_limiter)]


@router.get("/", response_class=HTMLResponse)
def home(request: Request) -> Response:
    target = "/invoices" if logged_in_company(request) is not None else "/login"
    return RedirectResponse(target, status_code=303)


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request) -> HTMLResponse:
    return render(request, "login.html", {"error": None, "email": ""})


@router.post("/login", response_class=HTMLResponse)
def login(
    request: Request,
    db: Db,
    limiter: Limiter,
    email: Annotated[str, Form(max_length=254)],
    password: Annotated[str, Form(max_length=1000)],
    csrf: Annotated[str, Form(max_length=100)],
) -> Response:
    check_csrf(request, csrf)
    keys = (f"ip:{request.client.host if request.client else '-'}", f"email:{email.strip().lower()}")
    wait = limiter.retry_after(*keys)
    if wait:
        minutes = max(1, round(wait / 60))
        error = f"För många misslyckade inloggningar. Vänta {minutes} min och försök igen."
        response = render(request, "login.html", {"error": error, "email": email}, status_code=429)
        response.headers["Retry-After"] = str(wait)
        return response
    found = authenticate_user(db, email, password)
    if found is None:
        limiter.failed(*keys)
        return render(
            request, "login.html", {"error": "Fel e-postadress eller lösenord.", "email": email}, status_code=401
        )
    limiter.succeeded(*keys)
    start_session(request, *found)
    return RedirectResponse("/invoices", status_code=303)


@router.post("/logout")
def logout(request: Request, csrf: Annotated[str | None, Form(max_length=100)] = None) -> Response:
    check_csrf(request, csrf)
    end_current_session(request)
    return RedirectResponse("/login", status_code=303)
