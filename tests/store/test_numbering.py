"""Invoice numbers: sequential per company, no gaps after a failed approval, distinct under concurrency."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest
from tests.company_details import create_company_with_details

from fakturabro.bootstrap import Container
from fakturabro.domain.errors import Conflict, ValidationFailed
from fakturabro.invoicing import customers, invoices
from fakturabro.invoicing.inputs import CustomerInput, InvoiceInput

ROW = {"text": "Arbete", "quantity": "1", "unit_price": "100"}


def _company_with_customer(container: Container) -> tuple[int, CustomerInput]:
    company = create_company_with_details(container.db, f"Serie {uuid.uuid4().hex[:10]}")
    customer = CustomerInput(name="Kund", personal_number="19811218-9876")
    customers.create_customer(container.db, company.id, customer)
    return company.id, customer


def _draft(container: Container, company_id: int) -> int:
    data = InvoiceInput.model_validate({"customer_number": "1", "rows": [ROW]})
    return invoices.create_invoice(container.db, company_id, data).id


def test_numbers_are_sequential_and_a_second_approval_is_a_conflict(container: Container) -> None:
    company_id, _ = _company_with_customer(container)
    first = invoices.approve_invoice(container.db, company_id, _draft(container, company_id))
    second = invoices.approve_invoice(container.db, company_id, _draft(container, company_id))
    with pytest.raises(Conflict):
        invoices.approve_invoice(container.db, company_id, first.id)
    third = invoices.approve_invoice(container.db, company_id, _draft(container, company_id))
    assert (first.number, second.number, third.number) == (1, 2, 3)


def _customer_id(container: Container, company_id: int) -> int:
    return customers.list_customers(container.db, company_id)[0].id


def _company_customer() -> CustomerInput:
    return CustomerInput(name="Kund AB", org_number="556036-0793", customer_number="1")


def test_a_rejected_approval_does_not_consume_a_number(container: Container) -> None:
    company_id, _ = _company_with_customer(container)
    rot_row = {**ROW, "kind": "labour", "house_work_type": "el"}
    house_work = {"type": "rot", "persons": [{"personal_number": "19811218-9876"}], "property_designation": "X 1:1"}
    data = InvoiceInput.model_validate({"customer_number": "1", "rows": [rot_row], "house_work": house_work})
    rot_draft = invoices.create_invoice(container.db, company_id, data).id
    customers.update_customer(container.db, company_id, _customer_id(container, company_id), _company_customer())
    with pytest.raises(ValidationFailed):
        invoices.approve_invoice(container.db, company_id, rot_draft)
    approved = invoices.approve_invoice(container.db, company_id, _draft(container, company_id))
    assert approved.number == 1


def test_concurrent_approvals_get_distinct_consecutive_numbers(container: Container) -> None:
    company_id, _ = _company_with_customer(container)
    drafts = [_draft(container, company_id) for _ in range(24)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        approved = list(pool.map(lambda i: invoices.approve_invoice(container.db, company_id, i), drafts))
    assert sorted(invoice.number or 0 for invoice in approved) == list(range(1, 25))


def test_concurrent_double_approval_approves_once(container: Container) -> None:
    company_id, _ = _company_with_customer(container)
    draft = _draft(container, company_id)

    def attempt(_: int) -> str:
        try:
            invoices.approve_invoice(container.db, company_id, draft)
        except Conflict:
            return "conflict"
        return "approved"

    with ThreadPoolExecutor(max_workers=6) as pool:
        outcomes = list(pool.map(attempt, range(6)))
    assert sorted(outcomes) == ["approved"] + ["conflict"] * 5
    assert invoices.get_invoice(container.db, company_id, draft).number == 1


def test_on_approved_hooks_run_after_commit(container: Container) -> None:
    company_id, _ = _company_with_customer(container)
    draft = _draft(container, company_id)
    seen: list[tuple[int, int, str]] = []

    def hook(company: int, invoice_id: int) -> None:
        seen.append((company, invoice_id, invoices.get_invoice(container.db, company, invoice_id).status))

    def broken(company: int, invoice_id: int) -> None:
        raise RuntimeError("export could not start")

    invoices.approve_invoice(container.db, company_id, draft, [broken, hook])
    assert seen == [(company_id, draft, "approved")]
    assert invoices.get_invoice(container.db, company_id, draft).totals.to_pay == Decimal("125.00")
