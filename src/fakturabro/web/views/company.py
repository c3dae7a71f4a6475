"""Inställningar → Företaget: the details every invoice carries, the logo, and the next invoice number.

The same use cases as ``PUT /api/v1/company`` and ``/api/v1/company/logo``: a bad value is shown at its field in
Swedish and nothing is saved.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from fakturabro.documents.logo import MAX_LOGO_BYTES, checked_logo, oversized_logo
from fakturabro.domain.errors import DomainError, ValidationFailed
from fakturabro.domain.ocr import OcrMode
from fakturabro.invoicing.company_settings import (
    CompanySettingsInput,
    CompanySettingsView,
    company_logo,
    company_settings_errors,
    get_company_settings,
    missing_details,
    remove_logo,
    set_logo,
    update_company_settings,
)
from fakturabro.store.database import Database
from fakturabro.web.api_company import logo_response
from fakturabro.web.deps import Db
from fakturabro.web.views.errors import PageRoute
from fakturabro.web.views.forms import FormData, checked, field_errors, text
from fakturabro.web.views.rendering import render
from fakturabro.web.views.session import PageCompany, check_csrf

router = APIRouter(include_in_schema=False, route_class=PageRoute)

OCR_MODES = {
    OcrMode.LUHN.value: "Med kontrollsiffra",
    OcrMode.LUHN_LENGTH.value: "Med längd- och kontrollsiffra",
}
TEXT_FIELDS = [
    "name",
    "org_number",
    "vat_number",
    "address_line1",
    "address_line2",
    "postal_code",
    "city",
    "phone",
    "email",
    "website",
    "bankgiro",
    "plusgiro",
    "iban",
    "bic",
    "late_interest_text",
    "ocr_mode",
]


@router.get("/company")
def company_shortcut() -> RedirectResponse:
    return RedirectResponse("/settings/company", status_code=303)


@router.get("/settings/company", response_class=HTMLResponse)
def company_page(request: Request, db: Db, company_id: PageCompany) -> HTMLResponse:
    settings = get_company_settings(db, company_id)
    return _page(request, db, company_id, settings, _values(settings), {}, saved=request.query_params.get("sparad"))


@router.post("/settings/company", response_class=HTMLResponse)
async def save_company(request: Request, db: Db, company_id: PageCompany) -> Response:
    form = await request.form()
    return await run_in_threadpool(_save_company, request, db, company_id, form)


def _save_company(request: Request, db: Database, company_id: int, form: FormData) -> Response:
    check_csrf(request, text(form, "csrf"))
    try:
        update_company_settings(db, company_id, _input(form))
    except ValidationError as error:
        return _refused(request, db, company_id, form, _all_errors(db, company_id, form, field_errors(error)))
    except DomainError as error:
        return _refused(request, db, company_id, form, field_errors(error))
    return RedirectResponse("/settings/company?sparad=uppgifter", status_code=303)


def _all_errors(db: Database, company_id: int, form: FormData, unreadable: dict[str, str]) -> dict[str, str]:
    """The fields that could not be read, and what is wrong with the rest, so every problem shows at once."""
    readable = _input(form, skip=set(unreadable), name=get_company_settings(db, company_id).name)
    checked = field_errors(ValidationFailed(company_settings_errors(db, company_id, readable)))
    return {**checked, **unreadable}


def _refused(request: Request, db: Database, company_id: int, form: FormData, errors: dict[str, str]) -> HTMLResponse:
    settings = get_company_settings(db, company_id)
    return _page(request, db, company_id, settings, dict(form), errors, status_code=422)


@router.post("/settings/company/logo", response_class=HTMLResponse)
async def upload_logo(request: Request, db: Db, company_id: PageCompany) -> Response:
    try:
        # A file larger than the request limit is refused while the form is read; it belongs at the logo field.
        form = await request.form(max_files=1, max_fields=5)
    except HTTPException as error:
        if error.status_code != 413:
            raise
        errors = field_errors(oversized_logo(None))
        return await run_in_threadpool(_page_with_errors, request, db, company_id, errors)
    check_csrf(request, text(form, "csrf"))
    upload = form.get("logo")
    if not isinstance(upload, UploadFile) or not upload.filename:
        errors = {"logo": "Välj en bild att ladda upp (PNG, JPEG eller SVG)."}
        return await run_in_threadpool(_page_with_errors, request, db, company_id, errors)
    data = await upload.read(MAX_LOGO_BYTES + 1)
    try:
        logo = checked_logo(data)
    except DomainError as error:
        return await run_in_threadpool(_page_with_errors, request, db, company_id, field_errors(error))
    await run_in_threadpool(set_logo, db, company_id, logo.data, logo.content_type)
    return RedirectResponse("/settings/company?sparad=logotyp#logotyp", status_code=303)


@router.post("/settings/company/logo/remove")
async def delete_logo(request: Request, db: Db, company_id: PageCompany) -> Response:
    form = await request.form()
    check_csrf(request, text(form, "csrf"))
    await run_in_threadpool(remove_logo, db, company_id)
    return RedirectResponse("/settings/company?sparad=logotyp-borttagen#logotyp", status_code=303)


@router.get("/settings/company/logo")
def logo(db: Db, company_id: PageCompany) -> Response:
    return logo_response(company_logo(db, company_id))


def _input(form: FormData, *, skip: Collection[str] = (), name: str = "") -> CompanySettingsInput:
    """The form as the use case's input; fields in ``skip`` (already known to be unreadable) take their defaults."""
    data: dict[str, Any] = {field: text(form, field) for field in TEXT_FIELDS}
    data["name"] = data["name"] or ""
    data["ocr_mode"] = data["ocr_mode"] or OcrMode.LUHN.value
    data["f_skatt"] = checked(form, "f_skatt")
    data["payment_terms_days"] = text(form, "payment_terms_days") or "0"
    data["next_invoice_number"] = text(form, "next_invoice_number")
    for field in set(skip) & data.keys():
        del data[field]
    if "name" in skip:
        data["name"] = name
    return CompanySettingsInput.model_validate(data)


def _values(settings: CompanySettingsView) -> dict[str, Any]:
    values = settings.model_dump()
    values["ocr_mode"] = settings.ocr_mode.value
    return values


def _page_with_errors(request: Request, db: Database, company_id: int, errors: dict[str, str]) -> HTMLResponse:
    settings = get_company_settings(db, company_id)
    return _page(request, db, company_id, settings, _values(settings), errors, status_code=422)


def _page(
    request: Request,
    db: Database,
    company_id: int,
    settings: CompanySettingsView,
    values: dict[str, Any],
    errors: dict[str, str],
    *,
    saved: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    missing, missing_for_husavdrag = missing_details(db, company_id)
    context = {
        "settings": settings,
        "values": values,
        "errors": errors,
        "saved": saved,
        "missing": missing,
        "missing_for_husavdrag": missing_for_husavdrag,
        "ocr_modes": OCR_MODES,
        "max_logo_kb": MAX_LOGO_BYTES // 1024,
    }
    return render(request, "company.html", context, status_code=status_code)
