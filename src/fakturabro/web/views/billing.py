"""Fakturering → Import/Export: "Importera betalningar" and "Exportera alla väntande".

The import runs while the button shows its progress (htmx swaps the result in when done); it ends with the seed's
message, and the invoices it found paid are under the tab Betalade.
"""

from __future__ import annotations

from typing import Annotated

import structlog
from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from fakturabro.domain.errors import Conflict
from fakturabro.domain.invoice import InvoiceStatus
from fakturabro.invoicing import invoices
from fakturabro.sync.connection import connection_status
from fakturabro.sync.payments import service
from fakturabro.visma.errors import VismaError
from fakturabro.web.deps import ContainerDep
from fakturabro.web.views import exporting
from fakturabro.web.views.errors import PageRoute
from fakturabro.web.views.rendering import is_htmx, render
from fakturabro.web.views.session import PageCompany, check_csrf
from fakturabro.web.views.visma_state import export_states

log = structlog.get_logger(__name__)
router = APIRouter(include_in_schema=False, route_class=PageRoute)
Csrf = Annotated[str | None, Form(max_length=100)]


@router.get("/billing", response_class=HTMLResponse)
def billing_page(request: Request, container: ContainerDep, company_id: PageCompany) -> HTMLResponse:
    return render(request, "billing.html", _context(container, company_id))


@router.post("/billing/import-payments", response_class=HTMLResponse)
def import_payments(request: Request, container: ContainerDep, company_id: PageCompany, csrf: Csrf = None) -> Response:
    check_csrf(request, csrf)
    result: dict[str, object]
    try:
        outcome = service.import_payments_for(container, company_id, trigger="web")
        result = {"ok": True, "message": outcome.message, "paid": outcome.paid}
    except Conflict as conflict:
        result = {"ok": False, "message": conflict.message}
    except VismaError as error:
        log.warning("payments.import_failed", company_id=company_id, error=type(error).__name__)
        result = {
            "ok": False,
            "message": "Visma eEkonomi svarade inte som väntat. Inget är registrerat dubbelt; försök igen snart.",
        }
    context = {**_context(container, company_id), "import_result": result}
    return render(request, "billing.html", context, block="import_result" if is_htmx(request) else None)


@router.post("/billing/export-pending", response_class=HTMLResponse)
def export_pending(request: Request, container: ContainerDep, company_id: PageCompany, csrf: Csrf = None) -> Response:
    check_csrf(request, csrf)
    count, message = exporting.export_all_pending(company_id)
    context = {**_context(container, company_id), "export_result": {"ok": count > 0, "message": message}}
    if is_htmx(request):
        return render(request, "billing.html", context, block="export_section")
    return render(request, "billing.html", context)


@router.get("/billing/export", include_in_schema=False)
def export_redirect() -> RedirectResponse:
    return RedirectResponse("/billing", status_code=303)


def _context(container: ContainerDep, company_id: int) -> dict[str, object]:
    db = container.db
    approved = invoices.list_invoices(db, company_id, InvoiceStatus.APPROVED, limit=500)
    exports = export_states(db, company_id, [invoice.id for invoice in approved])
    pending = [i for i in approved if exports.get(i.id) is None or exports[i.id].state != "exported"]
    return {
        "status": connection_status(db, company_id),
        "runs": service.list_runs(db, company_id, limit=5),
        "deviations": service.list_deviations(db, company_id, limit=20),
        "pending": pending,
        "exports": exports,
        "import_result": None,
        "export_result": None,
    }
