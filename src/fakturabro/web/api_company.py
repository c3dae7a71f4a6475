"""`/api/v1/company`: the token's company and its details for invoices (Inställningar → Företaget)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from starlette.concurrency import run_in_threadpool

from fakturabro.documents.logo import LOGO_TYPES, MAX_LOGO_BYTES, check_logo_size, checked_logo
from fakturabro.domain.errors import NotFound
from fakturabro.invoicing.company_settings import (
    CompanySettingsInput,
    CompanySettingsView,
    company_logo,
    get_company_settings,
    remove_logo,
    set_logo,
    update_company_settings,
)
from fakturabro.web.deps import CompanyId, Db

router = APIRouter(prefix="/api/v1", tags=["company"])


@router.get("/company")
def company(db: Db, company_id: CompanyId) -> CompanySettingsView:
    """The company, with what its invoices carry and the number its next invoice gets."""
    return get_company_settings(db, company_id)


@router.put("/company")
def update_company(body: CompanySettingsInput, db: Db, company_id: CompanyId) -> CompanySettingsView:
    """Replace the company's details; every bad field gets its Swedish message and nothing is saved."""
    return update_company_settings(db, company_id, body)


LOGO_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "description": f"The picture's bytes: PNG, JPEG or SVG, at most {MAX_LOGO_BYTES // 1024} kB",
        "content": {content_type: {"schema": {"type": "string", "format": "binary"}} for content_type in LOGO_TYPES},
    }
}
# Even a sanitised SVG is served as an inert document: no scripts, no fetches, never sniffed into HTML.
LOGO_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; sandbox",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "private, no-cache",
}
LOGO_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {"content": {content_type: {} for content_type in LOGO_TYPES}, "description": "The stored logo"},
    404: {"description": "The company has no logo"},
}


@router.put("/company/logo", openapi_extra=LOGO_BODY)
async def upload_logo(request: Request, db: Db, company_id: CompanyId) -> CompanySettingsView:
    """Replace the logo on the company's invoices. The type is read from the bytes; an SVG is kept only as a
    picture (nothing that runs or fetches), and one with a script is refused."""
    logo = checked_logo(await read_logo(request))
    return await run_in_threadpool(set_logo, db, company_id, logo.data, logo.content_type)


@router.get("/company/logo", response_class=Response, responses=LOGO_RESPONSE)
def logo(db: Db, company_id: CompanyId) -> Response:
    return logo_response(company_logo(db, company_id))


@router.delete("/company/logo")
def delete_logo(db: Db, company_id: CompanyId) -> CompanySettingsView:
    """Invoices from now on have no logo."""
    return remove_logo(db, company_id)


async def read_logo(request: Request) -> bytes:
    """The body, refused at ``logo`` as soon as it is known to be larger than a logo may be."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_LOGO_BYTES:
        check_logo_size(int(declared))
    data = bytearray()
    async for chunk in request.stream():
        data += chunk
        check_logo_size(len(data))
    return bytes(data)


def logo_response(logo: tuple[bytes, str] | None) -> Response:
    """The stored logo, served so that a browser only ever shows it as a picture."""
    if logo is None:
        raise NotFound("Logotypen", "")
    data, content_type = logo
    return Response(data, media_type=content_type, headers=LOGO_HEADERS)
