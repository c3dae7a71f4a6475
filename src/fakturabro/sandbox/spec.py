"""Visma's official OpenAPI spec, as the sandbox's contract.

`openapi-v2.yaml` beside this module is an unchanged copy of Visma's official eAccounting API v2 spec (tests
check it against the shared reference copy). The sandbox serves a subset of it; `sandbox_spec()` is that subset
with the spec's own inconsistencies repaired, and every `/v2` request body and query is validated against it
with openapi-core. Where the official spec is inconsistent (see `repair`) we say so here and in
docs/SANDBOX.md.
"""

from __future__ import annotations

import copy
import functools
import re
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import yaml
from openapi_core import Config, OpenAPI
from openapi_core.templating.paths.exceptions import PathError
from openapi_core.testing import MockRequest
from openapi_core.validation.request.exceptions import (
    MissingRequestBody,
    RequestBodyValidationError,
    SecurityValidationError,
)
from openapi_core.validation.request.exceptions import (
    ParameterValidationError as RequestParameterError,
)

from fakturabro.sandbox.errors import (
    CAN_NOT_BE_CREATED_OR_UPDATED,
    DATA_MODEL_VALIDATION_ERROR,
    VismaApiError,
    field_error,
    validation_error,
)

SPEC_FILE = Path(__file__).with_name("openapi-v2.yaml")
# Request validation needs absolute URLs; the host is irrelevant, only the `/v2` base path matters.
VALIDATION_HOST = "http://sandbox.invalid"

# The path items (all their operations) the sandbox serves, as the official spec spells them.
SERVED_PATHS: tuple[str, ...] = (
    "/companysettings",
    "/appstore/status",
    "/bankaccounts",
    "/bankaccounts/{bankAccountId}",
    "/termsofpayments",
    "/termsofpayments/{id}",
    "/units",
    "/units/{id}",
    "/articleaccountcodings",
    "/articleaccountcodings/{articleAccountCodingId}",
    "/vatcodes",
    "/vatcodes/{id}",
    "/fiscalyears",
    "/fiscalyears/{id}",
    "/customers",
    "/customers/{customerId}",
    "/articles",
    "/articles/{articleId}",
    "/customerinvoicedrafts",
    "/customerinvoicedrafts/{customerInvoiceDraftId}",
    "/customerinvoicedrafts/{customerInvoiceDraftId}/convert",
    "/customerinvoices",
    "/customerinvoices/{invoiceId}",
    "/customerinvoices/{invoiceId}/payments",
    "/customerinvoices/{invoiceId}/email",
    "/customerinvoices/{invoiceId}/einvoice",
    "/customerinvoices/{invoiceId}/pdf",
    "/customerledgeritems",
    "/customerledgeritems/{customerLedgerItemId}",
    "/customerledgeritems/customerledgeritemswithvoucher",
    "/vouchers",
    "/vouchers/{fiscalyearId}",
    "/vouchers/{fiscalyearId}/{voucherId}",
    "/partnerresourcelinks",
    "/partnerresourcelinks/{partnerResourceLinkId}",
)

HTTP_METHODS = ("get", "put", "post", "delete", "patch")
_SCOPE_LINE = re.compile(r"\*\s*((?:ea:[a-z_]+)|offline_access)")


@functools.cache
def official_spec() -> dict[str, Any]:
    """The official spec, parsed once (it is large: ~25k lines)."""
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    with SPEC_FILE.open(encoding="utf-8") as handle:
        spec: dict[str, Any] = yaml.load(handle, Loader=loader)  # noqa: S506 - a safe loader
    return spec


def repair(paths: dict[str, Any]) -> None:
    """Repair what is inconsistent in the official spec for the served paths.

    - `GET /customerinvoicedrafts/{invoiceDraftId}` and `PUT/DELETE /customerinvoicedrafts/{customerInvoiceDraftId}`
      are two path items for the same URL template; merged into the latter, renaming the GET's path parameter.
    """
    get_item = paths.pop("/customerinvoicedrafts/{invoiceDraftId}", None)
    if get_item and "get" in get_item:
        operation = copy.deepcopy(get_item["get"])
        for parameter in operation.get("parameters", []):
            if parameter.get("in") == "path" and parameter.get("name") == "invoiceDraftId":
                parameter["name"] = "customerInvoiceDraftId"
        paths["/customerinvoicedrafts/{customerInvoiceDraftId}"]["get"] = operation


@functools.cache
def sandbox_spec() -> dict[str, Any]:
    """The served subset of the official spec, repaired, with `/v2` as its server."""
    official = official_spec()
    paths = {path: copy.deepcopy(official["paths"][path]) for path in SERVED_PATHS}
    paths["/customerinvoicedrafts/{invoiceDraftId}"] = copy.deepcopy(
        official["paths"]["/customerinvoicedrafts/{invoiceDraftId}"]
    )
    repair(paths)
    spec = {key: value for key, value in official.items() if key not in ("paths", "servers")}
    spec["servers"] = [{"url": f"{VALIDATION_HOST}/v2"}]
    spec["paths"] = paths
    return spec


