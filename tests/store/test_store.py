"""Storage: exact money on every backend, personnummer encrypted at rest, migrations."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest
from sqlalchemy import select, text
from tests.company_details import create_company_with_details

from fakturabro.bootstrap import Container
from fakturabro.invoicing import customers, invoices
from fakturabro.invoicing.companies import create_company
from fakturabro.invoicing.inputs import CustomerInput, InvoiceInput
from fakturabro.store.migrate import is_up_to_date, upgrade
from fakturabro.store.models import Article, Company


@pytest.mark.parametrize("price", ["0.01", "0.10", "1234567.89", "99999999.99", "100000000.00"])
def test_money_round_trips_exactly(container: Container, price: str) -> None:
    company = create_company_with_details(container.db, f"Pengar {uuid.uuid4().hex[:10]}")
    with container.db.transaction() as session:
        article = Article(
            company_id=company.id,
            number="1",
            name="x",
            unit="st",
            unit_price=Decimal(price),
            vat_rate=Decimal(25),
            kind="material",
            created_at=container.clock(),
            updated_at=container.clock(),
        )
        session.add(article)
        session.flush()
        article_id = article.id
    with container.db.transaction() as session:
        stored = session.scalar(select(Article.unit_price).where(Article.id == article_id))
    assert stored == Decimal(price)
    assert isinstance(stored, Decimal)
    assert str(stored) == f"{Decimal(price):.2f}"


def test_personnummer_are_encrypted_at_rest(container: Container) -> None:
    company = create_company_with_details(container.db, f"Krypto {uuid.uuid4().hex[:10]}")
    customers.create_customer(
        container.db, company.id, CustomerInput(name="Anna", personal_number="19811218-9876", customer_number="K1")
    )
    house_work = {"type": "rut", "persons": [{"personal_number": "198502032397"}]}
    row = {"text": "Städning", "quantity": "3", "unit_price": "400", "kind": "labour", "house_work_type": "stadning"}
    data = InvoiceInput.model_validate({"customer_number": "K1", "rows": [row], "house_work": house_work})
    invoice = invoices.create_invoice(container.db, company.id, data)
    assert invoice.house_work is not None
    assert invoice.house_work.persons[0].personal_number == "198502032397"

    with container.engine.connect() as connection:
        dumped = " ".join(
            str(value)
            for table in ("customers", "invoice_house_work_persons")
            for record in connection.execute(text(f"SELECT * FROM {table}"))  # noqa: S608 - fixed table names
            for value in record
        )
    for digits in ("198112189876", "8112189876", "198502032397", "8502032397"):
        assert digits not in dumped


def test_an_old_database_is_upgraded_and_an_up_to_date_one_is_left_alone(fresh_container: Container) -> None:
    container = fresh_container
    upgrade(container.engine, "0001_invoicing_core")
    create_company(container.db, "Gammal AB")
    assert not is_up_to_date(container.engine)
    upgrade(container.engine)
    assert is_up_to_date(container.engine)
    upgrade(container.engine)  # idempotent
    with container.db.transaction() as session:
        assert session.scalar(select(Company.name)) == "Gammal AB"
