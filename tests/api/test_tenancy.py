"""Tenant isolation: a company's token never sees or changes another company's data."""

from __future__ import annotations

from .helpers import Api


def test_company_b_gets_404_on_everything_of_company_a(api: Api, other_api: Api) -> None:
    customer = api.private_customer()
    article = api.created("/articles", {"number": "8000", "name": "Montör", "unit_price": "650"})
    invoice = api.approved(customer)
    draft = api.draft(customer)

    for path in (
        f"/customers/{customer['id']}",
        f"/articles/{article['id']}",
        f"/invoices/{invoice['id']}",
        f"/invoices/{invoice['id']}/payments",
    ):
        assert other_api.get(path).status_code == 404, path
    assert other_api.put(f"/customers/{customer['id']}", {"name": "Kapad"}).status_code == 404
    assert (
        other_api.put(f"/articles/{article['id']}", {"number": "1", "name": "x", "unit_price": "1"}).status_code == 404
    )
    assert other_api.post(f"/invoices/{draft['id']}/approve").status_code == 404
    assert other_api.delete(f"/invoices/{draft['id']}").status_code == 404
    assert other_api.post(f"/invoices/{invoice['id']}/credit").status_code == 404
    assert other_api.post(f"/invoices/{invoice['id']}/payments", {"amount": "1"}).status_code == 404
    assert api.get(f"/invoices/{draft['id']}").json()["status"] == "draft"
    assert api.get(f"/customers/{customer['id']}").json()["name"] == customer["name"]


def test_lists_never_show_another_companys_data(api: Api, other_api: Api) -> None:
    customer = api.private_customer()
    api.created("/articles", {"number": "8000", "name": "Montör", "unit_price": "650"})
    api.approved(customer)

    assert other_api.get("/customers").json() == []
    assert other_api.get("/articles").json() == []
    assert other_api.get("/invoices").json() == []
    assert other_api.get("/invoices", params={"customer_number": customer["customer_number"]}).json() == []


def test_b_cannot_invoice_a_customer_or_article_of_a(api: Api, other_api: Api) -> None:
    customer = api.private_customer(customer_number="A-1")
    api.created("/articles", {"number": "A-ART", "name": "Montör", "unit_price": "650"})
    other_customer = other_api.private_customer()

    response = other_api.post("/invoices", {"customer_number": "A-1", "rows": [{"text": "x", "quantity": "1"}]})
    assert response.status_code == 422
    response = other_api.post(
        "/invoices", {"customer_number": other_customer["customer_number"], "rows": [{"article_number": "A-ART"}]}
    )
    assert response.status_code == 422
    assert customer["customer_number"] == "A-1"


def test_each_company_has_its_own_number_series(api: Api, other_api: Api) -> None:
    assert api.approved(api.private_customer())["number"] == 1
    assert other_api.approved(other_api.private_customer())["number"] == 1
    assert api.approved(api.private_customer())["number"] == 2


def test_the_same_customer_number_may_exist_in_two_companies(api: Api, other_api: Api) -> None:
    api.private_customer(customer_number="100")
    assert other_api.post("/customers", {"name": "B", "customer_number": "100"}).status_code == 201


def test_requests_without_a_valid_token_are_401(api: Api) -> None:
    assert api.client.get("/api/v1/customers").status_code == 401
    bad = api.client.get("/api/v1/customers", headers={"Authorization": "Bearer fb_not-a-token"})
    assert bad.status_code == 401
    assert bad.headers["WWW-Authenticate"] == "Bearer"
