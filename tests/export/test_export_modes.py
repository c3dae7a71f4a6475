"""Verifikation mode, the customer-type diagnosis, and exports that wait for a connection."""

from __future__ import annotations

from datetime import UTC, datetime

from fakturabro.sync import runtime
from fakturabro.sync.export import workflow

from .export_helpers import PRIVATE_PNR, ExportApi, money

LABOUR = {"text": "Snickeri", "quantity": "3", "unit_price": "650.50", "kind": "labour"}
FOOD = {"text": "Fika", "quantity": "1", "unit_price": "99", "kind": "material", "vat_rate": "12"}


def test_verifikation_mode_books_a_ledger_item_with_our_invoice_number(api: ExportApi) -> None:
    api.connect(mode="voucher")
    customer = api.company_customer()
    invoice = api.approve(customer, [LABOUR, FOOD])

    export = api.wait_exported(invoice["id"])

    assert export.state == "exported", export.error
    assert export.mode == "voucher"
    assert export.visma_invoice_number == invoice["number"]
    items = api.visma_list("/customerledgeritems", f"InvoiceNumber eq {invoice['number']}")
    assert len(items) == 1
    assert money(items[0]["TotalAmountInvoiceCurrency"]) == money(invoice["totals"]["total"])
    assert api.visma_list("/customerinvoicedrafts") == []


def test_verifikation_mode_credit_invoice(api: ExportApi) -> None:
    api.connect(mode="voucher")
    customer = api.company_customer()
    original = api.approve(customer, [LABOUR])
    assert api.wait_exported(original["id"]).state == "exported"
    credit = api.post(f"/invoices/{original['id']}/credit", {"approve": True}).json()

    export = api.wait_exported(credit["id"])

    assert export.state == "exported", export.error
    items = api.visma_list("/customerledgeritems", f"InvoiceNumber eq {credit['number']}")
    assert [item["IsCreditInvoice"] for item in items] == [True]
    assert money(items[0]["TotalAmountInvoiceCurrency"]) == -money(original["totals"]["total"])


def test_verifikation_mode_refuses_husavdrag_in_swedish(api: ExportApi) -> None:
    api.connect(mode="voucher")
    customer = api.private_customer()
    labour = LABOUR | {"house_work_type": "bygg"}
    house_work = {"type": "rot", "persons": [{"personal_number": PRIVATE_PNR}], "property_designation": "Lund 1:1"}
    invoice = api.approve(customer, [labour], house_work=house_work)

    export = api.wait_exported(invoice["id"])

    assert export.state == "failed"
    assert export.error is not None
    assert "fakturautkast" in export.error
    assert api.visma_list("/customerledgeritems", f"InvoiceNumber eq {invoice['number']}") == []


def test_a_customer_of_the_other_type_in_visma_is_diagnosed(api: ExportApi) -> None:
    # 1002 is a company in Visma (seeded); ours has no org number, so it is a private person here. Same name and
    # postal code and no identity number here: the same customer, of the other type.
    customer = api.private_customer(
        customer_number="1002", name="Byggbolaget i Väst", personal_number=None, postal_code="42130"
    )
    api.set_visma_settings(UsesReverseConstructionVat=True)  # the seeded company customer has reverse charge on
    plain = api.approve(customer, [LABOUR])
    labour = LABOUR | {"house_work_type": "bygg"}
    house_work = {"type": "rot", "persons": [{"personal_number": PRIVATE_PNR}], "property_designation": "Lund 1:1"}
    rot = api.approve(customer, [labour], house_work=house_work)

    exported = api.wait_exported(plain["id"])
    assert exported.state == "exported", exported.error
    assert exported.error is not None
    assert "Kunden 1002 är företag i Visma men privatperson här" in exported.error
    # With husavdrag the difference matters: Visma refuses ROT for a company or computes none.
    export = api.wait_exported(rot["id"])
    assert export.error is not None
    assert "företag i Visma men privatperson här" in export.error
    if export.state == "exported":
        assert export.totals_difference is not None
        assert "husavdrag" in export.totals_difference
        assert "Trolig orsak: Kunden 1002" in export.totals_difference
    else:
        assert export.state == "failed"


