"""Payments and credit invoices settle an invoice: partially paid, paid, credited."""

from __future__ import annotations

from .helpers import PRIVATE_PNR, Api, error_types

ROT_ROW = {"text": "Elarbete", "quantity": "10", "unit_price": "650", "kind": "labour", "house_work_type": "el"}


def test_partial_then_full_payment(api: Api) -> None:
    invoice = api.approved(api.private_customer())  # to pay 1 250.00
    first = api.post(f"/invoices/{invoice['id']}/payments", {"amount": "500.00", "payment_date": "2026-03-10"})
    assert first.status_code == 201, first.text
    assert first.json()["status"] == "partially_paid"
    assert first.json()["remaining"] == "750.00"
    second = api.post(f"/invoices/{invoice['id']}/payments", {"amount": "750", "source": "visma", "external_id": "v-1"})
    assert second.json()["status"] == "paid"
    assert second.json()["paid"] == "1250.00"
    assert second.json()["remaining"] == "0.00"
    payments = api.get(f"/invoices/{invoice['id']}/payments").json()
    assert [(p["amount"], p["source"]) for p in payments] == [("500.00", "manual"), ("750.00", "visma")]


def test_a_payment_with_a_known_external_id_is_registered_once(api: Api) -> None:
    invoice = api.approved(api.private_customer())
    assert api.post(f"/invoices/{invoice['id']}/payments", {"amount": "100", "external_id": "x"}).status_code == 201
    again = api.post(f"/invoices/{invoice['id']}/payments", {"amount": "100", "external_id": "x"})
    assert again.status_code == 409
    assert api.get(f"/invoices/{invoice['id']}").json()["paid"] == "100.00"


def test_bad_payments(api: Api) -> None:
    customer = api.private_customer()
    draft = api.draft(customer)
    invoice = api.approved(customer)
    assert api.post(f"/invoices/{draft['id']}/payments", {"amount": "1"}).status_code == 409
    for amount in ("0", "-5", "1.001", "1e20"):
        response = api.post(f"/invoices/{invoice['id']}/payments", {"amount": amount})
        assert response.status_code == 422, amount
    assert api.post(f"/invoices/{invoice['id']}/payments", {"amount": "1", "source": "bank"}).status_code == 422
    assert api.get(f"/invoices/{invoice['id']}").json()["status"] == "approved"


def test_credit_invoice_mirrors_the_original_and_settles_it(api: Api) -> None:
    customer = api.private_customer()
    house_work = {
        "type": "rot",
        "persons": [{"personal_number": PRIVATE_PNR, "share": "100"}],
        "property_designation": "Malmö Kungsten 3:12",
    }
    original = api.approved(customer, rows=[ROT_ROW], house_work=house_work)

    response = api.post(f"/invoices/{original['id']}/credit")
    assert response.status_code == 201, response.text
    credit = response.json()
    assert credit["status"] == "draft"
    assert credit["is_credit"] is True
    assert credit["credits_invoice_id"] == original["id"]
    assert credit["rows"] == original["rows"]
    for key in ("net", "total", "house_work_deduction", "to_pay"):
        assert credit["totals"][key] == "-" + original["totals"][key], key

    approved = api.post(f"/invoices/{credit['id']}/approve").json()
    assert approved["number"] == original["number"] + 1
    settled = api.get(f"/invoices/{original['id']}").json()
    assert settled["status"] == "credited"
    assert settled["credited"] == original["totals"]["to_pay"]
    assert settled["remaining"] == "0.00"
    assert settled["credited_by"] == [credit["id"]]


def test_credit_can_be_approved_at_once(api: Api) -> None:
    original = api.approved(api.private_customer())
    credit = api.post(f"/invoices/{original['id']}/credit", {"approve": True}).json()
    assert credit["status"] == "approved"
    assert credit["number"] is not None
    assert api.get(f"/invoices/{original['id']}").json()["status"] == "credited"


def test_credit_invoice_through_post_invoices(api: Api) -> None:
    customer = api.private_customer()
    original = api.approved(customer)
    body = {"credits_invoice_id": original["id"], "rows": [{"text": "Delkredit", "quantity": "1", "unit_price": "200"}]}
    credit = api.created("/invoices", body)
    assert credit["totals"]["to_pay"] == "-250.00"
    api.post(f"/invoices/{credit['id']}/approve")
    assert api.get(f"/invoices/{original['id']}").json()["status"] == "partially_paid"


def test_what_cannot_be_credited(api: Api) -> None:
    customer = api.private_customer()
    draft = api.draft(customer)
    assert api.post(f"/invoices/{draft['id']}/credit").status_code == 409
    original = api.approved(customer)
    credit = api.post(f"/invoices/{original['id']}/credit", {"approve": True}).json()
    response = api.post(f"/invoices/{credit['id']}/credit")
    assert response.status_code == 409
    assert "credit_of_credit" in error_types(response)
    assert api.post(f"/invoices/{credit['id']}/payments", {"amount": "1"}).status_code == 409
