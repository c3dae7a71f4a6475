"""Kunder: the list with search, create and edit, and live validation of identity numbers while typing.

The customer type follows the org-number rule (the seed's "Momsen stämmer inte"): with an organisationsnummer the
customer is a company (Företag), without one a private person (Privatperson).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from fakturabro.domain.customer import customer_kind
from fakturabro.domain.errors import DomainError
from fakturabro.domain.identity import (
    InvalidIdentityNumber,
    normalize_orgnr,
    normalize_personnummer,
    normalize_vat_number,
)
from fakturabro.invoicing import customers, search
from fakturabro.invoicing.inputs import MAX_ID, CustomerInput
from fakturabro.invoicing.views import CustomerView
from fakturabro.store.database import Database
from fakturabro.store.invoice_search import InvoiceFilter
from fakturabro.web.deps import Db
from fakturabro.web.views.errors import PageRoute
from fakturabro.web.views.forms import FormData, checked, field_errors, text
from fakturabro.web.views.rendering import is_htmx, render
from fakturabro.web.views.session import PageCompany, check_csrf

router = APIRouter(include_in_schema=False, route_class=PageRoute)
Id = Annotated[int, Path(ge=1, le=MAX_ID)]
IdentityField = Literal["org_number", "personal_number", "vat_number"]
_FIELDS = (
    "customer_number",
    "name",
    "org_number",
    "personal_number",
    "vat_number",
    "email",
    "einvoice_address",
    "phone",
    "address_line1",
    "address_line2",
    "postal_code",
    "city",
)


@router.get("/customers", response_class=HTMLResponse)
def customer_list(
    request: Request, db: Db, company_id: PageCompany, q: Annotated[str, Query(max_length=100)] = ""
) -> HTMLResponse:
    found = customers.list_customers(db, company_id, q.strip() or None, limit=500)
    block = "results" if is_htmx(request) else None
    return render(request, "customers.html", {"customers": found, "q": q}, block=block)


@router.get("/customers/new", response_class=HTMLResponse)
def new_customer(request: Request, company_id: PageCompany) -> HTMLResponse:
    return _form(request, None, {"country_code": "SE"}, {})


@router.post("/customers/new", response_class=HTMLResponse)
async def create_customer(request: Request, db: Db, company_id: PageCompany) -> Response:
    form = await request.form()
    return await run_in_threadpool(_create_customer, request, db, company_id, form)


def _create_customer(request: Request, db: Database, company_id: int, form: FormData) -> Response:
    check_csrf(request, text(form, "csrf"))
    try:
        created = customers.create_customer(db, company_id, _input(form))
    except (DomainError, ValidationError) as error:
        return _form(request, None, _values(form), field_errors(error), status_code=422)
    return RedirectResponse(f"/customers?sparad={created.id}", status_code=303)


@router.get("/customers/{customer_id}/edit", response_class=HTMLResponse)
def edit_customer(request: Request, db: Db, company_id: PageCompany, customer_id: Id) -> HTMLResponse:
    customer = customers.get_customer(db, company_id, customer_id)
    return _form(request, customer, customer.model_dump(), {})


@router.post("/customers/{customer_id}/edit", response_class=HTMLResponse)
async def update_customer(request: Request, db: Db, company_id: PageCompany, customer_id: Id) -> Response:
    form = await request.form()
    return await run_in_threadpool(_update_customer, request, db, company_id, customer_id, form)


def _update_customer(request: Request, db: Database, company_id: int, customer_id: int, form: FormData) -> Response:
    check_csrf(request, text(form, "csrf"))
    customer = customers.get_customer(db, company_id, customer_id)
    try:
        customers.update_customer(db, company_id, customer_id, _input(form))
    except (DomainError, ValidationError) as error:
        return _form(request, customer, _values(form), field_errors(error), status_code=422)
    return RedirectResponse(f"/customers/{customer_id}?sparad=1", status_code=303)


@router.get("/customers/{customer_id}", response_class=HTMLResponse)
def customer_page(request: Request, db: Db, company_id: PageCompany, customer_id: Id) -> HTMLResponse:
    """One customer: details, what they still owe (and what of it is overdue), their invoices a page at a time."""
    customer = customers.get_customer(db, company_id, customer_id)
    page = request.query_params.get("sida", "1")
    wanted = InvoiceFilter(customer_id=customer_id)
    found = search.search_invoices(db, company_id, wanted, int(page) if page.isdigit() and len(page) < 6 else 1)
    context = {
        "customer": customer,
        "found": found,
        "open": search.open_amounts(db, company_id, customer_id),
        "filters": {"query": ""},
        "saved": request.query_params.get("sparad") == "1",
    }
    return render(request, "customer.html", context)


@router.get("/customers/validate/{field}", response_class=HTMLResponse)
def validate_identity(
    request: Request,
    company_id: PageCompany,
    field: IdentityField,
    org_number: Annotated[str, Query(max_length=50)] = "",
    personal_number: Annotated[str, Query(max_length=50)] = "",
    vat_number: Annotated[str, Query(max_length=50)] = "",
) -> HTMLResponse:
    """Live check of one identity field while the user types (htmx); the number itself is never echoed."""
    value = {"org_number": org_number, "personal_number": personal_number, "vat_number": vat_number}[field]
    ok, message = _check(field, value)
    context = {"field": field, "ok": ok, "message": message, "kind": customer_kind(org_number.strip() or None)}
    return render(request, "customer_validation.html", context)


def _check(field: IdentityField, value: str) -> tuple[bool | None, str]:
    if not value.strip():
        empty = {
            "org_number": "Inget organisationsnummer: kunden blir en privatperson.",
            "personal_number": "Personnummer behövs för ROT- och RUT-avdrag.",
            "vat_number": "Behövs för omvänd byggmoms.",
        }
        return None, empty[field]
    try:
        if field == "org_number":
            return True, f"Giltigt organisationsnummer ({normalize_orgnr(value)}): kunden är ett företag."
        if field == "personal_number":
            normalize_personnummer(value)
            return True, "Giltigt personnummer."
        return True, f"Giltigt momsregistreringsnummer ({normalize_vat_number(value)})."
    except InvalidIdentityNumber as error:
        return False, str(error)


def _values(form: FormData) -> dict[str, Any]:
    values: dict[str, Any] = {name: form.get(name, "") for name in _FIELDS}
    values["reverse_charge"] = checked(form, "reverse_charge")
    values["country_code"] = text(form, "country_code") or "SE"
    return values


def _input(form: FormData) -> CustomerInput:
    data: dict[str, Any] = {name: text(form, name) for name in _FIELDS}
    data["name"] = data["name"] or ""
    data["reverse_charge"] = checked(form, "reverse_charge")
    data["country_code"] = (text(form, "country_code") or "SE").upper()
    return CustomerInput.model_validate(data)


def _form(
    request: Request,
    customer: CustomerView | None,
    values: dict[str, Any],
    errors: dict[str, str],
    *,
    status_code: int = 200,
) -> HTMLResponse:
    kind = customer_kind(str(values.get("org_number") or "").strip() or None)
    context = {"customer": customer, "values": values, "errors": errors, "kind": kind}
    return render(request, "customer_form.html", context, status_code=status_code)
