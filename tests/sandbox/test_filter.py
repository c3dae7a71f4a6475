"""The OData `$filter` subset, `$orderby` and the `Data`/`Meta` envelope, on plain values."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fakturabro.sandbox.deps import ListParams, apply_filter, apply_orderby, compile_filter, paginate
from fakturabro.sandbox.errors import VismaApiError

numbers = st.text(alphabet="0123456789ABCab'", min_size=1, max_size=6)
rows = st.lists(
    st.fixed_dictionaries({"CustomerNumber": numbers, "Amount": st.integers(-5, 5), "IsActive": st.booleans()}),
    max_size=12,
)


def quoted(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


@given(rows, numbers)
def test_eq_on_strings_matches_case_insensitively(items: list[dict[str, Any]], wanted: str) -> None:
    found = apply_filter(items, f"CustomerNumber eq {quoted(wanted)}")
    assert found == [row for row in items if row["CustomerNumber"].lower() == wanted.lower()]


@given(rows, st.integers(-5, 5), st.booleans())
def test_and_or_not_follow_boolean_logic(items: list[dict[str, Any]], limit: int, active: bool) -> None:
    flag = "true" if active else "false"
    both = apply_filter(items, f"Amount ge {limit} and IsActive eq {flag}")
    assert both == [row for row in items if row["Amount"] >= limit and row["IsActive"] == active]
    either = apply_filter(items, f"(Amount lt {limit}) or not (IsActive eq {flag})")
    assert either == [row for row in items if row["Amount"] < limit or row["IsActive"] != active]


def test_dates_compare_as_instants() -> None:
    items = [{"ChangedUtc": "2026-03-01T10:00:00.000000Z"}, {"ChangedUtc": "2026-03-01T12:00:00Z"}]
    assert apply_filter(items, "ChangedUtc gt '2026-03-01T11:00:00+00:00'") == items[1:]
    assert apply_filter(items, "ChangedUtc le datetime'2026-03-01T10:00:00'") == items[:1]


@pytest.mark.parametrize("expression", ["Name eq", "eq 'x'", "Name like 'x'", "Name eq 'x' and", "(Name eq 'x'"])
def test_malformed_filters_are_refused(expression: str) -> None:
    with pytest.raises(VismaApiError) as raised:
        compile_filter(expression)
    assert raised.value.status_code == 400
    assert raised.value.error_code == 2000


def test_unknown_field_is_refused_when_fields_are_given() -> None:
    with pytest.raises(VismaApiError):
        compile_filter("Nope eq 1", {"Name"})


def test_orderby_and_pagination() -> None:
    items = [{"Number": "3"}, {"Number": "1"}, {"Number": None}, {"Number": "2"}]
    assert [row["Number"] for row in apply_orderby(items, "Number desc")] == ["3", "2", "1", None]
    page = paginate(apply_orderby(items, "Number"), ListParams(page=2, pagesize=3, filter=None, orderby=None))
    assert page["Data"] == [{"Number": None}]
    assert page["Meta"]["TotalNumberOfPages"] == 2
    assert page["Meta"]["TotalNumberOfResults"] == 4
    empty = paginate([], 1, 50, "2026-03-02T09:00:00Z")
    assert empty["Meta"]["TotalNumberOfPages"] == 0
    assert empty["Data"] == []
