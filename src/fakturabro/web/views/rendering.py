"""One Jinja2 environment for every page: Swedish formats as filters, full pages or single blocks (htmx).

An htmx request (header ``HX-Request``) for a page gets only the named block of the same template the full page
is rendered from, so there is one template per screen and no separate fragment markup to keep in step.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2_fragments.fastapi import Jinja2Blocks

from fakturabro.domain.identity import mask_personnummer
from fakturabro.domain.money import format_sek
from fakturabro.domain.swedish_format import format_number, format_price, plural, read_minus
from fakturabro.invoicing.companies import company_name
from fakturabro.web.views import labels
from fakturabro.web.views.session import csrf_token

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
STOCKHOLM = ZoneInfo("Europe/Stockholm")

templates = Jinja2Blocks(directory=TEMPLATES)


def _decimal(value: Decimal | str | int | None) -> Decimal | None:
    if value is None or value == "":
        return None
    if isinstance(value, Decimal):
        return value
    try:
        return Decimal(read_minus(str(value)))
    except InvalidOperation:
        return None


def sek(value: Decimal | str | int | None, negate: bool = False) -> str:
    """``1 234,50 kr``, ``−45,00 kr`` (non-breaking spaces, so an amount never wraps); ``negate`` for a line that
    takes the amount off (a deduction), so its sign is written once, by this filter, and never doubled."""
    amount = _decimal(value)
    if amount is None:
        return "" if value is None else str(value)
    return format_sek(-amount if negate else amount)


def swedish_date(value: date | datetime | None) -> str:
    """2026-11-24; a moment in Swedish time with hours and minutes."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=ZoneInfo("UTC"))
        return moment.astimezone(STOCKHOLM).strftime("%Y-%m-%d %H:%M")
    return value.isoformat()


def number(value: Decimal | str | int | None) -> str:
    """A quantity or a percentage the Swedish way: ``1,5``, ``25``, ``−0,25``."""
    amount = _decimal(value)
    return "" if amount is None else format_number(amount)


def price(value: Decimal | str | int | None) -> str:
    """A unit price with its öre: ``129,50``."""
    amount = _decimal(value)
    return "" if amount is None else format_price(amount)


templates.env.filters["sek"] = sek
templates.env.filters["sv_date"] = swedish_date
templates.env.filters["num"] = number
templates.env.filters["price"] = price
templates.env.globals["plural"] = plural
templates.env.filters["masked"] = mask_personnummer
templates.env.globals.update(
    KINDS=labels.KINDS,
    HOUSE_WORK_KINDS=labels.HOUSE_WORK_KINDS,
    HOUSE_WORK_TYPES=labels.HOUSE_WORK_TYPES,
    INVOICE_STATUS=labels.INVOICE_STATUS,
    EXPORT_STEPS=labels.EXPORT_STEPS,
    EXPORT_OUTCOMES=labels.EXPORT_OUTCOMES,
    LINK_STATES=labels.LINK_STATES,
    REGISTER_OPERATIONS=labels.REGISTER_OPERATIONS,
    RUN_STATUS=labels.RUN_STATUS,
)


def is_htmx(request: Request) -> bool:
    return request.headers.get("HX-Request") == "true"


def render(
    request: Request,
    name: str,
    context: dict[str, Any],
    *,
    block: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    """The page ``name``; only its ``block`` when given (htmx swaps)."""
    company_id = request.session.get("company_id")
    container = request.app.state.container
    full = {
        "company_name": company_name(container.db, company_id) if isinstance(company_id, int) else None,
        "csrf_token": csrf_token(request),
        "path": request.url.path,
        **context,
    }
    if block is not None:
        response = templates.TemplateResponse(request, name, full, block_name=block)
    else:
        response = templates.TemplateResponse(request, name, full)
    response.status_code = status_code
    assert isinstance(response, HTMLResponse)
    return response
