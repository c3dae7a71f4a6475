"""The invoice document over HTTP: the PDF file for the API and the web app, and the printable page; all three
render the one document ``fakturabro.documents`` composes."""

from __future__ import annotations

import base64
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request, Response
from fastapi.responses import HTMLResponse

from fakturabro.documents import InvoiceDocument, invoice_document, invoice_pdf_filename, render_pdf
from fakturabro.invoicing.inputs import MAX_ID
from fakturabro.web.deps import CompanyId, Db
from fakturabro.web.views.errors import PageRoute
from fakturabro.web.views.rendering import render
from fakturabro.web.views.session import PageCompany

api_router = APIRouter(prefix="/api/v1", tags=["invoices"])
page_router = APIRouter(include_in_schema=False, route_class=PageRoute)
Id = Annotated[int, Path(ge=1, le=MAX_ID)]
PDF_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {"content": {"application/pdf": {}}, "description": "The invoice as an A4 PDF"}
}


@api_router.get("/invoices/{invoice_id}/pdf", response_class=Response, responses=PDF_RESPONSE)
def invoice_pdf(invoice_id: Id, db: Db, company_id: CompanyId) -> Response:
    """The invoice as a PDF, as the customer receives it (a draft says "Utkast" and has no number)."""
    return _pdf(invoice_document(db, company_id, invoice_id))


@page_router.get("/invoices/{invoice_id}/pdf")
def download_invoice_pdf(db: Db, company_id: PageCompany, invoice_id: Id) -> Response:
    return _pdf(invoice_document(db, company_id, invoice_id))


@page_router.get("/invoices/{invoice_id}/print", response_class=HTMLResponse)
def print_invoice(request: Request, db: Db, company_id: PageCompany, invoice_id: Id) -> HTMLResponse:
    document = invoice_document(db, company_id, invoice_id)
    logo = None
    if document.logo is not None:
        logo = f"data:{document.logo.content_type};base64,{base64.b64encode(document.logo.data).decode()}"
    return render(request, "invoice_print.html", {"document": document, "invoice_id": invoice_id, "logo": logo})


def _pdf(document: InvoiceDocument) -> Response:
    filename = invoice_pdf_filename(document.number)
    return Response(
        render_pdf(document),
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
