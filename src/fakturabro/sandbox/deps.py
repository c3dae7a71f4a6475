"""FastAPI dependencies shared by every sandbox resource: state, authentication, pagination, `$filter`.

Resource routers use them like this::

    @router.get("/customers")
    async def list_customers(
        company: Annotated[CompanyState, Depends(company_for("ea:sales", "ea:sales_readonly"))],
        listing: Annotated[ListParams, Depends(list_params)],
        state: StateDep,
    ) -> dict[str, Any]:
        return paginate(apply_filter(company.customers.values(), listing.filter), listing, state.timestamp())

`company_for` authenticates the bearer token, checks its scopes against the ones the spec lists for the
operation, checks the company's app activation and validates the request against the official schema; so a
handler only ever sees requests Visma would have accepted up to its business rules.

Handlers should be `async def` and must not await between reading and writing state: the event loop then
serialises them. Mutations still take `state.lock` because control calls and tests may touch the state from
other threads.
"""

from __future__ import annotations

import math
import re
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

from fastapi import Depends, Request

from fakturabro.sandbox import spec
from fakturabro.sandbox.errors import (
    COMPANY_NOT_ACTIVE,
    DATA_MODEL_VALIDATION_ERROR,
    NO_ACCESS_TO_SCOPES,
    VismaApiError,
    forbidden,
    unauthorized,
    validation_error,
)
from fakturabro.sandbox.state import CompanyState, SandboxState, parse_utc

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 1000  # (unconfirmed) larger page sizes are capped, not rejected


def get_state(request: Request) -> SandboxState:
    state: SandboxState = request.app.state.sandbox
    return state


StateDep = Annotated[SandboxState, Depends(get_state)]


@dataclass(frozen=True)
class TokenInfo:
    token: str
    company_id: str
    client_id: str
    scopes: tuple[str, ...]


def bearer_token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    return value.strip()


def authenticate(state: SandboxState, token: str | None) -> TokenInfo:
    """Resolve a bearer token; missing, unknown or expired tokens answer Visma's 401 (4005)."""
    if token is None:
        raise unauthorized()
    with state.lock:
        record = state.access_tokens.get(token)
        if record is None:
            raise unauthorized()
        if parse_utc(record["expires_at"]) <= state.now():
            raise unauthorized("AuthorizationException - The access token has expired.")
        return TokenInfo(token, record["company_id"], record["client_id"], tuple(record["scopes"]))


def app_path(request: Request) -> str:
    """The request path relative to the sandbox app, also when it is mounted under a prefix."""
    path: str = request.scope["path"]
    root_path: str = request.scope.get("root_path", "")
    if root_path and path.startswith(root_path):
        path = path[len(root_path) :]
    return path or "/"


def company_for(*scopes: str, require_active_app: bool = True) -> Callable[[Request], Awaitable[CompanyState]]:
    """Dependency: the company of the bearer token, for an operation that accepts any of `scopes`.

    Every API call needs `ea:api` as well. A token without an accepted scope answers 403 (4006,
    NoAccessToScopes); a company that has not activated the integration app answers 403 (unconfirmed code:
    4004 CompanyNotActive) unless `require_active_app` is False (as for `GET /appstore/status`).
    """

    async def dependency(request: Request) -> CompanyState:
        state = get_state(request)
        info = authenticate(state, bearer_token(request))
        request.state.token_info = info
        granted = set(info.scopes)
        if "ea:api" not in granted or (scopes and not granted.intersection(scopes)):
            needed = ", ".join(scopes)
            raise forbidden(
                NO_ACCESS_TO_SCOPES, f"The access token lacks the scopes for this call (ea:api and one of: {needed})."
            )
        company = state.company(info.company_id)
        if company is None:
            raise unauthorized("AuthorizationException - The company of this token no longer exists.")
        if require_active_app and company.app_status.get("ActivationStatus") != 0:
            raise forbidden(
                COMPANY_NOT_ACTIVE,
                "The integration app 'Visma Integration' is not activated for this company (Apps and integrations).",
            )
        body = await request.body()
        spec.validate_request(
            request.method,
            app_path(request),
            request.url.query,
            body,
            request.headers.get("content-type", "application/json"),
        )
        return company

    return dependency


