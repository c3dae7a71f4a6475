"""The page buttons "Exportera igen" and "Exportera alla väntande" (web/views/exporting.py) with the export running:
what they start and what they tell the user, in Swedish."""

from __future__ import annotations

from fakturabro.sync import runtime
from fakturabro.web.views import exporting

from .export_helpers import ExportApi

LABOUR = {"text": "Elarbete", "quantity": "2", "unit_price": "700", "kind": "labour"}


def test_export_again_restarts_a_failed_export_and_says_so(api: ExportApi) -> None:
    customer = api.private_customer(postal_code=None, city=None)  # Visma refuses a customer without postal town
    invoice = api.approve(customer, [LABOUR])
    assert api.wait_exported(invoice["id"]).state == "failed"

    assert exporting.export_again(api.company.id, invoice["id"]) == "Exporten är startad igen."
    assert runtime.wait_for(invoice["id"], generation=2) == "failed"  # nothing was fixed: refused again
    restarted = api.export_of(invoice["id"])
    assert restarted is not None
    assert (restarted.generation, restarted.state) == (2, "failed")
    assert exporting.export_again(api.company.id, invoice["id"]) == "Exporten är startad igen."


def test_export_again_of_an_exported_invoice_starts_nothing(api: ExportApi) -> None:
    invoice = api.approve(api.company_customer(), [LABOUR])
    exported = api.wait_exported(invoice["id"], states={"exported"})

    assert (
        exporting.export_again(api.company.id, invoice["id"]) == "Fakturan exporteras redan eller är redan exporterad."
    )
    assert api.export_of(invoice["id"]).generation == exported.generation  # type: ignore[union-attr]
    assert len(api.visma_list("/customerinvoicedrafts", f"ContractNumber eq 'fakturabro-{invoice['number']}'")) == 1


def test_export_all_pending_counts_what_it_started(api: ExportApi) -> None:
    assert exporting.export_all_pending(api.company.id) == (0, "Det finns inga fakturor som väntar på export.")
    customer = api.private_customer(postal_code=None, city=None)
    failed = [api.approve(customer, [LABOUR]) for _ in range(2)]
    for invoice in failed:
        assert api.wait_exported(invoice["id"]).state == "failed"

    assert exporting.export_all_pending(api.company.id) == (2, "2 fakturor skickas till Visma eEkonomi nu.")
    assert [runtime.wait_for(invoice["id"], generation=2) for invoice in failed] == ["failed", "failed"]
