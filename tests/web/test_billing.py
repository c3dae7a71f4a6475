"""Fakturering → Import/Export without a Visma connection: clear messages, nothing breaks."""

from __future__ import annotations

from .conftest import User


def test_the_page_says_visma_is_not_connected(user: User) -> None:
    page = user.get("/billing")
    assert page.status_code == 200
    assert "Visma eEkonomi är inte kopplat" in page.text
    assert "Importera betalningar" in page.text
    assert "Exportera alla väntande (0)" in page.text


def test_importing_payments_without_a_connection_explains_why(user: User) -> None:
    answer = user.post("/billing/import-payments", {}, headers={"HX-Request": "true"})
    assert answer.status_code == 200
    assert answer.text.lstrip().startswith('<div id="import-result"')
    assert "inte kopplat till Visma eEkonomi" in answer.text
    full = user.post("/billing/import-payments", {})
    assert "<html" in full.text
    assert "inte kopplat till Visma eEkonomi" in full.text


def test_settings_list_the_visma_integration(user: User) -> None:
    page = user.get("/settings/integrations")
    assert "Visma eEkonomi" in page.text
    assert "Inte aktiverad" in page.text
    assert user.get("/settings").headers["location"] == "/settings/company"