# -- pagination -------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ListParams:
    page: int
    pagesize: int
    filter: str | None
    orderby: str | None


def _int_param(request: Request, name: str, default: int) -> int:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise validation_error(f"The query parameter {name} must be an integer.") from None


def list_params(request: Request) -> ListParams:
    """`$page` (1-based), `$pagesize` (default 50), `$filter` and `$orderby` from the query string."""
    page = _int_param(request, "$page", 1)
    pagesize = _int_param(request, "$pagesize", DEFAULT_PAGE_SIZE)
    if page < 1 or pagesize < 1:
        raise validation_error("$page and $pagesize must be positive.")
    return ListParams(
        page=page,
        pagesize=min(pagesize, MAX_PAGE_SIZE),
        filter=request.query_params.get("$filter") or None,
        orderby=request.query_params.get("$orderby") or None,
    )


ListDep = Annotated[ListParams, Depends(list_params)]


def paginate(
    items: Iterable[dict[str, Any]], page: int | ListParams, pagesize: int | None = None, server_time: str = ""
) -> dict[str, Any]:
    """Visma's `{"Meta": {...}, "Data": [...]}` envelope for one page of `items`.

    Call as `paginate(items, page, pagesize, server_time)` or `paginate(items, listing, server_time=...)`.
    """
    if isinstance(page, ListParams):
        number, size = page.page, page.pagesize
    else:
        number, size = page, pagesize or DEFAULT_PAGE_SIZE
    rows = list(items)
    start = (number - 1) * size
    return {
        "Meta": {
            "CurrentPage": number,
            "PageSize": size,
            "TotalNumberOfPages": math.ceil(len(rows) / size) if rows else 0,
            "TotalNumberOfResults": len(rows),
            "ServerTimeUtc": server_time,
        },
        "Data": rows[start : start + size],
    }


def apply_orderby(items: Iterable[dict[str, Any]], orderby: str | None) -> list[dict[str, Any]]:
    """`$orderby=Field` or `Field desc` (single field); unknown fields sort as missing (unconfirmed)."""
    rows = list(items)
    if not orderby:
        return rows
    field_name, _, direction = orderby.strip().partition(" ")
    descending = direction.strip().lower() == "desc"
    present = [row for row in rows if row.get(field_name) is not None]
    missing = [row for row in rows if row.get(field_name) is None]
    present.sort(key=lambda row: _sort_key(row[field_name]), reverse=descending)
    return present + missing


def _sort_key(value: Any) -> Any:
    return str(value).lower() if isinstance(value, str) else value


# -- $filter ----------------------------------------------------------------------------------------------------
_TOKEN = re.compile(
    r"\s*(?:(?P<lparen>\()|(?P<rparen>\))|(?P<string>'(?:[^']|'')*')"
    r"|(?P<datetime>datetime'[^']*')|(?P<number>-?\d+(?:\.\d+)?)|(?P<word>[A-Za-z_][A-Za-z0-9_./]*))"
)
_COMPARISONS = {"eq", "ne", "gt", "ge", "lt", "le"}
Predicate = Callable[[dict[str, Any]], bool]


def apply_filter(
    items: Iterable[dict[str, Any]], expression: str | None, fields: Iterable[str] | None = None
) -> list[dict[str, Any]]:
    """Keep the items matching an OData `$filter` (see `compile_filter`)."""
    rows = list(items)
    if not expression:
        return rows
    predicate = compile_filter(expression, set(fields) if fields is not None else None)
    return [row for row in rows if predicate(row)]


def compile_filter(expression: str, fields: set[str] | None = None) -> Predicate:
    """Compile the OData subset Visma's clients use: `Field eq 'value'`, `Field eq 123`, `true/false/null`,
    `ne gt ge lt le`, `and`, `or`, `not`... and parentheses. Date-time strings compare as instants.
    Unknown fields (when `fields` is given) and syntax errors answer 400 (2000).
    """
    tokens = _tokenize(expression)
    parser = _FilterParser(tokens, fields)
    predicate = parser.parse_or()
    if parser.position != len(tokens):
        raise _filter_error(expression)
    return predicate


