"""Fakturor: the list in tabs, the draft editor with live totals, approval with its number, the invoice with its
export badge and history, and the printable invoice.

Approval never waits on Visma: it commits, the export runs in the background, and the badge on the page polls
its own fragment until the export reaches a final state.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, Literal

import structlog
from fastapi import APIRouter, Form, HTTPException, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from fakturabro.domain.errors import DomainError
from fakturabro.domain.identity import format_personnummer
from fakturabro.domain.invoice import InvoiceStatus
from fakturabro.invoicing import articles, customers, invoices, search
from fakturabro.invoicing.inputs import MAX_ID
from fakturabro.invoicing.views import ArticleView, CustomerView, InvoiceView
from fakturabro.store.database import Database
from fakturabro.store.series import INVOICE_SERIES, next_value
from fakturabro.web.deps import ContainerDep, Db
from fakturabro.web.views import crediting, exporting, invoice_filters
from fakturabro.web.views.delivery import delivery_context
from fakturabro.web.views.errors import PageRoute
from fakturabro.web.views.forms import FormData, text
from fakturabro.web.views.invoice_form import (
    EditorValues,
    blank_row,
    editor_errors,
    fill_from_article,
    from_form,
    from_invoice,
    preview,
    to_input,
    with_blank_rows,
)
from fakturabro.web.views.labels import HOUSE_WORK_KINDS, HOUSE_WORK_TYPES, KINDS
from fakturabro.web.views.rendering import is_htmx, render
from fakturabro.web.views.session import PageCompany, check_csrf
from fakturabro.web.views.visma_state import ExportInfo, export_history, export_state, export_states

log = structlog.get_logger(__name__)
router = APIRouter(include_in_schema=False, route_class=PageRoute)
Id = Annotated[int, Path(ge=1, le=MAX_ID)]
Tab = Literal["alla", "utkast", "godkanda", "betalade"]
Csrf = Annotated[str | None, Form(max_length=100)]

TABS: dict[str, tuple[str, tuple[InvoiceStatus, ...]]] = {
    "alla": ("Alla", ()),
    "utkast": ("Utkast", (InvoiceStatus.DRAFT,)),
    "godkanda": ("Godkända", (InvoiceStatus.APPROVED, InvoiceStatus.PARTIALLY_PAID)),
    "betalade": ("Betalade", (InvoiceStatus.PAID,)),
}


# --- the list ------------------------------------------------------------------------------------------------


def _tab_counts(by_status: Mapping[str, int]) -> dict[str, int]:
    """Each tab's count; "Alla" (no statuses of its own) counts every invoice, not none."""
    return {
        key: sum(by_status.values()) if not statuses else sum(by_status.get(s.value, 0) for s in statuses)
        for key, (_, statuses) in TABS.items()
    }


@router.get("/invoices", response_class=HTMLResponse)
def invoice_list(request: Request, db: Db, company_id: PageCompany, tab: Tab = "alla") -> HTMLResponse:
    """The list: tabs by status, and the search box and filters (``invoice_filters``), a page at a time."""
    _, statuses = TABS[tab]
    wanted, problems = invoice_filters.from_query(request.query_params, tuple(s.value for s in statuses))
    found = search.search_invoices(db, company_id, wanted, invoice_filters.page_number(request.query_params))
    exports = export_states(db, company_id, [i.id for i in found.invoices if i.status != InvoiceStatus.DRAFT])
    context = {
        "invoices": found.invoices,
        "found": found,
        "tab": tab,
        "tabs": TABS,
        "exports": exports,
        "filters": invoice_filters.shown(request.query_params, wanted),
        "filter_problems": problems,
        "tab_counts": _tab_counts(found.by_status),
    }
    block = "results" if is_htmx(request) else None
    return render(request, "invoices.html", context, block=block)


# --- the draft editor ----------------------------------------------------------------------------------------


@router.get("/invoices/new", response_class=HTMLResponse)
def new_invoice(request: Request, db: Db, company_id: PageCompany) -> HTMLResponse:
    values = EditorValues(customer_number=request.query_params.get("kund", ""))
    values.rows.append(blank_row("labour"))
    values.rows.append(blank_row("material"))
    _customer_defaults(values, _customers(db, company_id))
    return _editor(request, db, company_id, None, values, {})


@router.post("/invoices/new", response_class=HTMLResponse)
async def create_invoice(request: Request, db: Db, company_id: PageCompany) -> Response:
    form = await request.form()
    return await run_in_threadpool(_submit, request, db, company_id, None, form)


@router.post("/invoices/preview", response_class=HTMLResponse)
async def preview_totals(request: Request, db: Db, company_id: PageCompany) -> HTMLResponse:
    """The live totals: computed by the domain from the form as it is now; nothing is saved."""
    form = await request.form()
    check_csrf(request, text(form, "csrf"))
    values = from_form(form)
    context = await run_in_threadpool(_preview_context, db, company_id, values)
    return render(request, "invoice_editor.html", context, block="totals")


