"""The customer page: details, edit, the customer's invoices, what they owe and what of it is overdue."""

from __future__ import annotations

import re
from decimal import Decimal

from fakturabro.bootstrap import Container
from fakturabro.invoicing import payments
from fakturabro.invoicing.inputs import PaymentInput

from .conftest import User
from .invoice_samples import make_book


def test_the_customer_page_shows_invoices_and_open_amounts(user: User, web_container: Container) -> None:
    book = make_book(web_container, user.company.id)
    payments.register_payment(
        web_container.db, user.company.id, book.overdue_id, PaymentInput(amount=Decimal("250"), payment_date=None)
    )
    page = user.get(f"/customers/{book.customer_id}")
    assert page.status_code == 200
    assert "<h1>Åsa Åkesson</h1>" in page.text
    assert re.search(r'id="unpaid">1\xa0500,00\xa0kr<', page.text), page.text  # 1 000 left + 500
    assert re.search(r'id="overdue-total" class="text-bad">1\xa0000,00\xa0kr<', page.text)
    assert f'data-overdue="{book.overdue_id}"' in page.text
    assert {int(i) for i in re.findall(r'href="/invoices/(\d+)"', page.text)} == {book.overdue_id, book.current_id}
    assert f'href="/customers/{book.customer_id}/edit"' in page.text
    assert f'href="/customers/{book.customer_id}"' in user.get("/customers").text


def test_editing_returns_to_the_customer_page(user: User, web_container: Container) -> None:
    book = make_book(web_container, user.company.id)
    form = {"customer_number": "2", "name": "Bygg AB", "org_number": "556036-0793", "einvoice_address": "7365560360793"}
    saved = user.post(f"/customers/{book.other_customer_id}/edit", form)
    assert saved.status_code == 303
    assert saved.headers["location"] == f"/customers/{book.other_customer_id}?sparad=1"
    page = user.get(saved.headers["location"])
    assert "Kunden är sparad." in page.text
    assert "7365560360793" in page.text
    assert "Inga fakturor" not in page.text  # its draft is listed


def test_another_companys_customer_is_not_found(user: User, other_user: User, web_container: Container) -> None:
    book = make_book(web_container, user.company.id)
    assert other_user.get(f"/customers/{book.customer_id}").status_code == 404
