"""Issue 20's findings that a request shows without a browser: each test failed on the main of the time."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from fakturabro.bootstrap import Container, build
from fakturabro.demo import seed_demo
from fakturabro.invoicing import invoices
from fakturabro.invoicing.articles import create_article
from fakturabro.invoicing.customers import create_customer
from fakturabro.invoicing.inputs import ArticleInput, CustomerInput, InvoiceInput
from fakturabro.store.migrate import upgrade

from .conftest import User, make_settings


def test_the_favicon_answers_and_every_page_links_it(user: User) -> None:
    icon = user.get("/favicon.ico")
    assert icon.status_code == 200
    assert icon.headers["content-type"].startswith("image/svg+xml")
    assert "<svg" in icon.text
    assert '<link rel="icon" href="/static/favicon.svg"' in user.get("/invoices").text
    assert user.get("/static/favicon.svg").status_code == 200


def test_the_register_preview_counts_changes_and_names_both_sides_of_a_conflict(
    user: User, web_container: Container
) -> None:
    for number, name, price in (("1", "Skruv", "2.50"), ("3", "Mutter", "1.00")):
        create_article(web_container.db, user.company.id, ArticleInput(number=number, name=name, unit_price=price))
    lines = ["Artikelnummer;Benämning;Enhet;Pris;Moms", "1;Träskruv;st;2,50;25", "3;Mutter;st;1,25;25"]
    upload = {"file": ("priser.csv", ("\n".join(lines) + "\n").encode(), "text/csv")}
    page = user.client.post(
        "/registers/articles/preview", data={"csrf": user.csrf("/registers/articles")}, files=upload
    )
    assert page.status_code == 200, page.text
    assert "built-in method" not in page.text
    assert "1 ändras" in page.text
    assert "1 konflikt<" in page.text
    assert "Samma nummer men annat namn: här ”Skruv”, nytt ”Träskruv”." in page.text


def test_the_fallback_articles_carry_the_products_name(user: User) -> None:
    page = user.get("/articles").text
    assert "”fakturabro”" in page
    assert "”fakturabro ROT/RUT”" in page
    assert "Minuba" not in page


def test_new_customers_are_numbered_after_the_register_and_listed_by_number(
    user: User, web_container: Container
) -> None:
    db, company = web_container.db, user.company.id
    for number, name in (("2002", "Kontorshotellet"), ("999", "Gamla kunden"), ("1001", "Anna")):
        create_customer(db, company, CustomerInput(customer_number=number, name=name))
    first = create_customer(db, company, CustomerInput(name="Ny kund"))
    second = create_customer(db, company, CustomerInput(name="Nästa kund"))
    assert (first.customer_number, second.customer_number) == ("2003", "2004")
    page = user.get("/customers").text
    names = ["Gamla kunden", "Anna", "Kontorshotellet", "Ny kund", "Nästa kund"]
    assert [page.index(f">{name}<") for name in names] == sorted(page.index(f">{name}<") for name in names)


def test_a_rot_invoice_on_the_demos_labour_article_goes_through(tmp_path: Path) -> None:
    container = build(make_settings(tmp_path))
    try:
        upgrade(container.engine)
        demo = seed_demo(container.db)
        data = {
            "customer_number": "1001",
            "rows": [{"article_number": "8000", "quantity": "4"}],
            "house_work": {
                "type": "rot",
                "persons": [{"personal_number": "19811218-9876"}],
                "property_designation": "Malmö Möllevången 12:3",
            },
        }
        draft = invoices.create_invoice(container.db, demo.company_id, InvoiceInput.model_validate(data))
        approved = invoices.approve_invoice(container.db, demo.company_id, draft.id)
        assert approved.rows[0].house_work_type == "bygg"
        assert Decimal(approved.totals.house_work_deduction) > 0
    finally:
        container.close()


def test_saving_the_export_mode_says_so_and_the_breadcrumb_reads_plainly(user: User) -> None:
    page = "/settings/integrations/visma"
    assert user.post(page, {"action": "activate"}).status_code == 303
    saved = user.post(page, {"action": "mode", "mode": "draft"})
    assert saved.status_code == 303
    shown = user.get(saved.headers["location"]).text
    assert "Exportläget är sparat: fakturorna hamnar som fakturautkast i Visma." in shown
    assert '<a href="/settings/integrations">Inställningar</a> ›</p>' in shown
    assert "→ Integrationer" not in shown


def test_the_all_tab_counts_every_invoice(user: User, web_container: Container) -> None:
    customer = create_customer(web_container.db, user.company.id, CustomerInput(name="Räknad kund"))
    row = {"kind": "material", "text": "Skruv", "quantity": "1", "unit_price": "10"}
    for _ in range(2):
        data = InvoiceInput.model_validate({"customer_number": customer.customer_number, "rows": [row]})
        invoices.create_invoice(web_container.db, user.company.id, data)
    page = user.get("/invoices").text
    assert 'aria-current="page">Alla <span class="count">2</span>' in page