@router.get("/invoices/{invoice_id}", response_class=HTMLResponse)
def invoice_page(request: Request, container: ContainerDep, company_id: PageCompany, invoice_id: Id) -> Response:
    db = container.db
    invoice = invoices.get_invoice(db, company_id, invoice_id)
    if invoice.status == InvoiceStatus.DRAFT:
        return _editor(request, db, company_id, invoice, from_invoice(invoice), {})
    context = {
        "invoice": invoice,
        "export": _badge_info(db, company_id, invoice),
        "history": export_history(db, company_id, invoice_id),
        "just_approved": request.query_params.get("godkand") == "1",
        "can_credit": crediting.can_be_credited(invoice),
    }
    context |= delivery_context(db, company_id, invoice)
    return render(request, "invoice.html", context)


@router.post("/invoices/{invoice_id}", response_class=HTMLResponse)
async def save_invoice(request: Request, db: Db, company_id: PageCompany, invoice_id: Id) -> Response:
    form = await request.form()
    return await run_in_threadpool(_save_draft, request, db, company_id, invoice_id, form)


def _save_draft(request: Request, db: Database, company_id: int, invoice_id: int, form: FormData) -> Response:
    invoice = invoices.get_invoice(db, company_id, invoice_id)
    if invoice.status != InvoiceStatus.DRAFT:
        raise HTTPException(409, "Fakturan är godkänd och kan inte ändras.")
    return _submit(request, db, company_id, invoice, form)


# Handlers read the form on the event loop, then do the database work in the threadpool (like plain `def` routes).
def _submit(request: Request, db: Database, company_id: int, invoice: InvoiceView | None, form: FormData) -> Response:
    check_csrf(request, text(form, "csrf"))
    values = from_form(form)
    action = text(form, "action") or "save"
    if action != "save":
        _edit(values, action, db, company_id)
        return _editor(request, db, company_id, invoice, values, {}, block="editor" if is_htmx(request) else None)
    try:
        data = to_input(values)
        if invoice is None:
            saved = invoices.create_invoice(db, company_id, data)
        else:
            saved = invoices.update_invoice(db, company_id, invoice.id, data)
    except (DomainError, ValidationError) as error:
        errors = editor_errors(error, values)
        return _editor(request, db, company_id, invoice, values, errors, status_code=422)
    target = f"/invoices/{saved.id}?sparad=1"
    if text(form, "then") == "approve":
        target = f"/invoices/{saved.id}/approve"
    return _redirect(request, target)


def _edit(values: EditorValues, action: str, db: Database, company_id: int) -> None:
    """The editor's buttons that change the form without saving: add/remove a row, fill a row from its article,
    take the customer's defaults."""
    verb, _, argument = action.partition("-")
    if verb == "add_row":
        values.rows.append(blank_row(argument or "material"))
    elif verb == "remove" and argument.isdigit() and int(argument) < len(values.rows):
        del values.rows[int(argument)]
    elif verb == "fill" and argument.isdigit() and int(argument) < len(values.rows):
        row = values.rows[int(argument)]
        by_number = _articles(db, company_id)
        values.rows[int(argument)] = fill_from_article(row, by_number.get(row.get("article_number", "")))
    elif verb == "customer":
        _customer_defaults(values, _customers(db, company_id))


def _customer_defaults(values: EditorValues, known: dict[str, CustomerView]) -> None:
    customer = known.get(values.customer_number)
    if customer is None:
        return
    values.reverse_charge = customer.reverse_charge
    # A private customer is usually the buyer who claims the husavdrag: the first buyer slot takes their
    # personnummer unless the user has typed one.
    if customer.kind == "private" and customer.personal_number and values.persons:
        first = values.persons[0]
        if not first.get("personal_number"):
            values.persons[0] = {**first, "personal_number": format_personnummer(customer.personal_number)}


def _customers(db: Database, company_id: int) -> dict[str, CustomerView]:
    return {c.customer_number: c for c in customers.list_customers(db, company_id, limit=500)}


def _articles(db: Database, company_id: int) -> dict[str, ArticleView]:
    return {a.number: a for a in articles.list_articles(db, company_id, limit=500)}


def _preview_context(db: Database, company_id: int, values: EditorValues) -> dict[str, Any]:
    result = preview(values, lambda data: invoices.preview_totals(db, company_id, data))
    return {"preview": result, "values": values}


