"""The invoice list's search box and filters: from the query string to the search's filter, and back to the form.

A filter the user typed wrong (a date that is not one) is named in Swedish above the list and left out of the
search, so the list still answers.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any
from urllib.parse import urlencode

from starlette.datastructures import QueryParams

from fakturabro.invoicing.search import with_text
from fakturabro.store.invoice_search import NOT_STARTED, InvoiceFilter

STATUSES = {
    "draft": "Utkast",
    "approved": "Godkänd",
    "partially_paid": "Delbetald",
    "paid": "Betald",
    "credited": "Krediterad",
}
EXPORT_STATES = {
    NOT_STARTED: "Inte exporterad",
    "waiting": "Väntar",
    "exporting": "Exporteras",
    "exported": "Exporterad",
    "failed": "Misslyckad",
    "needs_reconnect": "Behöver ny koppling",
    "needs_attention": "Behöver åtgärd",
}
DELIVERY_STATES = {
    NOT_STARTED: "Inte skickad",
    "pending": "Väntar på export",
    "sending": "Skickas",
    "sent": "Skickad",
    "failed": "Kunde inte skickas",
}
MAX_TEXT = 100


def from_query(query: QueryParams, tab_statuses: tuple[str, ...]) -> tuple[InvoiceFilter, list[str]]:
    """The filter the query string asks for, and what in it could not be read (in Swedish)."""
    problems: list[str] = []
    statuses = _known(query.getlist("status"), STATUSES) or tab_statuses
    wanted = InvoiceFilter(
        statuses=statuses,
        export_states=_known(query.getlist("export"), EXPORT_STATES),
        delivery_states=_known(query.getlist("leverans"), DELIVERY_STATES),
        date_from=_date(query.get("fran"), "Från-datumet", problems),
        date_to=_date(query.get("till"), "Till-datumet", problems),
        overdue=query.get("forfallna") in ("1", "on"),
    )
    if wanted.date_from and wanted.date_to and wanted.date_from > wanted.date_to:
        problems.append("Från-datumet är efter till-datumet; inga fakturor kan matcha.")
    return with_text(wanted, (query.get("q") or "")[:MAX_TEXT]), problems


def page_number(query: QueryParams) -> int:
    value = query.get("sida", "1")
    return int(value) if value.isdigit() and 0 < len(value) < 6 else 1


def shown(query: QueryParams, wanted: InvoiceFilter) -> dict[str, Any]:
    """The form's values as the user sent them, and the query of the current search for the page links."""
    kept = [(key, value) for key, value in query.multi_items() if key != "sida"]
    return {
        "q": wanted.text,
        "statuses": set(query.getlist("status")),
        "export": set(wanted.export_states),
        "leverans": set(wanted.delivery_states),
        "fran": query.get("fran", ""),
        "till": query.get("till", ""),
        "forfallna": wanted.overdue,
        "query": urlencode(kept),
        "active": any(key not in ("tab", "sida") and value for key, value in kept),
        "labels": {"status": STATUSES, "export": EXPORT_STATES, "leverans": DELIVERY_STATES},
    }


def _known(values: list[str], labels: Mapping[str, str]) -> tuple[str, ...]:
    return tuple(value for value in dict.fromkeys(values) if value in labels)


def _date(value: str | None, what: str, problems: list[str]) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        problems.append(f"{what} ”{value[:20]}” förstås inte; skriv det som ÅÅÅÅ-MM-DD.")
        return None
