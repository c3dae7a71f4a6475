"""From HTML forms to the use cases' inputs, and their errors back to the fields that caused them."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError

from fakturabro.domain.errors import Conflict, ValidationFailed
from fakturabro.domain.swedish_format import read_minus

FormData = Mapping[str, Any]


def text(form: FormData, name: str) -> str | None:
    """A text field, trimmed; None when empty (an empty field means "not given")."""
    value = form.get(name)
    if not isinstance(value, str):
        return None
    value = value.strip()
    return value or None


def checked(form: FormData, name: str) -> bool:
    return form.get(name) in ("on", "true", "1", "yes")


def decimal_text(form: FormData, name: str) -> str | None:
    """A number as typed in Sweden ("1 234,50") in the form pydantic reads ("1234.50")."""
    value = text(form, name)
    if value is None:
        return None
    return read_minus(value).replace("\u00a0", "").replace(" ", "").replace(",", ".")


def _key(loc: Iterable[Any]) -> str:
    parts = list(loc)
    if parts and parts[0] in ("query", "path"):  # where a route parameter came from; a form's is "body"
        parts = parts[1:]
    return ".".join(str(part) for part in parts if part != "body")


def field_errors(error: Exception) -> dict[str, str]:
    """``{"rows.0.quantity": "message"}`` for a domain or input error; ``{"": message}`` for one without a field."""
    found: dict[str, str] = {}
    if isinstance(error, ValidationFailed):
        for item in error.errors:
            found.setdefault(_key(item.loc), item.message)
    elif isinstance(error, ValidationError | RequestValidationError):  # the use cases' input, or a route's
        for detail in error.errors():
            message = str(detail.get("msg", "")).removeprefix("Value error, ")
            found.setdefault(_key(detail.get("loc", ())), _swedish(str(detail.get("type", "")), message))
    elif isinstance(error, Conflict):
        found[_key(error.loc)] = error.message
    return found


_PYDANTIC_SV = {
    "missing": "Fyll i fältet.",
    "string_too_short": "Fyll i fältet.",
    "string_too_long": "Texten är för lång.",
    "string_pattern_mismatch": "Använd bara bokstäver, siffror och . _ / -",
    "decimal_parsing": "Skriv ett tal, till exempel 1 234,50.",
    "decimal_max_places": "För många decimaler.",
    "less_than_equal": "Talet är för stort.",
    "greater_than_equal": "Talet får inte vara negativt.",
    "date_from_datetime_parsing": "Skriv datumet som ÅÅÅÅ-MM-DD.",
    "date_parsing": "Skriv datumet som ÅÅÅÅ-MM-DD.",
    "enum": "Välj ett av alternativen.",
    "literal_error": "Välj ett av alternativen.",
    "too_long": "För många rader.",
    "int_parsing": "Skriv ett heltal.",
    "int_from_float": "Skriv ett heltal.",
    "bool_parsing": "Välj ja eller nej.",
    "string_type": "Skriv en text.",
}


def _swedish(kind: str, message: str) -> str:
    return _PYDANTIC_SV.get(kind, message)
