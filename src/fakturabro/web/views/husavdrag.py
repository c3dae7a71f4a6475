"""Husavdrag (``/husavdrag``): the tradesperson's page for Skatteverket's payout of ROT, RUT and grön teknik.

What can be claimed and why not, a claim made from the chosen invoices with its file for Skatteverket's e-tjänst,
the decisions (entered per invoice or imported from Skatteverket's decision file), the invoice back to the buyer
for a refused part, and per year and buyer what is used and left under the caps. The routes only translate: the
use cases are the ones the REST API (``web.husavdrag``) calls, so a bad choice is refused the same way and
changes nothing.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from fakturabro.bootstrap import Container
from fakturabro.domain.errors import Conflict, DomainError, ValidationFailed
from fakturabro.domain.husavdrag import HusavdragKind
from fakturabro.domain.swedish_format import plural
from fakturabro.husavdrag import claims, decisions, overview
from fakturabro.husavdrag.views import ClaimInvoiceView
from fakturabro.invoicing import invoices
from fakturabro.invoicing.inputs import MAX_ID
from fakturabro.invoicing.views_builder import swedish_today
from fakturabro.store.database import Database
from fakturabro.web.deps import ContainerDep, Db
from fakturabro.web.views.errors import PageRoute
from fakturabro.web.views.forms import FormData, field_errors, text
from fakturabro.web.views.rendering import render
from fakturabro.web.views.session import PageCompany, check_csrf

router = APIRouter(include_in_schema=False, route_class=PageRoute)
Id = Annotated[int, Path(ge=1, le=MAX_ID)]
Year = Annotated[int | None, Query(ge=2021, le=2099)]
KIND_ORDER = (HusavdragKind.ROT, HusavdragKind.RUT, HusavdragKind.GREEN)
MAX_CHOSEN = 100  # what one claim may hold (the API's limit too)


@router.get("/husavdrag", response_class=HTMLResponse)
def husavdrag_page(request: Request, db: Db, company_id: PageCompany, ar: Year = None) -> HTMLResponse:
    return _page(request, db, company_id, ar)


def _page(
    request: Request,
    db: Database,
    company_id: int,
    year: int | None,
    *,
    errors: dict[str, str] | None = None,
    notice: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    shown_year = year or swedish_today(db.clock()).year
    claimable = claims.claimable_invoices(db, company_id)
    groups = [(kind, [c for c in claimable if c.type == kind.value]) for kind in KIND_ORDER]
    context: dict[str, Any] = {
        "groups": [(kind, items) for kind, items in groups if items],
        "claims": claims.list_claims(db, company_id, limit=50),
        "overview": overview.overview(db, company_id, shown_year),
        "claims_in": claims.claims_in(db, company_id),
        "errors": errors or {},
        "notice": notice,
    }
    return render(request, "husavdrag.html", context, status_code=status_code)


@router.post("/husavdrag/claims", response_class=HTMLResponse)
async def create_claim(request: Request, db: Db, company_id: PageCompany) -> Response:
    form = await request.form()
    return await run_in_threadpool(_create_claim, request, db, company_id, form, form.getlist("invoice"))


def _create_claim(request: Request, db: Database, company_id: int, form: FormData, ticked: list[Any]) -> Response:
    check_csrf(request, text(form, "csrf"))
    kind = _kind(text(form, "type"))
    chosen = _ids(ticked)
    if kind is None or not chosen:
        message = "Välj minst en faktura att begära utbetalning för." if kind else "Välj ROT, RUT eller grön teknik."
        return _page(request, db, company_id, None, errors={"claim": message}, status_code=422)
    try:
        claim = claims.create_claim(db, company_id, kind, chosen)
    except DomainError as error:
        return _page(request, db, company_id, None, errors=_claim_errors(error), status_code=_status(error))
    return RedirectResponse(f"/husavdrag/claims/{claim.id}?ny=1", status_code=303)


def _claim_errors(error: DomainError) -> dict[str, str]:
    """The use case names invoices by their index among the chosen; the page shows each reason as it reads."""
    return {"claim": _messages(error)}


def _messages(error: DomainError) -> str:
    """Each reason once, one a line (the template shows them as a list)."""
    return "\n".join(dict.fromkeys(field_errors(error).values())) or str(error)


@router.get("/husavdrag/claims/{claim_id}", response_class=HTMLResponse)
def claim_page(request: Request, db: Db, company_id: PageCompany, claim_id: Id, ny: int = 0) -> HTMLResponse:
    return _claim_page(request, db, company_id, claim_id, created=ny == 1)


def _claim_page(
    request: Request,
    db: Database,
    company_id: int,
    claim_id: int,
    *,
    created: bool = False,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    claim = claims.get_claim(db, company_id, claim_id)
    today = swedish_today(db.clock()).isoformat()
    context = {
        "claim": claim,
        "created": created,
        "values": values or {"decided_at": today},
        "errors": errors or {},
        "undecided": [i for i in claim.invoices if i.decided_at is None],
    }
    return render(request, "husavdrag_claim.html", context, status_code=status_code)


@router.get("/husavdrag/claims/{claim_id}/file")
def claim_file(db: Db, company_id: PageCompany, claim_id: Id) -> Response:
    found = claims.claim_file(db, company_id, claim_id)
    return Response(
        found.content,
        media_type="application/xml",
        headers={"Content-Disposition": f'attachment; filename="{found.filename}"'},
    )


@router.post("/husavdrag/claims/{claim_id}/decision", response_class=HTMLResponse)
async def decide_claim(request: Request, db: Db, company_id: PageCompany, claim_id: Id) -> Response:
    form = await request.form()
    return await run_in_threadpool(_decide_claim, request, db, company_id, claim_id, form)


def _decide_claim(request: Request, db: Database, company_id: int, claim_id: int, form: FormData) -> Response:
    check_csrf(request, text(form, "csrf"))
    claim = claims.get_claim(db, company_id, claim_id)
    values = {key: text(form, key) or "" for key in form if isinstance(form.get(key), str)}
    errors: dict[str, str] = {}
    decided_at = _date(values.get("decided_at", ""), errors)
    entries = [
        entry
        for item in claim.invoices
        if item.decided_at is None and (entry := _entry_of(item, values, errors)) is not None
    ]
    if not entries and not errors:
        errors["decision"] = "Skriv det godkända beloppet för minst en faktura (0 om allt avslogs)."
    if not errors and decided_at is not None:
        try:
            decisions.record_decisions(db, company_id, entries, decided_at, claim_id)
        except DomainError as error:
            errors["decision"] = _messages(error)
        else:
            return RedirectResponse(f"/husavdrag/claims/{claim_id}", status_code=303)
    return _claim_page(request, db, company_id, claim_id, values=values, errors=errors, status_code=422)


def _entry_of(item: ClaimInvoiceView, values: dict[str, str], errors: dict[str, str]) -> decisions.DecisionEntry | None:
    """One invoice's decision from the claim page; None when nothing is written for it. With several buyers,
    Skatteverket decides per buyer (one ärende each), so the page asks per buyer and the invoice's is their sum."""
    reason = values.get(f"reason-{item.invoice_id}") or None
    if len(item.buyers) < 2:
        key = f"approved-{item.invoice_id}"
        amount = _amount(values[key], key, errors) if values.get(key) else None
        return decisions.DecisionEntry(item.invoice_id, amount, None, reason) if amount is not None else None
    keys = [f"approved-{item.invoice_id}-{buyer.position}" for buyer in item.buyers]
    written = [key for key in keys if values.get(key)]
    if not written:
        return None
    if len(written) < len(keys):
        for key in keys:
            if not values.get(key):
                errors[key] = "Skriv det godkända beloppet för varje köpare (0 om allt avslogs)."
        return None
    amounts = [_amount(values[key], key, errors) for key in keys]
    parts = tuple(amount for amount in amounts if amount is not None)
    if len(parts) < len(keys):
        return None
    return decisions.DecisionEntry(item.invoice_id, sum(parts, Decimal(0)), parts, reason)


