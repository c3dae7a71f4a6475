"""Husavdrag: the claims' REST API (``/api/v1/husavdrag``) and the page (``/husavdrag``).

REST (bearer token): ``POST /claims`` makes a claim (201, or 422 with the reason per invoice), ``GET /claims`` and
``/claims/{id}``, ``GET /claims/{id}/file`` the XML for Skatteverket, ``GET /claimable`` the invoices and why each
can or cannot be claimed here, ``PUT /settings`` where the company claims for invoices exported to Visma.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from fakturabro.domain.husavdrag import HusavdragKind
from fakturabro.husavdrag import claims
from fakturabro.husavdrag.views import ClaimableInvoiceView, ClaimView
from fakturabro.invoicing.inputs import MAX_ID
from fakturabro.web.deps import CompanyId, Db

API_PATH = "/api/v1/husavdrag"
router = APIRouter(prefix=API_PATH, tags=["husavdrag"])
Id = Annotated[int, Path(ge=1, le=MAX_ID)]


class ClaimInput(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type: HusavdragKind
    invoice_ids: list[Annotated[int, Field(ge=1, le=MAX_ID)]] = Field(min_length=1, max_length=100)


class SettingsInput(BaseModel):
    model_config = ConfigDict(extra="forbid")

    claims_in: str = Field(description="visma | fakturabro", max_length=20)


class SettingsView(BaseModel):
    claims_in: str


@router.post("/claims", status_code=201)
def create_claim(body: ClaimInput, db: Db, company_id: CompanyId) -> ClaimView:
    return claims.create_claim(db, company_id, body.type, body.invoice_ids)


@router.get("/claims")
def list_claims(
    db: Db,
    company_id: CompanyId,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0, le=MAX_ID)] = 0,
) -> list[ClaimView]:
    return claims.list_claims(db, company_id, limit, offset)


@router.get("/claims/{claim_id}")
def get_claim(claim_id: Id, db: Db, company_id: CompanyId) -> ClaimView:
    return claims.get_claim(db, company_id, claim_id)


@router.get("/claims/{claim_id}/file", response_class=Response, responses={200: {"content": {"application/xml": {}}}})
def claim_file(claim_id: Id, db: Db, company_id: CompanyId) -> Response:
    found = claims.claim_file(db, company_id, claim_id)
    return Response(
        found.content,
        media_type="application/xml",
        headers={"Content-Disposition": f'attachment; filename="{found.filename}"'},
    )


@router.get("/claimable")
def claimable(db: Db, company_id: CompanyId, type: HusavdragKind | None = None) -> list[ClaimableInvoiceView]:  # noqa: A002
    return claims.claimable_invoices(db, company_id, type)


@router.get("/settings")
def get_settings(db: Db, company_id: CompanyId) -> SettingsView:
    return SettingsView(claims_in=claims.claims_in(db, company_id))


@router.put("/settings")
def put_settings(body: SettingsInput, db: Db, company_id: CompanyId) -> SettingsView:
    return SettingsView(claims_in=claims.set_claims_in(db, company_id, body.claims_in))
