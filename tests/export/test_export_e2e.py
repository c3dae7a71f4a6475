"""Approving an invoice exports it to Visma in the background: through our REST API, DBOS and the sandbox."""

from __future__ import annotations

from .export_helpers import ExportApi, money

LABOUR = {"text": "Snickeri", "quantity": "4", "unit_price": "650", "kind": "labour"}
MATERIAL = {"text": "Skruv", "quantity": "10", "unit_price": "12.50", "kind": "material"}


def test_a_new_private_customer_and_its_invoice_arrive_as_a_draft(api: ExportApi) -> None:
    customer = api.private_customer()
    invoice = api.approve(customer, [LABOUR, MATERIAL])

    export = api.wait_exported(invoice["id"])

    assert export.state == "exported", export.error
    draft = api.draft_of(invoice["number"])
    assert draft["Id"] == export.visma_id
    assert money(draft["TotalAmount"]) == money(invoice["totals"]["total"])
    assert draft["CustomerIsPrivatePerson"] is True
    visma_customer = api.visma_customer(customer["customer_number"])
    assert visma_customer["IsPrivatePerson"] is True
    assert export.totals_difference is None


def test_an_existing_customer_is_used_and_not_created_again(api: ExportApi) -> None:
    # The seeded "Anna Andersson": Visma has no personnummer for her, so name and postal code identify her.
    customer = api.private_customer(customer_number="1001", name="Anna Andersson", postal_code="413 01")
    first = api.approve(customer, [LABOUR])
    second = api.approve(customer, [MATERIAL])

    for invoice in (first, second):
        assert api.wait_exported(invoice["id"]).state == "exported", api.export_of(invoice["id"]).error
    visma_customer = api.visma_customer("1001")
    assert visma_customer["Name"] == "Anna Andersson"  # the existing one, not ours
    assert {api.draft_of(first["number"])["CustomerId"], api.draft_of(second["number"])["CustomerId"]} == {
        visma_customer["Id"]
    }


def test_a_new_company_customer_is_created_as_a_company_with_its_numbers(api: ExportApi) -> None:
    customer = api.company_customer()
    invoice = api.approve(customer, [LABOUR])

    assert api.wait_exported(invoice["id"]).state == "exported", api.export_of(invoice["id"]).error
    visma_customer = api.visma_customer(customer["customer_number"])
    assert visma_customer["IsPrivatePerson"] is False
    assert visma_customer["CorporateIdentityNumber"] == "556036-0793"
    assert visma_customer["VatNumber"] == "SE556036079301"


def test_matching_article_numbers_use_visma_articles_and_the_rest_land_on_fallbacks_per_vat_rate(
    api: ExportApi,
) -> None:
    customer = api.company_customer()
    api.created("/articles", {"number": "8000", "name": "Montör", "unit_price": "650", "kind": "labour"})
    api.created("/articles", {"number": "X-1", "name": "Eget material", "unit_price": "100"})
    rows = [
        {"article_number": "8000", "text": "Montör", "quantity": "2", "unit_price": "650", "kind": "labour"},
        {"article_number": "X-1", "text": "Eget material", "quantity": "3", "unit_price": "100", "kind": "material"},
        {"text": "Livsmedel", "quantity": "1", "unit_price": "80", "kind": "material", "vat_rate": "12"},
        {"text": "Bok", "quantity": "1", "unit_price": "200", "kind": "material", "vat_rate": "6"},
    ]
    invoice = api.approve(customer, rows)

    export = api.wait_exported(invoice["id"])
    assert export.state == "exported", export.error
    assert export.totals_difference is None
    draft = api.draft_of(invoice["number"])
    priced = [row for row in draft["Rows"] if not row["IsTextRow"]]
    assert [row["ArticleNumber"] for row in priced] == ["8000", "MINUBA", "MINUBA-12", "MINUBA-6"]
    assert [row["Text"] for row in priced] == ["Montör", "Eget material", "Livsmedel", "Bok"]
    assert [money(row["UnitPrice"]) for row in priced] == [money(650), money(100), money(80), money(200)]
    assert money(draft["TotalVatAmount"]) == money(invoice["totals"]["vat"]["total"])
    fallback = api.visma_list("/articles", "Number eq 'MINUBA'")
    assert [article["Name"] for article in fallback] == ["fakturabro"]


def test_fallback_articles_are_created_once_and_reused(api: ExportApi) -> None:
    customer = api.company_customer()
    invoices = [api.approve(customer, [MATERIAL]) for _ in range(3)]

    for invoice in invoices:
        assert api.wait_exported(invoice["id"]).state == "exported", api.export_of(invoice["id"]).error
    assert len(api.visma_list("/articles", "Number eq 'MINUBA'")) == 1
