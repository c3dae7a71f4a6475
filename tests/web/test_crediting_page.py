"""Kreditera from the web app: the whole invoice or chosen rows and quantities, with a reason the credit shows."""

from __future__ import annotations

from decimal import Decimal

from fakturabro.bootstrap import Container
from fakturabro.invoicing import customers, invoices
from fakturabro.invoicing.inputs import CustomerInput, InvoiceInput

from .conftest import User


def _approved_invoice(container: Container, company_id: int) -> int:
    db = container.db
    customer = customers.create_customer(db, company_id, CustomerInput(name="Bygg & Co AB", org_number="556036-0793"))
    draft = invoices.create_invoice(
        db,
        company_id,
        InvoiceInput.model_validate(
            {
                "customer_number": customer.customer_number,
                "rows": [
                    {"kind": "labour", "text": "Montering", "quantity": "4", "unit": "tim", "unit_price": "500"},
                    {"kind": "material", "text": "Kabel", "quantity": "10", "unit": "m", "unit_price": "20"},
                ],
            }
        ),
    )
    return invoices.approve_invoice(db, company_id, draft.id).id


def test_crediting_the_whole_invoice_names_the_original_and_the_reason(user: User, web_container: Container) -> None:
    original_id = _approved_invoice(web_container, user.company.id)
    page = user.get(f"/invoices/{original_id}")
    assert f'href="/invoices/{original_id}/credit"' in page.text

    created = user.post(f"/invoices/{original_id}/credit", {"scope": "all", "reason": "Fel kund fakturerad"})
    assert created.status_code == 303, created.text
    credit_id = int(created.headers["location"].split("/")[2])
    original = invoices.get_invoice(web_container.db, user.company.id, original_id)
    credit = invoices.get_invoice(web_container.db, user.company.id, credit_id)
    assert credit.credit_reason == "Fel kund fakturerad"
    assert credit.credits_invoice_number == original.number
    assert credit.totals.to_pay == -original.totals.to_pay

    approval = user.get(f"/invoices/{credit_id}/approve")
    assert f"Kreditfaktura till faktura {original.number}: Fel kund fakturerad" in approval.text
    assert user.post(f"/invoices/{credit_id}/approve", {}).status_code == 303
    shown = user.get(f"/invoices/{credit_id}")
    assert (
        f'Krediterar <a href="/invoices/{original_id}">faktura {original.number}</a>: Fel kund fakturerad' in shown.text
    )
    credited = invoices.get_invoice(web_container.db, user.company.id, original_id)
    assert credited.status == "credited"
    assert f'href="/invoices/{original_id}/credit"' not in user.get(f"/invoices/{original_id}").text


def test_crediting_chosen_rows_and_quantities(user: User, web_container: Container) -> None:
    original_id = _approved_invoice(web_container, user.company.id)
    form = {"scope": "rows", "reason": "Kabel tillbaka", "row-1": "on", "qty-1": "2,4", "qty-0": "4"}
    created = user.post(f"/invoices/{original_id}/credit", form)
    assert created.status_code == 303, created.text
    credit_id = int(created.headers["location"].split("/")[2])
    credit = invoices.get_invoice(web_container.db, user.company.id, credit_id)
    assert [(row.text, row.quantity) for row in credit.rows] == [("Kabel", Decimal("2.4"))]
    assert credit.totals.to_pay == Decimal("-60.00")  # 2,4 m à 20 kr + 25 % moms, negated
    user.post(f"/invoices/{credit_id}/approve", {})
    original = invoices.get_invoice(web_container.db, user.company.id, original_id)
    assert original.credited == Decimal("60.00")
    assert original.status == "partially_paid"  # partly credited: the rest is still to pay


def test_a_wrong_credit_form_says_what_to_fix_and_writes_nothing(user: User, web_container: Container) -> None:
    original_id = _approved_invoice(web_container, user.company.id)
    before = len(invoices.list_invoices(web_container.db, user.company.id))
    too_many = user.post(
        f"/invoices/{original_id}/credit", {"scope": "rows", "reason": "Retur", "row-1": "on", "qty-1": "11"}
    )
    assert too_many.status_code == 422
    assert "Högst 10 kan krediteras på raden ”Kabel”." in too_many.text
    no_reason = user.post(f"/invoices/{original_id}/credit", {"scope": "all", "reason": ""})
    assert no_reason.status_code == 422
    assert "Skriv varför fakturan krediteras" in no_reason.text
    nothing_chosen = user.post(f"/invoices/{original_id}/credit", {"scope": "rows", "reason": "Retur"})
    assert "Välj minst en rad att kreditera." in nothing_chosen.text
    not_a_number = user.post(
        f"/invoices/{original_id}/credit", {"scope": "rows", "reason": "Retur", "row-0": "on", "qty-0": "två"}
    )
    assert not_a_number.status_code == 422
    assert "Skriv antalet som ska krediteras" in not_a_number.text
    assert len(invoices.list_invoices(web_container.db, user.company.id)) == before


def test_credits_together_never_exceed_the_invoice(user: User, web_container: Container) -> None:
    original_id = _approved_invoice(web_container, user.company.id)
    first = user.post(
        f"/invoices/{original_id}/credit", {"scope": "rows", "reason": "Del", "row-0": "on", "qty-0": "4"}
    )
    user.post(f"/invoices/{int(first.headers['location'].split('/')[2])}/approve", {})
    again = user.post(f"/invoices/{original_id}/credit", {"scope": "all", "reason": "Allt"})
    assert again.status_code == 422
    assert "större än det som finns kvar att kreditera" in again.text


def test_another_companys_invoice_cannot_be_credited(user: User, other_user: User, web_container: Container) -> None:
    original_id = _approved_invoice(web_container, user.company.id)
    assert other_user.get(f"/invoices/{original_id}/credit").status_code == 404
    assert other_user.post(f"/invoices/{original_id}/credit", {"scope": "all", "reason": "x"}).status_code == 404
