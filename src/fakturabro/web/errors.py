"""Domain errors become HTTP responses here, in one place, all in FastAPI's own 422 shape.

``{"detail": [{"loc": ["body", "rows", 0, "quantity"], "msg": "...", "type": "..."}]}`` for every 4xx, so a
client parses one format. The submitted value is never echoed back (it may be a personnummer).

The pages answer their own errors as Swedish HTML (``web.views.errors.PageRoute``); what reaches this module from
outside the API is an address no route matches, answered with the same Swedish page.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy.exc import IntegrityError
from starlette.exceptions import HTTPException as StarletteHTTPException

from fakturabro.domain.errors import Conflict, NotFound, ValidationFailed
from fakturabro.settings import SANDBOX_MOUNT_PATH
from fakturabro.web.views.errors import error_page

log = structlog.get_logger(__name__)

JSON_PREFIXES = ("/api/", "/openapi.json", "/docs", "/redoc", "/healthz", "/readyz", "/metrics", SANDBOX_MOUNT_PATH)
NO_PAGE = {
    404: "Sidan finns inte. Kontrollera adressen, eller gå till fakturorna.",
    405: "Sidan kan inte öppnas så här. Gå tillbaka och använd knapparna på sidan.",
}


def _detail(loc: Sequence[str | int], msg: str, type_: str) -> dict[str, Any]:
    return {"loc": list(loc), "msg": msg, "type": type_}


def _respond(status: int, *details: dict[str, Any], headers: Mapping[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"detail": list(details)}, status_code=status, headers=headers)


async def _validation_failed(_request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, ValidationFailed)
    return _respond(422, *(_detail(("body", *e.loc), e.message, e.code) for e in error.errors))


async def _not_found(_request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, NotFound)
    return _respond(404, _detail(("path",), f"{error.what} finns inte.", "not_found"))


async def _conflict(_request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, Conflict)
    return _respond(409, _detail(("body", *error.loc), error.message, error.code))


async def _integrity(_request: Request, error: Exception) -> JSONResponse:
    # Two requests raced past our own duplicate check; the database's constraint caught the second one.
    log.info("integrity conflict", error_type=type(error).__name__)
    return _respond(409, _detail(("body",), "Uppgiften krockar med en annan som just sparades.", "conflict"))


async def _request_validation(_request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, RequestValidationError)
    details = [
        _detail(
            _clean_loc(e.get("loc", ())), str(e.get("msg", "")).removeprefix("Value error, "), str(e.get("type", ""))
        )
        for e in error.errors()
    ]
    return _respond(422, *details)


async def _http_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, StarletteHTTPException)
    if error.status_code in NO_PAGE and not request.url.path.startswith(JSON_PREFIXES):
        # No route matched (a mistyped or outdated address), so no route can decide; a browser gets a page.
        return error_page(request, error.status_code, [NO_PAGE[error.status_code]])
    detail = error.detail
    if isinstance(detail, list):
        return _respond(error.status_code, *detail, headers=error.headers)
    return _respond(error.status_code, _detail((), str(detail), "http_error"), headers=error.headers)


def _clean_loc(loc: Sequence[Any]) -> list[str | int]:
    return [part if isinstance(part, int) else str(part) for part in loc]


def install(app: FastAPI) -> None:
    app.add_exception_handler(ValidationFailed, _validation_failed)
    app.add_exception_handler(NotFound, _not_found)
    app.add_exception_handler(Conflict, _conflict)
    app.add_exception_handler(IntegrityError, _integrity)
    app.add_exception_handler(RequestValidationError, _request_validation)
    app.add_exception_handler(StarletteHTTPException, _http_error)
