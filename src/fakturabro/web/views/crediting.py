"""Kreditera: a credit invoice of an approved invoice — all of it, or chosen rows and quantities — with a reason.

The page only translates: the use case (`invoices.credit_invoice`, the same one the REST API calls) checks the
choice against the original and writes the credit draft; the user then approves it like any invoice.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from fakturabro.domain.errors import DomainError
from fakturabro.domain.invoice import InvoiceStatus
from fakturabro.invoicing import invoices
from fakturabro.invoicing.inputs import MAX_ID, CreditInput
from fakturabro.invoicing.views import InvoiceView
from fakturabro.store.database import Database
from fakturabro.web.deps import Db
from fakturabro.web.views.errors import PageRoute
from fakturabro.web.views.forms import FormData, decimal_text, field_errors, text
from fakturabro.web.views.rendering import render
from fakturabro.web.views.session import PageCompany, check_csrf

router = APIRouter(include_in_schema=False, route_class=PageRoute)
Id = Annotated[int, Path(ge=1, le=MAX_ID)]


def can_be_credited(invoice: InvoiceView) -> bool:
    """Approved, not itself a credit invoice, and not already credited in full."""
    return (
        invoice.status != InvoiceStatus.DRAFT.value
        and not invoice.is_credit
        and invoice.totals.to_pay - invoice.credited > 0
    )


@router.get("/invoices/{invoice_id}/credit", response_class=HTMLResponse)
def credit_form(request: Request, db: Db, company_id: PageCompany, invoice_id: Id) -> Response:
    invoice = invoices.get_invoice(db, company_id, invoice_id)
    if not can_be_credited(invoice):
        return RedirectResponse(f"/invoices/{invoice_id}", status_code=303)
    values = {"scope": "all", "reason": "", "rows": {str(i): _qty(row.quantity) for i, row in enumerate(invoice.rows)}}
    return _page(request, invoice, values, {})


@router.post("/invoices/{invoice_id}/credit", response_class=HTMLResponse)
async def create_credit(request: Request, db: Db, company_id: PageCompany, invoice_id: Id) -> Response:
    form = await request.form()
    return await run_in_threadpool(_create, request, db, company_id, invoice_id, form)


def _create(request: Request, db: Database, company_id: int, invoice_id: int, form: FormData) -> Response:
    check_csrf(request, text(form, "csrf"))
    invoice = invoices.get_invoice(db, company_id, invoice_id)
    values = _values(form, invoice)
    errors: dict[str, str] = {}
    try:
        choice = _choice(values, invoice, errors)
        if choice is not None:
            credit = invoices.credit_invoice(db, company_id, invoice_id, choice=choice)
            return RedirectResponse(f"/invoices/{credit.id}/approve", status_code=303)
    except (DomainError, ValidationError) as error:
        errors |= field_errors(error)
    return _page(request, invoice, values, errors, status_code=422)


def _values(form: FormData, invoice: InvoiceView) -> dict[str, Any]:
    rows = {str(i): decimal_text(form, f"qty-{i}") or "" for i in range(len(invoice.rows))}
    chosen = {str(i) for i in range(len(invoice.rows)) if form.get(f"row-{i}") in ("on", "1")}
    return {"scope": text(form, "scope") or "all", "reason": text(form, "reason") or "", "rows": rows, "chosen": chosen}


def _choice(values: dict[str, Any], invoice: InvoiceView, errors: dict[str, str]) -> CreditInput | None:
    """The form as the use case's input; None (with ``errors``) when the form itself is incomplete."""
    if not values["reason"]:
        errors["reason"] = "Skriv varför fakturan krediteras (det står på kreditfakturan)."
    if values["scope"] == "all":
        return None if errors else CreditInput(reason=values["reason"])
    chosen: list[dict[str, Any]] = []
    for position in sorted(values["chosen"], key=int):
        try:
            quantity = Decimal(values["rows"][position])
        except InvalidOperation:
            errors[f"rows.{position}"] = "Skriv antalet som ska krediteras, t.ex. 2 eller 1,5."
            continue
        chosen.append({"position": int(position), "quantity": quantity})
    if not chosen and not any(key.startswith("rows.") for key in errors):
        errors["rows"] = "Välj minst en rad att kreditera."
    if errors:
        return None
    try:
        return CreditInput.model_validate({"rows": chosen, "reason": values["reason"]})
    except ValidationError as error:
        for item in error.errors():
            loc = item["loc"]
            position = chosen[int(loc[1])]["position"] if len(loc) > 1 and loc[0] == "rows" else None
            key = f"rows.{position}" if position is not None else ".".join(str(p) for p in loc)
            errors[key] = "Antalet måste vara större än 0 och ha högst tre decimaler."
        return None


def _page(
    request: Request, invoice: InvoiceView, values: dict[str, Any], errors: dict[str, str], *, status_code: int = 200
) -> HTMLResponse:
    # The use case names rows by their index among the chosen ones; show such errors on the row they are about.
    chosen = sorted(values.get("chosen", set()), key=int)
    shown: dict[str, str] = {}
    for key, message in errors.items():
        parts = key.split(".")
        if (
            values["scope"] == "rows"
            and len(parts) >= 2
            and parts[0] == "rows"
            and parts[1].isdigit()
            and len(parts) > 2
        ):
            index = int(parts[1])
            shown[f"rows.{chosen[index]}" if index < len(chosen) else "rows"] = message
        else:
            shown[key] = message
    context = {"invoice": invoice, "values": values, "errors": shown}
    return render(request, "invoice_credit.html", context, status_code=status_code)


def _qty(quantity: Decimal) -> str:
    return f"{quantity.normalize():f}".replace(".", ",")
