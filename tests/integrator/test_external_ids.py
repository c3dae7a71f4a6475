"""External ids: the vendor's own ids on customers, articles and invoices — unique per company, read and upserted
by them."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from tests.api.helpers import Api

LABOUR = {"text": "Arbete", "quantity": "2", "unit_price": "500", "kind": "labour"}


def test_a_customer_is_created_read_and_replaced_by_its_external_id(api: Api) -> None:
    created = api.put("/customers/by-external-id/minuba-c-991", {"name": "Anna Andersson", "city": "Lund"})
    assert created.status_code == 201, created.text
    assert created.json()["external_id"] == "minuba-c-991"
    replaced = api.put("/customers/by-external-id/minuba-c-991", {"name": "Anna Berg", "city": "Malmö"})
    assert replaced.status_code == 200
    assert replaced.json()["id"] == created.json()["id"]
    read = api.get("/customers/by-external-id/minuba-c-991").json()
    assert (read["name"], read["city"]) == ("Anna Berg", "Malmö")
    assert len(api.get("/customers").json()) == 1


def test_an_article_and_an_invoice_by_external_id(api: Api) -> None:
    article = api.put("/articles/by-external-id/a-1", {"number": "EL1", "name": "Elarbete", "unit_price": "650"})
    assert article.status_code == 201
    assert api.get("/articles/by-external-id/a-1").json()["number"] == "EL1"
    customer = api.private_customer()
    body = {"customer_number": customer["customer_number"], "rows": [LABOUR]}
    invoice = api.put("/invoices/by-external-id/order-5531", body)
    assert invoice.status_code == 201, invoice.text
    again = api.put("/invoices/by-external-id/order-5531", {**body, "your_reference": "Per"})
    assert again.status_code == 200
    assert again.json()["id"] == invoice.json()["id"]
    assert api.post(f"/invoices/{invoice.json()['id']}/approve").status_code == 200
    locked = api.put("/invoices/by-external-id/order-5531", body)
    assert locked.status_code == 409
    assert api.get("/invoices/by-external-id/order-5531").json()["status"] == "approved"
    events = api.get("/events").json()["events"]
    assert {e["data"].get("external_id") for e in events if e["type"].startswith("invoice.")} == {"order-5531"}


def test_an_external_id_is_unique_per_company(api: Api, other_api: Api) -> None:
    api.private_customer(external_id="x-1")
    duplicate = api.post("/customers", {"name": "Bertil", "external_id": "x-1"})
    assert duplicate.status_code == 409
    assert duplicate.json()["detail"][0]["type"] == "duplicate_external_id"
    theirs = other_api.post("/customers", {"name": "Bertil", "external_id": "x-1"})
    assert theirs.status_code == 201
    assert other_api.get("/customers/by-external-id/x-1").json()["name"] == "Bertil"


def test_an_unknown_external_id_is_a_404_and_a_mismatch_a_422(api: Api) -> None:
    assert api.get("/customers/by-external-id/finns-inte").status_code == 404
    assert api.get("/invoices/by-external-id/finns-inte").status_code == 404
    mismatch = api.put("/customers/by-external-id/a", {"name": "Anna", "external_id": "b"})
    assert mismatch.status_code == 422
    assert api.get("/customers").json() == []


@pytest.mark.parametrize("external_id", ["x" * 256, "med mellanslag", "å"])
def test_a_malformed_external_id_is_a_422(api: Api, external_id: str) -> None:
    assert api.post("/customers", {"name": "Anna", "external_id": external_id}).status_code == 422
    assert api.put(f"/customers/by-external-id/{external_id}", {"name": "Anna"}).status_code == 422
    assert api.get("/customers").json() == []


def test_a_page_save_keeps_the_external_id(api: Api) -> None:
    created = api.private_customer(external_id="keep-me")
    saved = api.put(f"/customers/{created['id']}", {"name": "Anna Andersson", "city": "Umeå"})
    assert saved.json()["external_id"] == "keep-me"


def test_two_upserts_of_a_new_external_id_at_once_create_one(api: Api) -> None:
    def upsert(_: int) -> int:
        return api.put("/customers/by-external-id/samtidigt", {"name": "Samtidig AB"}).status_code

    with ThreadPoolExecutor(max_workers=4) as pool:
        statuses = list(pool.map(upsert, range(4)))
    assert statuses.count(201) == 1, statuses
    assert set(statuses) <= {200, 201, 409}
    assert len(api.get("/customers").json()) == 1
