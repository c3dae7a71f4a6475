"""Errors on the pages answered in Swedish HTML, never with the REST API's JSON.

Decided by route, not by headers: every route a browser uses is a ``PageRoute`` (the routers in ``web.views``, the
Visma settings page and the registers pages), the REST API's routes are not, so ``/api/v1`` keeps the JSON of
``web.errors``. A page that can show an error next to its field does so itself (the forms re-render with what was
typed); what reaches this route class is the rest: a missing or foreign invoice, an expired form, a conflict, input
no form of ours sends.

A full-page request gets ``error.html`` with a way back. An htmx request gets the message block of the same template
with its 4xx status, retargeted into the page's message area (``#meddelanden`` in ``base.html``, which also tells
htmx to swap 4xx answers), so a failed live total or button shows why instead of doing nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any
from urllib.parse import urlsplit

import structlog
from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException

from fakturabro.domain.errors import Conflict, NotFound, ValidationFailed
from fakturabro.store.database import ConstraintViolated
from fakturabro.web.views.forms import field_errors
from fakturabro.web.views.rendering import is_htmx, render

log = structlog.get_logger(__name__)

MESSAGE_AREA = "#meddelanden"
TITLES = {
    400: "Formuläret kunde inte läsas",
    401: "Du är utloggad",
    403: "Formuläret har gått ut",
    404: "Sidan finns inte",
    409: "Det gick inte",
    413: "Filen är för stor",
    422: "Uppgifterna behöver rättas",
}
EXPIRED = "Formuläret har gått ut. Ladda om sidan och försök igen."
LABELS = {
    "action": "Knappen",
    "mode": "Exportläge",
    "email": "E-post",
    "password": "Lösenord",
    "q": "Sökningen",
    "tab": "Fliken",
    "state": "Kopplingens kod från Visma",
    "code": "Kopplingens kod från Visma",
    "error": "Svaret från Visma",
    "org_number": "Organisationsnummer",
    "personal_number": "Personnummer",
    "vat_number": "Momsregistreringsnummer",
    "detalj": "Adressen",
}
UNREADABLE = "Formuläret kunde inte läsas. Ladda om sidan och försök igen."
RACE = "Uppgiften krockar med en annan som just sparades. Ladda om sidan och försök igen."


class PageRoute(APIRoute):
    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handle = super().get_route_handler()

        async def page_errors(request: Request) -> Response:
            try:
                return await handle(request)
            except Exception as error:
                answer = page_error(error)
                if answer is None:
                    raise
                return error_page(request, *answer)

        return page_errors


def page_error(error: Exception) -> tuple[int, list[str]] | None:
    """The status and Swedish messages a page shows for ``error``; None for what is not the user's doing (a bug
    fails loudly) or carries headers the client acts on (a 401 with ``HX-Redirect`` to the login page)."""
    if isinstance(error, NotFound):
        return 404, [f"{error.what} finns inte, eller hör till ett annat företag."]
    if isinstance(error, Conflict):
        return 409, [error.message]
    if isinstance(error, ValidationFailed):
        return 422, _unique(item.message for item in error.errors)
    if isinstance(error, RequestValidationError):
        return _refused_input(error)
    if isinstance(error, ConstraintViolated):
        log.info("integrity conflict on a page", error_type=type(error).__name__)
        return 409, [RACE]
    if isinstance(error, HTTPException) and 400 <= error.status_code < 500 and not error.headers:
        if error.status_code == 400:  # FastAPI's own (a body it could not parse), in English
            return 400, [UNREADABLE]
        return error.status_code, [_text(error.detail)]
    return None


def _refused_input(error: RequestValidationError) -> tuple[int, list[str]]:
    """A route's own parameters refused: an address to nothing, an expired form, or a field no form of ours sends
    that way (named, as the page has no field to show it at)."""
    if any(tuple(item.get("loc", ()))[:1] == ("path",) for item in error.errors()):
        return 404, ["Adressen pekar inte på något som finns."]
    found = field_errors(error)
    if "csrf" in found:
        return 403, [EXPIRED]
    named = (f"{LABELS[key]}: {message}" if key in LABELS else message for key, message in found.items())
    return 422, _unique(named) or [UNREADABLE]


def error_page(request: Request, status: int, messages: list[str]) -> Response:
    """``error.html`` for a page; its ``message`` block, put in the page's message area, for htmx."""
    context = {"title": TITLES.get(status, "Det gick inte"), "messages": messages, "status": status}
    if is_htmx(request):
        response = render(request, "error.html", context, block="message", status_code=status)
        response.headers.update({"HX-Retarget": MESSAGE_AREA, "HX-Reswap": "innerHTML", "HX-Reselect": "#fel"})
        return response
    back, back_label = _way_back(request, status)
    return render(request, "error.html", {**context, "back": back, "back_label": back_label}, status_code=status)


def _way_back(request: Request, status: int) -> tuple[str, str]:
    """Back to the page the form was sent from (the same site only); else to the invoices."""
    referer = urlsplit(request.headers.get("referer", ""))
    same_site = referer.netloc == request.url.netloc and referer.path.startswith("/") and "//" not in referer.path
    if request.method != "GET" and same_site and status != 404:
        return referer.path + (f"?{referer.query}" if referer.query else ""), "Tillbaka"
    return "/invoices", "Till fakturorna"


def _text(detail: object) -> str:
    if isinstance(detail, list):
        return " ".join(str(item.get("msg", "")) if isinstance(item, dict) else str(item) for item in detail)
    return str(detail)


def _unique(messages: Any) -> list[str]:
    return list(dict.fromkeys(message for message in messages if message))
