"""Errors on the pages answered as pages: a person who opens a missing invoice or sends an expired form gets a
Swedish page with a way back, not the REST API's JSON. Only for full-page requests; htmx requests keep the
plain answer (htmx does not swap a 4xx into the page)."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import HTTPException, Request, Response
from fastapi.routing import APIRoute

from fakturabro.domain.errors import Conflict, NotFound
from fakturabro.web.views.rendering import is_htmx, render

_TITLES = {403: "Formuläret har gått ut", 404: "Sidan finns inte", 409: "Det gick inte"}


class PageRoute(APIRoute):
    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handle = super().get_route_handler()

        async def page_errors(request: Request) -> Response:
            try:
                return await handle(request)
            except NotFound as error:
                if is_htmx(request):
                    raise
                return _page(request, 404, f"{error.what} finns inte, eller hör till ett annat företag.")
            except Conflict as error:
                if is_htmx(request):
                    raise
                return _page(request, 409, error.message)
            except HTTPException as error:
                if is_htmx(request) or error.status_code not in _TITLES or error.headers:
                    raise
                return _page(request, error.status_code, str(error.detail))

        return page_errors


def _page(request: Request, status: int, message: str) -> Response:
    context = {"title": _TITLES[status], "message": message, "status": status}
    return render(request, "error.html", context, status_code=status)
