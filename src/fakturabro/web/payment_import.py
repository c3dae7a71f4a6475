"""`/api/v1/payments`: import payments from Visma on demand, and what the imports found."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from fakturabro.sync.payments import service
from fakturabro.visma.errors import VismaError
from fakturabro.web.deps import CompanyId, ContainerDep, Db

router = APIRouter(prefix="/api/v1/payments", tags=["payments"])

Limit = Annotated[int, Query(ge=1, le=500)]


@router.post("/import", response_model=None)
def import_payments(container: ContainerDep, company_id: CompanyId) -> dict[str, Any] | JSONResponse:
    """Read what changed in Visma since the last import and register it: `paid`, `partially_paid`,
    `deviations` (new ones), `api_calls`, and the Swedish `message`. 409 when not connected or already running."""
    try:
        result = service.import_payments_for(container, company_id, trigger="api")
    except VismaError as error:
        detail = {
            "loc": [],
            "msg": "Visma eEkonomi svarade inte som väntat; inget har registrerats dubbelt, försök igen om en stund.",
            "type": type(error).__name__,
        }
        return JSONResponse({"detail": [detail]}, status_code=502)
    return result.as_json()


@router.get("/deviations")
def list_deviations(db: Db, company_id: CompanyId, limit: Limit = 100) -> list[service.DeviationView]:
    return service.list_deviations(db, company_id, limit)


@router.get("/imports")
def list_imports(db: Db, company_id: CompanyId, limit: Limit = 20) -> list[service.RunView]:
    return service.list_runs(db, company_id, limit)
