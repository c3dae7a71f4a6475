"""`/documents/{token}.pdf`: the files Visma hands out links to (`GET /v2/customerinvoices/{id}/pdf`).

Visma's links point at its file storage, outside the API: no bearer token (the unguessable token in the path is
the credential), no rate limit and no injected faults. An unknown or expired token answers a plain 404.
"""

from __future__ import annotations

from fastapi import APIRouter, HTTPException
from fastapi.responses import Response

from fakturabro.sandbox.deps import StateDep
from fakturabro.sandbox.resources.sending import PDF_ROUTE_NAME, pdf_for_token

DOCUMENTS_PREFIX = "/documents"
PDF_PATH_TEMPLATE = f"{DOCUMENTS_PREFIX}/{{token}}.pdf"

router = APIRouter(tags=["sandbox documents"])


@router.get(PDF_PATH_TEMPLATE, name=PDF_ROUTE_NAME)
async def invoice_pdf(token: str, state: StateDep) -> Response:
    document = pdf_for_token(state, token)
    if document is None:
        raise HTTPException(404, "Unknown or expired document link")
    return Response(
        document,
        media_type="application/pdf",
        headers={"Content-Disposition": 'inline; filename="faktura.pdf"', "Cache-Control": "no-store"},
    )