def _editor(
    request: Request,
    db: Database,
    company_id: int,
    invoice: InvoiceView | None,
    values: EditorValues,
    errors: dict[str, str],
    *,
    block: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    if invoice is not None:  # a saved draft credits what it was created to credit, whatever a form claims
        values.credits_invoice_id = "" if invoice.credits_invoice_id is None else str(invoice.credits_invoice_id)
    with_blank_rows(values)
    known = _customers(db, company_id)
    by_number = _articles(db, company_id)
    context = {
        "invoice": invoice,
        "values": values,
        "errors": errors,
        "customers": list(known.values()),
        "articles": list(by_number.values()),
        "kinds": KINDS,
        "house_work_kinds": HOUSE_WORK_KINDS,
        "house_work_types": HOUSE_WORK_TYPES,
        "action": f"/invoices/{invoice.id}" if invoice else "/invoices/new",
        "saved": request.query_params.get("sparad") == "1",
        **_preview_context(db, company_id, values),
    }
    return render(request, "invoice_editor.html", context, block=block, status_code=status_code)


@router.post("/invoices/{invoice_id}/delete")
def delete_invoice(request: Request, db: Db, company_id: PageCompany, invoice_id: Id, csrf: Csrf = None) -> Response:
    check_csrf(request, csrf)
    invoices.delete_draft(db, company_id, invoice_id)
    return _redirect(request, "/invoices?tab=utkast")


# --- approval ------------------------------------------------------------------------------------------------


@router.get("/invoices/{invoice_id}/approve", response_class=HTMLResponse)
def confirm_approval(request: Request, db: Db, company_id: PageCompany, invoice_id: Id) -> Response:
    invoice = invoices.get_invoice(db, company_id, invoice_id)
    if invoice.status != InvoiceStatus.DRAFT:
        return RedirectResponse(f"/invoices/{invoice_id}", status_code=303)
    context = {"invoice": invoice, "next_number": next_invoice_number(db, company_id), "error": None}
    return render(request, "invoice_approve.html", context)


@router.post("/invoices/{invoice_id}/approve", response_class=HTMLResponse)
def approve(
    request: Request, container: ContainerDep, company_id: PageCompany, invoice_id: Id, csrf: Csrf = None
) -> Response:
    # A plain route (threadpool): the approval starts a DBOS workflow, and DBOS's synchronous API refuses to
    # run on the event loop's thread.
    check_csrf(request, csrf)
    db = container.db
    try:
        invoices.approve_invoice(db, company_id, invoice_id, container.on_approved)
    except DomainError as error:
        invoice = invoices.get_invoice(db, company_id, invoice_id)
        context = {"invoice": invoice, "next_number": next_invoice_number(db, company_id), "error": error}
        return render(request, "invoice_approve.html", context, status_code=422)
    return _redirect(request, f"/invoices/{invoice_id}?godkand=1")


def next_invoice_number(db: Database, company_id: int) -> int:
    """The number the next approved invoice gets (numbers are taken only at approval, without gaps)."""
    with db.transaction() as session:
        return next_value(session, company_id, INVOICE_SERIES)


# --- export badge, export again ----------------------------------------------------------------------


def _badge_info(db: Database, company_id: int, invoice: InvoiceView) -> ExportInfo | None:
    if invoice.status == InvoiceStatus.DRAFT:
        return None
    return export_state(db, company_id, invoice.id)


@router.get("/invoices/{invoice_id}/export-badge", response_class=HTMLResponse)
def export_badge(request: Request, db: Db, company_id: PageCompany, invoice_id: Id, detalj: int = 0) -> HTMLResponse:
    """The badge alone; it polls itself while the export can still change and stops once it is final. On the
    invoice's own page (``detalj=1``) the final answer also brings the export history up to date."""
    invoice = invoices.get_invoice(db, company_id, invoice_id)
    context: dict[str, Any] = {
        "export": _badge_info(db, company_id, invoice),
        "invoice_id": invoice_id,
        "detail": bool(detalj),
    }
    if detalj:
        context["history"] = export_history(db, company_id, invoice_id)
    return render(request, "export_badge.html", context)


@router.post("/invoices/{invoice_id}/export-again", response_class=HTMLResponse)
def export_again(
    request: Request, db: Db, company_id: PageCompany, invoice_id: Id, detalj: int = 0, csrf: Csrf = None
) -> Response:
    check_csrf(request, csrf)
    invoice = invoices.get_invoice(db, company_id, invoice_id)
    message = exporting.export_again(company_id, invoice.id)
    if is_htmx(request):
        context: dict[str, Any] = {
            "export": _badge_info(db, company_id, invoice),
            "invoice_id": invoice_id,
            "message": message,
        }
        context |= {"detail": bool(detalj), "history": export_history(db, company_id, invoice_id)}
        return render(request, "export_badge.html", context)
    return RedirectResponse(f"/invoices/{invoice_id}", status_code=303)


def _redirect(request: Request, target: str) -> Response:
    if is_htmx(request):
        return Response(status_code=204, headers={"HX-Redirect": target})
    return RedirectResponse(target, status_code=303)
