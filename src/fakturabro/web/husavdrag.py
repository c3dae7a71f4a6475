"""Husavdrag: the claims' REST API (``/api/v1/husavdrag``) and the page (``/husavdrag``).

REST (bearer token): ``POST /claims`` makes a claim (201, or 422 with the reason per invoice), ``GET /claims`` and
``/claims/{id}``, ``GET /claims/{id}/file`` the XML for Skatteverket, ``GET /claimable`` the invoices and why each
can or cannot be claimed here, ``PUT /settings`` where the company claims for invoices exported to Visma.
Decisions: ``POST /claims/{id}/decision`` (per invoice of the claim), ``POST /invoices/{id}/decision`` (one
invoice, also one claimed in Visma), ``POST /decision-files`` (Skatteverket's JSON decision file as the body);
``POST /invoices/{id}/invoice-back`` makes the confirmed invoice for the refused part; ``GET /invoices/{id}/history``.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from fakturabro.domain.errors import ValidationFailed
from fakturabro.domain.husavdrag import HusavdragKind
from fakturabro.husavdrag import claims, decisions, overview
from fakturabro.husavdrag.overview import OverviewView
from fakturabro.husavdrag.views import ClaimableInvoiceView, ClaimStateView, ClaimView, HistoryEntryView
from fakturabro.invoicing.inputs import MAX_ID
from fakturabro.invoicing.views import InvoiceView
from fakturabro.invoicing.views_builder import swedish_today
from fakturabro.web.deps import CompanyId, ContainerDep, Db

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


Whole = Annotated[Decimal, Field(ge=0, le=Decimal(10) ** 11, max_digits=14, decimal_places=2)]


class DecisionFields(BaseModel):
    model_config = ConfigDict(extra="forbid")

    approved_amount: Whole
    buyers: list[Whole] | None = Field(None, max_length=10, description="Approved per buyer, in the invoice's order")
    reason: str | None = Field(None, max_length=400)


class InvoiceDecisionInput(DecisionFields):
    invoice_id: Annotated[int, Field(ge=1, le=MAX_ID)]


class ClaimDecisionInput(BaseModel):
    model_config = ConfigDict(extra="forbid")

    decided_at: date
    invoices: list[InvoiceDecisionInput] = Field(min_length=1, max_length=1000)


class OneDecisionInput(DecisionFields):
    decided_at: date


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


def _entry(invoice_id: int, fields: DecisionFields) -> decisions.DecisionEntry:
    buyers = tuple(fields.buyers) if fields.buyers is not None else None
    return decisions.DecisionEntry(invoice_id, fields.approved_amount, buyers, fields.reason)


@router.post("/claims/{claim_id}/decision")
def decide_claim(claim_id: Id, body: ClaimDecisionInput, db: Db, company_id: CompanyId) -> list[ClaimStateView]:
    entries = [_entry(item.invoice_id, item) for item in body.invoices]
    return decisions.record_decisions(db, company_id, entries, body.decided_at, claim_id)


@router.post("/invoices/{invoice_id}/decision")
def decide_invoice(invoice_id: Id, body: OneDecisionInput, db: Db, company_id: CompanyId) -> ClaimStateView:
    return decisions.record_decisions(db, company_id, [_entry(invoice_id, body)], body.decided_at)[0]


@router.post("/decision-files", openapi_extra={"requestBody": {"content": {"application/json": {}}}})
async def import_decision_file(
    request: Request, db: Db, company_id: CompanyId, decided_at: date | None = None
) -> list[ClaimStateView]:
    """Skatteverket's decision file ("Rot och Rut - Beslut …json") as the request body."""
    data = await _body(request)
    return decisions.import_decision_file(db, company_id, data, decided_at or db.clock().date())


async def _body(request: Request) -> bytes:
    data = b""
    async for chunk in request.stream():
        data += chunk
        if len(data) > decisions.MAX_DECISION_FILE:
            raise ValidationFailed.single(("file",), "Filen är för stor för en beslutsfil.", "too_large")
    return data


@router.post("/invoices/{invoice_id}/invoice-back", status_code=201)
def invoice_back(invoice_id: Id, container: ContainerDep, company_id: CompanyId) -> InvoiceView:
    """Confirm: the invoice to the buyer for what Skatteverket refused (approved at once, exported like any)."""
    return decisions.invoice_back(container.db, company_id, invoice_id, container.on_approved)


@router.get("/invoices/{invoice_id}/history")
def invoice_history(invoice_id: Id, db: Db, company_id: CompanyId) -> list[HistoryEntryView]:
    return decisions.history(db, company_id, invoice_id)


@router.get("/overview")
def husavdrag_overview(
    db: Db, company_id: CompanyId, year: Annotated[int | None, Query(ge=2021, le=2099)] = None
) -> OverviewView:
    """Per buyer the reduction used and left under the year's caps, and the claims by state."""
    return overview.overview(db, company_id, year or swedish_today(db.clock()).year)
