"""`/api/v1/company`: the token's company and its details for invoices (Inställningar → Företaget)."""

from __future__ import annotations

from fastapi import APIRouter

from fakturabro.invoicing.company_settings import (
    CompanySettingsInput,
    CompanySettingsView,
    get_company_settings,
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
