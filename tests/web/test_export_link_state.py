"""The link back from Visma shows next to the export state on the invoice's page; a pending link keeps polling."""

from __future__ import annotations

import pytest

from fakturabro.bootstrap import Container
from fakturabro.invoicing import invoices
from fakturabro.invoicing.customers import create_customer
from fakturabro.invoicing.inputs import CustomerInput, InvoiceInput, RowInput
from fakturabro.store.export_models import InvoiceExport

from .conftest import User

DRAFT_ID = "3f0b1c2e-0000-4000-8000-000000000001"


def _exported_invoice(user: User, container: Container, document_type: str, link_id: str | None) -> int:
    customer = create_customer(container.db, user.company.id, CustomerInput(name="Länk Kund"))
    row = RowInput(text="Service", quantity=1, unit_price=100, kind="other")
    draft = invoices.create_invoice(
        container.db, user.company.id, InvoiceInput(customer_number=customer.customer_number, rows=[row])
    )
    invoices.approve_invoice(container.db, user.company.id, draft.id, [])
    with container.db.transaction() as session:
        session.add(
            InvoiceExport(
                invoice_id=draft.id,
                company_id=user.company.id,
                state="exported",
                generation=1,
                attempts=1,
                visma_id=DRAFT_ID,
                visma_document_type=document_type,
                visma_link_id=link_id,
                updated_at=container.clock(),
            )
        )
    return draft.id


@pytest.mark.parametrize(
    ("document_type", "link_id", "state", "label"),
    [
        ("draft", "9b1c0000-0000-4000-8000-000000000002", "linked", "Fakturan i Visma har en länk tillbaka hit"),
        ("draft", None, "pending", "Länken från fakturan i Visma hit skapas"),
        ("draft", "pending", "pending", "Länken från fakturan i Visma hit skapas"),
        ("invoice", "refused", "refused", "Visma godtog inte länken hit"),
        ("draft", "off", "off", "Ingen länk från Visma"),
        ("voucher", None, "off", "Ingen länk från Visma"),
    ],
)
def test_the_link_state_is_in_the_api_and_on_the_page(
    user: User, web_container: Container, document_type: str, link_id: str | None, state: str, label: str
) -> None:
    invoice_id = _exported_invoice(user, web_container, document_type, link_id)

    page = user.get(f"/invoices/{invoice_id}").text
    assert f'data-link-state="{state}"' in page
    assert label in page
    polls = f'hx-get="/invoices/{invoice_id}/export-badge?detalj=1"' in page
    assert polls is (state == "pending")  # the export is final; only a pending link still changes
    badge = user.get(f"/invoices/{invoice_id}/export-badge?detalj=1").text
    assert label in badge
    assert "data-link-state" not in user.get(f"/invoices/{invoice_id}/export-badge").text  # not in the list
