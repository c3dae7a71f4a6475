"""The settings check against the sandbox: the seeded company fails several items; fixing them makes it pass."""

from __future__ import annotations

from decimal import Decimal

import httpx
import pytest
from connect_helpers import login_and_consent, query
from connect_support import Clock, Company
from connect_workers import Container

from fakturabro.invoicing.customers import create_customer
from fakturabro.invoicing.inputs import CustomerInput, HouseWorkInput, InvoiceInput, PersonInput, RowInput
from fakturabro.invoicing.invoices import create_invoice
from fakturabro.store.database import Database
from fakturabro.store.series import INVOICE_SERIES, set_next
from fakturabro.sync.connection import VismaSetup, complete_connect, start_connect, visma_client_for
from fakturabro.sync.preflight import check_before_export, create_fallback_articles, latest_check, run_check
from fakturabro.visma.errors import VismaForbidden
from fakturabro.visma.oauth import NotConnected

PNR = "19811218-9876"  # a test personnummer (valid checksum)


def connect(db: Database, setup: VismaSetup, company: Company) -> None:
    with httpx.Client(timeout=10) as browser:
        callback = query(login_and_consent(browser, start_connect(db, setup, company.id)))
    complete_connect(db, setup, state=callback["state"], code=callback["code"])


def invoice_like_a_builder(db: Database, company: Company) -> None:
    """A ROT job for a private person numbered 1002 (a company in Visma), and reverse charge for a builder."""
    create_customer(
        db,
        company.id,
        CustomerInput(
            customer_number="1002",
            name="Anna Andersson",
            personal_number=PNR,
            address_line1="Storgatan 1",
            postal_code="41301",
            city="Göteborg",
        ),
    )
    create_customer(
        db,
        company.id,
        CustomerInput(
            customer_number="2001",
            name="Bygg & Co AB",
            org_number="556036-0793",
            vat_number="SE556036079301",
            reverse_charge=True,
            postal_code="41101",
            city="Göteborg",
        ),
    )
    labour = RowInput(text="Elarbete", quantity=Decimal(4), unit_price=Decimal(600), kind="labour", hours=Decimal(4))
    create_invoice(
        db,
        company.id,
        InvoiceInput(
            customer_number="1002",
            rows=[RowInput.model_validate({**labour.model_dump(), "house_work_type": "el"})],
            house_work=HouseWorkInput(
                type="rot", persons=[PersonInput(personal_number=PNR)], property_designation="Göteborg Majorna 1:23"
            ),
        ),
    )
    create_invoice(db, company.id, InvoiceInput(customer_number="2001", reverse_charge=True, rows=[labour]))


def failing(db: Database, company: Company) -> set[str]:
    result = latest_check(db, company.id)
    assert result is not None
    return {item.key for item in result.items if not item.ok}


def test_seeded_sandbox_fails_several_items_which_are_then_fixed(
    db: Database, setup: VismaSetup, company: Company, control: httpx.Client
) -> None:
    container = Container(db, setup)
    with pytest.raises(NotConnected):
        run_check(container, company.id)
    connect(db, setup, company)
    invoice_like_a_builder(db, company)

    first = run_check(container, company.id, "connect")
    assert not first.ok
    assert failing(db, company) == {
        "reverse_charge",  # UsesReverseConstructionVat is off in the seed
        "prices_excl_vat",  # ShowPricesExclVatPC is off
        "invoice_number_series",  # Visma's next is 1001, ours 1
        "fallback_article",
        "house_work_fallback_article",
        "customer_types",  # our 1002 is a private person, Visma's 1002 a company
    }
    stored = latest_check(db, company.id)
    assert stored is not None
    assert stored.checked_at == first.checked_at
    assert stored.trigger == "connect"

    # The fixes, as the items tell a person to make them.
    answer = control.put("/companysettings", json={"UsesReverseConstructionVat": True, "ShowPricesExclVatPC": True})
    assert answer.status_code == 200, answer.text
    with db.transaction() as session:
        set_next(session, company.id, INVOICE_SERIES, 1001)
    assert sorted(create_fallback_articles(container, company.id)) == ["fakturabro", "fakturabro ROT/RUT"]
    assert create_fallback_articles(container, company.id) == []  # idempotent
    client = visma_client_for(container, company.id)
    visma_customer = client.find_customer_by_number("1002")
    assert visma_customer is not None
    assert visma_customer.id is not None
    client.update_customer(
        visma_customer.id,
        visma_customer.model_copy(
            update={
                "is_private_person": True,
                "corporate_identity_number": None,
                "vat_number": None,
                "reverse_charge_on_construction_services": False,
            }
        ),
    )

    second = run_check(container, company.id)
    assert [item.key for item in second.items if not item.ok] == []
    assert second.ok
    assert failing(db, company) == set()
    fallback = client.find_article_by_number("MINUBA-ROTRUT")
    assert fallback is not None
    assert fallback.name == "fakturabro ROT/RUT"


def test_app_not_activated_in_visma(db: Database, setup: VismaSetup, company: Company, control: httpx.Client) -> None:
    connect(db, setup, company)
    assert control.put("/appstatus", json={"ActivationStatus": 1}).status_code == 200
    result = run_check(Container(db, setup), company.id)
    items = {item.key: item for item in result.items}
    assert not items["app_activated"].ok
    assert "Activated" in (items["app_activated"].fix or "")
    assert not items["invoice_number_series"].ok
    with pytest.raises(VismaForbidden):  # the web layer turns this into "aktivera integrationen i Visma"
        create_fallback_articles(Container(db, setup), company.id)


def test_a_batch_export_reuses_a_recent_check(db: Database, setup: VismaSetup, company: Company, clock: Clock) -> None:
    container = Container(db, setup)
    connect(db, setup, company)
    first = check_before_export(container, company.id)
    assert first.trigger == "export"
    clock.advance(60)
    assert check_before_export(container, company.id) == first  # recent: not read from Visma again
    clock.advance(600)
    fresh = check_before_export(container, company.id)
    assert fresh.checked_at == clock.now