def _filter_error(expression: str) -> VismaApiError:
    return VismaApiError(400, DATA_MODEL_VALIDATION_ERROR, f"Invalid $filter: {expression}")


def _tokenize(expression: str) -> list[tuple[str, str]]:
    tokens: list[tuple[str, str]] = []
    position = 0
    while position < len(expression):
        if expression[position:].strip() == "":
            break
        match = _TOKEN.match(expression, position)
        if match is None or match.lastgroup is None:
            raise _filter_error(expression)
        tokens.append((match.lastgroup, match.group(match.lastgroup)))
        position = match.end()
    return tokens


class _FilterParser:
    def __init__(self, tokens: list[tuple[str, str]], fields: set[str] | None) -> None:
        self.tokens = tokens
        self.position = 0
        self.fields = fields

    def _peek_word(self) -> str | None:
        if self.position < len(self.tokens) and self.tokens[self.position][0] == "word":
            return self.tokens[self.position][1].lower()
        return None

    def _take(self) -> tuple[str, str]:
        if self.position >= len(self.tokens):
            raise _filter_error(" ".join(value for _, value in self.tokens))
        token = self.tokens[self.position]
        self.position += 1
        return token

    def parse_or(self) -> Predicate:
        left = self.parse_and()
        while self._peek_word() == "or":
            self.position += 1
            right = self.parse_and()
            left = _either(left, right)
        return left

    def parse_and(self) -> Predicate:
        left = self.parse_unary()
        while self._peek_word() == "and":
            self.position += 1
            right = self.parse_unary()
            left = _both(left, right)
        return left

    def parse_unary(self) -> Predicate:
        if self._peek_word() == "not":
            self.position += 1
            inner = self.parse_unary()
            return lambda row: not inner(row)
        kind, value = self._take()
        if kind == "lparen":
            inner = self.parse_or()
            if self._take()[0] != "rparen":
                raise _filter_error(value)
            return inner
        if kind != "word":
            raise _filter_error(value)
        field_name = value
        if self.fields is not None and field_name not in self.fields:
            raise VismaApiError(400, DATA_MODEL_VALIDATION_ERROR, f"Filtering on {field_name} is not supported.")
        operator = self._take()[1].lower()
        if operator not in _COMPARISONS:
            raise _filter_error(operator)
        literal = _literal(*self._take())
        return _comparison(field_name, operator, literal)


def _either(left: Predicate, right: Predicate) -> Predicate:
    return lambda row: left(row) or right(row)


def _both(left: Predicate, right: Predicate) -> Predicate:
    return lambda row: left(row) and right(row)


def _literal(kind: str, value: str) -> Any:
    if kind == "string":
        return value[1:-1].replace("''", "'")
    if kind == "datetime":
        return value[len("datetime'") : -1]
    if kind == "number":
        return float(value) if "." in value else int(value)
    if kind == "word" and value.lower() in ("true", "false"):
        return value.lower() == "true"
    if kind == "word" and value.lower() == "null":
        return None
    raise _filter_error(value)


def _as_instant(value: Any) -> datetime | None:
    if not isinstance(value, str) or not re.match(r"^\d{4}-\d{2}-\d{2}", value):
        return None
    try:
        return parse_utc(value)
    except ValueError:
        return None


def _comparison(field_name: str, operator: str, literal: Any) -> Predicate:
    def predicate(row: dict[str, Any]) -> bool:
        actual = row.get(field_name)
        expected = literal
        left_instant, right_instant = _as_instant(actual), _as_instant(expected)
        if left_instant is not None and right_instant is not None:
            actual, expected = left_instant, right_instant
        elif isinstance(actual, str) and isinstance(expected, str):
            actual, expected = actual.lower(), expected.lower()  # Visma's filters are case-insensitive
        if operator == "eq":
            return bool(actual == expected)
        if operator == "ne":
            return bool(actual != expected)
        if actual is None or expected is None:
            return False
        try:
            if operator == "gt":
                return bool(actual > expected)
            if operator == "ge":
                return bool(actual >= expected)
            if operator == "lt":
                return bool(actual < expected)
            return bool(actual <= expected)
        except TypeError:
            return False

    return predicate
