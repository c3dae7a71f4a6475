"""Visma's error body and the one exception that carries it.

Visma answers errors with `CommonExtendedBadRequest`: `ErrorCode`, `DeveloperErrorMessage`, `ErrorId` (a fresh
UUID per error) and optional `Errors` (`Field`, `ErrorCode`, `Message`, `Key`). The codes follow Visma's
published table (developer.vismaonline.com "Error codes"); which code Visma picks for a given rule is our
reading where marked unconfirmed.
"""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

# Visma's published error codes.
DATA_MODEL_VALIDATION_ERROR = 2000
RESOURCE_NOT_FOUND = 3000
FISCAL_YEAR_DOES_NOT_EXIST = 3001
ACCOUNT_NOT_FOUND = 3002
CONFLICT = 4000
CAN_NOT_BE_DELETED = 4001
CAN_NOT_BE_CREATED_OR_UPDATED = 4002
COMPANY_NOT_ACTIVE = 4004
NOT_AUTHORIZED = 4005
NO_ACCESS_TO_SCOPES = 4006
QUOTA_EXCEEDED = 4010
# Not in Visma's table: what the sandbox answers for injected server faults (unconfirmed shape).
INTERNAL_ERROR = 5000


class VismaApiError(Exception):
    """An error answered with Visma's error body and an HTTP status."""

    def __init__(
        self,
        status_code: int,
        error_code: int,
        message: str,
        errors: list[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.error_code = error_code
        self.message = message
        self.errors = errors
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        return error_body(self.error_code, self.message, self.errors)


def error_body(error_code: int, message: str, errors: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "ErrorCode": error_code,
        "DeveloperErrorMessage": message,
        "ErrorId": str(uuid.uuid4()),
    }
    if errors:
        body["Errors"] = errors
    return body


def field_error(field: str | None, message: str, code: str | None = None) -> dict[str, Any]:
    """One entry of `Errors` (`CommonError`)."""
    return {"Field": field, "ErrorCode": code, "Message": message, "Key": None}


def not_found(resource: str, resource_id: str) -> VismaApiError:
    return VismaApiError(404, RESOURCE_NOT_FOUND, f"{resource} with id {resource_id} was not found.")


def unknown_reference(field: str, resource: str, resource_id: object) -> VismaApiError:
    """A body refers to an id that does not exist (e.g. `CustomerId`): 400 ResourceNotFound."""
    message = f"{resource} with id {resource_id} was not found."
    return VismaApiError(400, RESOURCE_NOT_FOUND, message, [field_error(field, message, str(RESOURCE_NOT_FOUND))])


def validation_error(
    message: str, errors: list[dict[str, Any]] | None = None, error_code: int = DATA_MODEL_VALIDATION_ERROR
) -> VismaApiError:
    return VismaApiError(400, error_code, message, errors)


def bad_request(error_code: int, message: str, field: str | None = None) -> VismaApiError:
    errors = [field_error(field, message, str(error_code))] if field else None
    return VismaApiError(400, error_code, message, errors)


def conflict(message: str, field: str | None = None) -> VismaApiError:
    """A duplicate (customer number, article number): Visma's `Conflict` code 4000 with HTTP 400."""
    return bad_request(CONFLICT, message, field)


def unauthorized(
    message: str = "AuthorizationException - Authorization has been denied for this request.",
) -> VismaApiError:
    return VismaApiError(401, NOT_AUTHORIZED, message, headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})


def forbidden(error_code: int, message: str) -> VismaApiError:
    return VismaApiError(403, error_code, message)


async def handle_visma_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, VismaApiError)
    return JSONResponse(exc.body(), status_code=exc.status_code, headers=exc.headers)


async def handle_request_validation(_request: Request, exc: Exception) -> JSONResponse:
    """FastAPI's own parameter/body parsing errors, rendered as Visma's 400 instead of FastAPI's 422."""
    assert isinstance(exc, RequestValidationError)
    errors = [
        field_error(".".join(str(part) for part in error.get("loc", ())[1:]) or None, str(error.get("msg")))
        for error in exc.errors()
    ]
    return JSONResponse(error_body(DATA_MODEL_VALIDATION_ERROR, "The request is invalid.", errors), status_code=400)


async def handle_http_exception(request: Request, exc: Exception) -> Response:
    """Framework errors (unparsable body, unknown route, wrong method) on `/v2` answer Visma's body; the
    control API and OAuth keep FastAPI's `{"detail": ...}`."""
    assert isinstance(exc, StarletteHTTPException)
    path: str = request.scope["path"]
    root_path: str = request.scope.get("root_path", "")
    relative = path[len(root_path) :] if root_path and path.startswith(root_path) else path
    if not relative.startswith("/v2/"):
        return await http_exception_handler(request, exc)
    code = RESOURCE_NOT_FOUND if exc.status_code == 404 else DATA_MODEL_VALIDATION_ERROR
    return JSONResponse(
        error_body(code, str(exc.detail)), status_code=exc.status_code, headers=getattr(exc, "headers", None)
    )
