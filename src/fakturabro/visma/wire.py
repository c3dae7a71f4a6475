"""JSON on the wire with exact money: numbers are read as Decimal and Decimals are written as JSON numbers.

The standard library would turn 0.1 into a binary float on the way in and refuse Decimal on the way out;
pydantic writes Decimal as a string. Visma expects numbers, and we never let a float touch an amount.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any
from uuid import UUID


def loads(data: bytes | str) -> Any:
    return json.loads(data, parse_float=Decimal)


def _scalar(value: Any) -> str:
    if isinstance(value, bool) or value is None or isinstance(value, str | int):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError("Visma cannot take a non-finite number")
        text = format(value, "f")
        return text if text not in {"-0", "-0.0"} else "0"
    if isinstance(value, UUID):
        return f'"{value}"'
    if isinstance(value, datetime | date):
        return json.dumps(value.isoformat())
    if isinstance(value, Enum):
        return _scalar(value.value)
    if isinstance(value, float):
        raise TypeError("float in a Visma payload; amounts must be Decimal")
    raise TypeError(f"cannot encode {type(value).__name__} for Visma")


def dumps(value: Any) -> str:
    """Encode dicts, lists and scalars; Decimal keeps every digit it has."""
    if isinstance(value, dict):
        items = (f"{json.dumps(str(key), ensure_ascii=False)}:{dumps(item)}" for key, item in value.items())
        return "{" + ",".join(items) + "}"
    if isinstance(value, list | tuple):
        return "[" + ",".join(dumps(item) for item in value) + "]"
    return _scalar(value)
