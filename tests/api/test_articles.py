"""The article register through the REST API."""

from __future__ import annotations

import pytest

from .helpers import Api, error_locs


def test_create_and_read_an_article(api: Api) -> None:
    body = {"number": "8000", "name": "Montör", "unit": "tim", "unit_price": "650", "vat_rate": 25, "kind": "labour"}
    created = api.created("/articles", {**body, "house_work_type": "el"})
    assert created["unit_price"] == "650.00"
    assert created["vat_rate"] == "25"
    assert created["house_work_type"] == "el"
    assert api.get(f"/articles/{created['id']}").json() == created
    assert [a["number"] for a in api.get("/articles").json()] == ["8000"]


def test_duplicate_article_number_is_a_conflict(api: Api) -> None:
    api.created("/articles", {"number": "100", "name": "Kabel", "unit_price": "10"})
    response = api.post("/articles", {"number": "100", "name": "Kabel 2", "unit_price": "10"})
    assert response.status_code == 409


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"unit_price": "-1"}, "unit_price"),
        ({"unit_price": "1e30"}, "unit_price"),
        ({"unit_price": "1.001"}, "unit_price"),
        ({"unit_price": "NaN"}, "unit_price"),
        ({"vat_rate": 13}, "vat_rate"),
        ({"kind": "service"}, "kind"),
        ({"house_work_type": "trolleri"}, "house_work_type"),
        ({"name": "x" * 201}, "name"),
        ({"number": ""}, "number"),
    ],
)
def test_bad_article_fields(api: Api, fields: dict[str, object], field: str) -> None:
    response = api.post("/articles", {"number": "1", "name": "Sak", "unit_price": "1", **fields})
    assert response.status_code == 422
    assert ["body", field] in error_locs(response)