@router.post("/husavdrag/invoices/{invoice_id}/decision", response_class=HTMLResponse)
async def decide_invoice(request: Request, db: Db, company_id: PageCompany, invoice_id: Id) -> Response:
    form = await request.form()
    return await run_in_threadpool(_decide_invoice, request, db, company_id, invoice_id, form)


def _decide_invoice(request: Request, db: Database, company_id: int, invoice_id: int, form: FormData) -> Response:
    """One invoice's decision from the invoice page (also for an invoice claimed in Visma eEkonomi)."""
    check_csrf(request, text(form, "csrf"))
    errors: dict[str, str] = {}
    decided_at = _date(text(form, "decided_at") or "", errors)
    amount = _amount(text(form, "approved") or "", "approved", errors)
    if errors or decided_at is None or amount is None:
        raise ValidationFailed.single(("decision",), " ".join(errors.values()), "invalid_decision")
    entry = decisions.DecisionEntry(invoice_id, amount, None, text(form, "reason") or None)
    decisions.record_decisions(db, company_id, [entry], decided_at)
    return RedirectResponse(f"/invoices/{invoice_id}#husavdrag", status_code=303)


@router.post("/husavdrag/decision-file", response_class=HTMLResponse)
async def import_decision_file(request: Request, db: Db, company_id: PageCompany) -> Response:
    async with request.form(max_files=1, max_part_size=decisions.MAX_DECISION_FILE) as form:
        upload = form.get("file")
        data = await upload.read(decisions.MAX_DECISION_FILE + 1) if isinstance(upload, UploadFile) else b""
        fields = {"csrf": text(form, "csrf"), "decided_at": text(form, "decided_at") or ""}
    return await run_in_threadpool(_import_file, request, db, company_id, data, fields)