def test_an_invoice_approved_before_connecting_waits_and_goes_once_connected(api: ExportApi) -> None:
    api.disconnect()
    customer = api.private_customer()
    invoice = api.approve(customer, [LABOUR])

    waiting = api.wait_exported(invoice["id"])
    assert waiting.state == "waiting"
    assert waiting.error is not None
    assert "Inte kopplad" in waiting.error

    api.connect()
    response = api.post("/exports/pending")
    assert response.status_code == 200, response.text
    assert invoice["id"] in response.json()["started"]

    export = api.wait_exported(invoice["id"], states={"exported", "failed"})
    assert export.state == "exported", export.error
    assert export.generation == 2
    api.draft_of(invoice["number"])  # exactly one


def test_export_again_after_a_fix(api: ExportApi) -> None:
    customer = api.private_customer(postal_code=None, city=None)
    invoice = api.approve(customer, [LABOUR])
    failed = api.wait_exported(invoice["id"])
    assert failed.state == "failed"
    assert failed.error is not None
    assert "postnummer" in failed.error

    fixed = api.client.put(
        f"/api/v1/customers/{customer['id']}",
        json={"name": customer["name"], "personal_number": PRIVATE_PNR, "postal_code": "41101", "city": "Göteborg"},
        headers=api.headers,
    )
    assert fixed.status_code == 200, fixed.text
    response = api.post(f"/invoices/{invoice['id']}/export")
    assert response.status_code == 202, response.text

    export = api.wait_exported(invoice["id"], states={"exported"})
    assert export.attempts == 2
    body = api.get(f"/invoices/{invoice['id']}").json()
    assert body["export"]["state"] == "exported"
    assert body["export"]["visma_id"] == export.visma_id
    assert body["export"]["mode"] == "draft"
    assert body["export"]["attempts"] == 2


def test_a_refused_rot_export_goes_through_after_the_setting_is_fixed(api: ExportApi) -> None:
    api.set_visma_settings(UsesRotReducedInvoicing=False)
    customer = api.private_customer()
    labour = LABOUR | {"house_work_type": "el", "hours": "3"}
    house_work = {"type": "rot", "persons": [{"personal_number": PRIVATE_PNR}], "property_designation": "Malmö Eken 1"}
    invoice = api.approve(customer, [labour], house_work=house_work)
    failed = api.wait_exported(invoice["id"], states={"failed"})
    assert failed.error is not None
    assert "Fakturerar husarbete" in failed.error

    api.set_visma_settings(UsesRotReducedInvoicing=True)
    response = api.post(f"/invoices/{invoice['id']}/export")
    assert response.status_code == 202, response.text

    export = api.wait_exported(invoice["id"], states={"exported"})
    assert export.generation == 2
    api.draft_of(invoice["number"])


def test_the_scheduled_pick_up_exports_waiting_invoices_once_connected(api: ExportApi) -> None:
    api.disconnect()
    customer = api.private_customer()
    invoice = api.approve(customer, [LABOUR])
    assert api.wait_exported(invoice["id"]).state == "waiting"
    assert runtime.wait_for(invoice["id"], 1) == "waiting"  # its workflow has ended, not only written the state

    workflow.export_pending_scheduled(datetime.now(UTC), None)  # still not connected: left waiting
    assert api.export_of(invoice["id"]).generation == 1  # type: ignore[union-attr]
    api.connect()
    workflow.export_pending_scheduled(datetime.now(UTC), None)

    export = api.wait_exported(invoice["id"], states={"exported"})
    assert export.generation == 2
    workflow.export_pending_scheduled(datetime.now(UTC), None)  # nothing left to pick up
    assert api.export_of(invoice["id"]).generation == 2  # type: ignore[union-attr]
    api.draft_of(invoice["number"])
