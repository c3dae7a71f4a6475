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
from fakturabro.invoicing.companies import company_name
from fakturabro.web.views import labels
from fakturabro.web.views.session import csrf_token

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
STOCKHOLM = ZoneInfo("Europe/Stockholm")

templates = Jinja2Blocks(directory=TEMPLATES)


def sek(value: Decimal | str | int | None) -> str:
    """``1 234,50 kr`` (non-breaking spaces, so an amount never wraps)."""
    if value is None or value == "":
        return ""
    try:
        amount = value if isinstance(value, Decimal) else Decimal(str(value))
    except InvalidOperation:
        return str(value)
    return format_sek(amount)


def swedish_date(value: date | datetime | None) -> str:
    """2026-11-24; a moment in Swedish time with hours and minutes."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=ZoneInfo("UTC"))
        return moment.astimezone(STOCKHOLM).strftime("%Y-%m-%d %H:%M")
    return value.isoformat()


def number(value: Decimal | str | int | None) -> str:
    """A quantity or a percentage the Swedish way: ``1,5`` and ``25``."""
    if value is None or value == "":
        return ""
    amount = value if isinstance(value, Decimal) else Decimal(str(value))
    text = f"{amount.normalize():f}"
    return text.replace(".", ",")


templates.env.filters["sek"] = sek
templates.env.filters["sv_date"] = swedish_date
templates.env.filters["num"] = number
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