def _import_file(request: Request, db: Database, company_id: int, data: bytes, fields: dict[str, Any]) -> Response:
    check_csrf(request, fields["csrf"])
    errors: dict[str, str] = {}
    decided_at = _date(fields["decided_at"], errors) if fields["decided_at"] else swedish_today(db.clock())
    if not data:
        errors["file"] = "Välj Skatteverkets beslutsfil (JSON) att läsa in."
    elif len(data) > decisions.MAX_DECISION_FILE:
        errors["file"] = "Filen är för stor för en beslutsfil."
    if errors or decided_at is None:
        return _page(request, db, company_id, None, errors={"file": " ".join(errors.values())}, status_code=422)
    try:
        recorded = decisions.import_decision_file(db, company_id, data, decided_at)
    except DomainError as error:
        return _page(request, db, company_id, None, errors={"file": _messages(error)}, status_code=_status(error))
    notice = f"Beslutsfilen är inläst: beslut för {plural(len(recorded), 'faktura', 'fakturor')}."
    return _page(request, db, company_id, None, notice=notice)


@router.get("/husavdrag/invoices/{invoice_id}/invoice-back", response_class=HTMLResponse)
def confirm_invoice_back(request: Request, db: Db, company_id: PageCompany, invoice_id: Id) -> Response:
    """What the invoice to the buyer will say, before the user confirms it (it is approved at once)."""
    invoice = invoices.get_invoice(db, company_id, invoice_id)
    claim = invoice.house_work.claim if invoice.house_work else None
    if claim is None or claim.decided_at is None or claim.back_invoice_id is not None:
        return RedirectResponse(f"/invoices/{invoice_id}", status_code=303)
    difference = (claim.requested_amount or Decimal(0)) - (claim.approved_amount or Decimal(0))
    if difference <= 0:
        return RedirectResponse(f"/invoices/{invoice_id}", status_code=303)
    context = {"invoice": invoice, "claim": claim, "difference": difference}
    return render(request, "husavdrag_invoice_back.html", context)


@router.post("/husavdrag/invoices/{invoice_id}/invoice-back")
async def invoice_back(request: Request, container: ContainerDep, company_id: PageCompany, invoice_id: Id) -> Response:
    form = await request.form()
    return await run_in_threadpool(_invoice_back, request, container, company_id, invoice_id, form)


def _invoice_back(request: Request, container: Container, company_id: int, invoice_id: int, form: FormData) -> Response:
    check_csrf(request, text(form, "csrf"))
    back = decisions.invoice_back(container.db, company_id, invoice_id, container.on_approved)
    return RedirectResponse(f"/invoices/{back.id}", status_code=303)


@router.post("/husavdrag/settings")
async def save_settings(request: Request, db: Db, company_id: PageCompany) -> Response:
    form = await request.form()
    check_csrf(request, text(form, "csrf"))
    await run_in_threadpool(claims.set_claims_in, db, company_id, text(form, "claims_in") or "")
    return RedirectResponse("/husavdrag#installning", status_code=303)


def _kind(value: str | None) -> HusavdragKind | None:
    try:
        return HusavdragKind(value or "")
    except ValueError:
        return None


def _ids(values: list[Any]) -> list[int]:
    """The ticked invoices; anything else than an id our page sends is a form no page of ours sends."""
    ids: list[int] = []
    for value in values[: MAX_CHOSEN + 1]:
        if not isinstance(value, str) or not value.isdigit() or not 1 <= int(value) <= MAX_ID:
            raise ValidationFailed.single(("invoice",), "Valet av fakturor kunde inte läsas.", "invalid_choice")
        ids.append(int(value))
    if len(ids) > MAX_CHOSEN:
        raise ValidationFailed.single(("invoice",), f"Välj högst {MAX_CHOSEN} fakturor per begäran.", "too_many")
    return ids


def _date(value: str, errors: dict[str, str]) -> date | None:
    try:
        return date.fromisoformat(value)
    except ValueError:
        errors["decided_at"] = "Skriv beslutsdatumet som ÅÅÅÅ-MM-DD."
        return None


def _amount(value: str, key: str, errors: dict[str, str]) -> Decimal | None:
    cleaned = value.replace("\xa0", "").replace(" ", "").replace("kr", "").replace(",", ".")
    try:
        amount = Decimal(cleaned)
    except InvalidOperation:
        amount = Decimal(-1)
    if (
        not amount.is_finite()
        or amount < 0
        or amount >= Decimal(10) ** 11
        or amount != amount.quantize(Decimal("0.01"))
    ):
        errors[key] = "Skriv det godkända beloppet i kronor, t.ex. 1000 eller 0 om allt avslogs."
        return None
    return amount


def _status(error: DomainError) -> int:
    return 409 if isinstance(error, Conflict) else 422
