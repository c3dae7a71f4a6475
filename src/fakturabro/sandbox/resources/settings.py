"""`/companysettings` and `/appstore/status`."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends

from fakturabro.sandbox import spec
from fakturabro.sandbox.deps import StateDep, company_for, paginate
from fakturabro.sandbox.errors import validation_error
from fakturabro.sandbox.state import CompanyState

router = APIRouter(tags=["CompanySettings"])

SalesReader = Annotated[CompanyState, Depends(company_for("ea:sales", "ea:sales_readonly"))]
SalesWriter = Annotated[CompanyState, Depends(company_for("ea:sales"))]
_APPSTORE_SCOPES = (
    "ea:accounting",
    "ea:accounting_readonly",
    "ea:sales",
    "ea:sales_readonly",
    "ea:purchase",
    "ea:purchase_readonly",
)
# The activation status must be readable while the app is inactive: that is how a client finds out.
AppStoreCompany = Annotated[CompanyState, Depends(company_for(*_APPSTORE_SCOPES, require_active_app=False))]
JsonBody = Annotated[dict[str, Any], Body()]


@router.get("/companysettings")
async def get_company_settings(company: SalesReader) -> dict[str, Any]:
    return company.settings


@router.put("/companysettings")
async def put_company_settings(company: SalesWriter, state: StateDep, body: JsonBody) -> dict[str, Any]:
    """Replace the writable settings; read-only ones (e.g. `NextCustomerInvoiceNumber`) keep their value."""
    with state.lock:
        company.settings = {**company.settings, **spec.writable("CompanySettingsApi", body)}
    return company.settings


@router.get("/appstore/status")
async def get_app_status(company: AppStoreCompany, state: StateDep) -> dict[str, Any]:
    return paginate([company.app_status], 1, 50, state.timestamp())


@router.put("/appstore/status")
async def put_app_status(company: AppStoreCompany, state: StateDep, body: JsonBody) -> dict[str, Any]:
    if body["ActivationStatus"] not in (0, 1):
        raise validation_error("ActivationStatus must be 0 (Active) or 1 (Inactive).")
    with state.lock:
        company.app_status = {
            **company.app_status,
            "ActivationStatus": body["ActivationStatus"],
            "ModifiedUtc": state.timestamp(),
        }
    return company.app_status
