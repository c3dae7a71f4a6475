"""A small book of invoices for the list's search, the customer page and the browser tests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from fakturabro.bootstrap import Container
from fakturabro.invoicing import customers, invoices
from fakturabro.invoicing.inputs import CustomerInput, InvoiceInput


@dataclass(frozen=True)
class Book:
    customer_id: int
    other_customer_id: int
    overdue_id: int  # Åkesson's, approved, due 2026-10-31 (before the test clock's 2026-11-24)
    current_id: int  # Åkesson's, approved, due in December
    draft_id: int  # Bygg AB's draft
    overdue_number: int


def make_invoice(container: Container, company_id: int, customer_number: str, text: str, price: str, day: str) -> int:
    data = {
        "customer_number": customer_number,
        "invoice_date": day,
        "rows": [{"kind": "material", "text": text, "quantity": "1", "unit": "st", "unit_price": price}],
    }
    return invoices.create_invoice(container.db, company_id, InvoiceInput.model_validate(data)).id


def make_book(container: Container, company_id: int) -> Book:
    db = container.db
    person = customers.create_customer(
        db, company_id, CustomerInput(name="Åsa Åkesson", email="asa@example.se", city="Malmö")
    )
    firm = customers.create_customer(db, company_id, CustomerInput(name="Bygg AB", org_number="556036-0793"))
    overdue = make_invoice(container, company_id, person.customer_number, "Takreparation", "1000", "2026-10-01")
    current = make_invoice(container, company_id, person.customer_number, "Byte av kran", "400", "2026-11-20")
    draft = make_invoice(container, company_id, firm.customer_number, "Offert altan", "2000", "2026-11-22")
    approved = invoices.approve_invoice(db, company_id, overdue)
    invoices.approve_invoice(db, company_id, current)
    assert approved.due_date == date(2026, 10, 31)
    assert approved.number is not None
    return Book(person.id, firm.id, overdue, current, draft, approved.number)