@functools.cache
def openapi() -> OpenAPI:
    """The validator; the (slow) spec self-check is skipped here and done once in the tests instead."""
    return OpenAPI.from_dict(sandbox_spec(), config=Config(spec_validator_cls=None))


def schema(name: str) -> dict[str, Any]:
    """A component schema of the official spec, by name (e.g. `CustomerApi`)."""
    found: dict[str, Any] = official_spec()["components"]["schemas"][name]
    return found


def served_operations() -> list[tuple[str, str]]:
    """(METHOD, spec path) for every operation of the served subset."""
    return [
        (method.upper(), path)
        for path, item in sandbox_spec()["paths"].items()
        for method in HTTP_METHODS
        if method in item
    ]


def operation_scopes(method: str, spec_path: str) -> tuple[str, ...]:
    """The scopes the spec's description lists for an operation ("Requires any of the following scopes")."""
    operation = sandbox_spec()["paths"][spec_path][method.lower()]
    description = operation.get("description", "")
    _, _, tail = description.partition("Requires any of the following scopes")
    return tuple(_SCOPE_LINE.findall(tail))


def validate_request(method: str, path: str, query: str, body: bytes, content_type: str) -> None:
    """Validate one `/v2` request against the official schema; raise Visma's 400 when it violates it.

    `path` starts with `/v2/`. Operations the spec does not describe are not validated here (routing answers
    them). Missing required properties answer 4002 (NOTES.md: seen for missing mandatory fields); other schema
    violations 2000 DataModelValidationError.
    """
    request = MockRequest(
        VALIDATION_HOST,
        method,
        path,
        args=dict(parse_qsl(query, keep_blank_values=True)),
        data=body or None,
        content_type=content_type or "application/json",
    )
    try:
        openapi().validate_request(request)
    except RequestBodyValidationError as exc:
        raise _body_error(exc) from None
    except MissingRequestBody:
        raise validation_error("A request body is required.") from None
    except RequestParameterError as exc:
        raise validation_error(f"Invalid parameter: {exc}") from None
    except (PathError, SecurityValidationError):
        return


def _body_error(exc: RequestBodyValidationError) -> VismaApiError:
    cause = exc.__cause__
    schema_errors = list(getattr(cause, "schema_errors", None) or [])
    if not schema_errors:
        try:
            message = str(cause or exc)
        except UnicodeDecodeError:  # openapi-core's message embeds the raw body
            message = "the body is not UTF-8 encoded JSON"
        return validation_error(f"The request body is invalid: {message}")
    errors = []
    missing = False
    for error in schema_errors:
        location = ".".join(str(part) for part in error.absolute_path)
        if error.validator == "required":
            missing = True
            name = _missing_property(error.message)
            location = f"{location}.{name}" if location else name
        errors.append(field_error(location or None, error.message, str(error.validator)))
    code = CAN_NOT_BE_CREATED_OR_UPDATED if missing else DATA_MODEL_VALIDATION_ERROR
    summary = "; ".join(f"{e['Field'] or 'body'}: {e['Message']}" for e in errors)
    return validation_error(f"The request body does not follow the schema: {summary}", errors, code)


def _missing_property(message: str) -> str:
    match = re.match(r"'([^']+)' is a required property", message)
    return match.group(1) if match else ""


@functools.cache
def read_only_fields(schema_name: str) -> frozenset[str]:
    """Properties the schema marks `readOnly` (Visma ignores them in request bodies)."""
    properties = schema(schema_name).get("properties", {})
    return frozenset(name for name, prop in properties.items() if prop.get("readOnly"))


def writable(schema_name: str, body: dict[str, Any]) -> dict[str, Any]:
    """The body without the schema's read-only properties."""
    hidden = read_only_fields(schema_name)
    return {key: value for key, value in body.items() if key not in hidden}


def _default_for(prop: dict[str, Any]) -> tuple[bool, Any]:
    kinds = prop.get("type")
    kinds = kinds if isinstance(kinds, list) else [kinds]
    if "null" in kinds:
        return True, None
    defaults = {"boolean": False, "number": 0.0, "integer": 0}
    for kind in kinds:
        if kind in defaults:
            return True, defaults[kind]
    return False, None


@functools.cache
def _defaults(schema_name: str) -> tuple[tuple[str, Any], ...]:
    found = []
    for name, prop in schema(schema_name).get("properties", {}).items():
        known, value = _default_for(prop)
        if known:
            found.append((name, value))
    return tuple(found)


def with_defaults(schema_name: str, resource: dict[str, Any]) -> dict[str, Any]:
    """The resource with every missing scalar property of the schema filled in (null, false or 0), the way
    Visma answers with its full shape."""
    return {**dict(_defaults(schema_name)), **resource}
