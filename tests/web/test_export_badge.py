"""The export badge: one fragment per state, polling itself only while the export can still change."""

from __future__ import annotations

import re

import pytest

from fakturabro.bootstrap import Container
from fakturabro.invoicing import invoices
from fakturabro.invoicing.customers import create_customer
from fakturabro.invoicing.inputs import CustomerInput, InvoiceInput, RowInput
from fakturabro.store.export_models import InvoiceExport

from .conftest import User


def _approved_invoice(user: User, container: Container) -> int:
    customer = create_customer(container.db, user.company.id, CustomerInput(name="Badge Kund"))
    row = RowInput(text="Service", quantity=1, unit_price=100, kind="other")
    draft = invoices.create_invoice(
        container.db, user.company.id, InvoiceInput(customer_number=customer.customer_number, rows=[row])
    )
    invoices.approve_invoice(container.db, user.company.id, draft.id, [])
    return draft.id


def _set_state(container: Container, company_id: int, invoice_id: int, state: str, error: str | None = None) -> None:
    with container.db.transaction() as session:
        row = session.get(InvoiceExport, invoice_id)
        if row is None:
            row = InvoiceExport(invoice_id=invoice_id, company_id=company_id, updated_at=container.clock())
            session.add(row)
        row.state = state
        row.error = error
        row.generation = 1
        row.attempts = 1


@pytest.mark.parametrize(
    ("state", "label", "polls"),
    [
        ("waiting", "Väntar på export", True),
        ("exporting", "Exporterar", True),
        ("exported", "✓ Exporterad", False),
        ("failed", "Misslyckades", False),
        ("needs_reconnect", "Behöver återanslutning", False),
    ],
)
def test_each_state_has_its_badge(user: User, web_container: Container, state: str, label: str, polls: bool) -> None:
    invoice_id = _approved_invoice(user, web_container)
    _set_state(web_container, user.company.id, invoice_id, state, "Vismas meddelande: <b>fel</b>")
    badge = user.get(f"/invoices/{invoice_id}/export-badge", headers={"HX-Request": "true"})
    assert badge.status_code == 200
    assert f'data-export-state="{state}"' in badge.text
    assert label in badge.text
    assert ('hx-trigger="every 5s"' in badge.text) is polls
    # Not while waiting: the export is still coming, a second start would only queue behind it (issue 20).
    assert ("Exportera igen" in badge.text) is (state in ("failed", "needs_reconnect"))
    if state == "failed":
        assert "Vismas meddelande: &lt;b&gt;fel&lt;/b&gt;" in badge.text
    if state == "needs_reconnect":
        assert 'href="/settings/integrations/visma"' in badge.text
    page = user.get(f"/invoices/{invoice_id}").text
    assert f'data-export-state="{state}"' in page
    listing = user.get("/invoices?tab=godkanda").text
    assert re.search(rf'id="export-{invoice_id}" data-export-state="{state}"', listing)


def test_an_invoice_never_exported_shows_it_without_polling(user: User, web_container: Container) -> None:
    invoice_id = _approved_invoice(user, web_container)
    badge = user.get(f"/invoices/{invoice_id}/export-badge").text
    assert "Ej exporterad" in badge
    assert "hx-trigger" not in badge


def test_export_again_answers_with_the_badge(user: User, web_container: Container) -> None:
    invoice_id = _approved_invoice(user, web_container)
    _set_state(web_container, user.company.id, invoice_id, "failed", "Fel")
    response = user.post(f"/invoices/{invoice_id}/export-again", {}, headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert f'id="export-{invoice_id}"' in response.text
    plain = user.post(f"/invoices/{invoice_id}/export-again", {})
    assert plain.status_code == 303
    assert plain.headers["location"] == f"/invoices/{invoice_id}"


def test_on_the_invoice_page_the_final_badge_also_updates_the_history(user: User, web_container: Container) -> None:
    invoice_id = _approved_invoice(user, web_container)
    _set_state(web_container, user.company.id, invoice_id, "exporting")
    polling = user.get(f"/invoices/{invoice_id}").text
    assert f'hx-get="/invoices/{invoice_id}/export-badge?detalj=1"' in polling
    assert "export-history" not in user.get(f"/invoices/{invoice_id}/export-badge?detalj=1").text
    _set_state(web_container, user.company.id, invoice_id, "exported")
    final = user.get(f"/invoices/{invoice_id}/export-badge?detalj=1").text
    assert 'id="export-history" hx-swap-oob="true"' in final
    assert "export-history" not in user.get(f"/invoices/{invoice_id}/export-badge").text  # the list has no history
