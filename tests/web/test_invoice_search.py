"""The invoice list's search (customer, number, text, amount) and filters, with counts and pages."""

from __future__ import annotations

import re

from fakturabro.bootstrap import Container
from fakturabro.invoicing.search import PAGE_SIZE

from .conftest import User
from .invoice_samples import make_book, make_invoice


def _listed(page: str) -> list[int]:
    return [int(found) for found in re.findall(r'<a href="/invoices/(\d+)">', page)]


def test_search_finds_by_customer_number_text_and_amount(user: User, web_container: Container) -> None:
    book = make_book(web_container, user.company.id)
    assert set(_listed(user.get("/invoices?q=åkesson").text)) == {book.overdue_id, book.current_id}
    assert _listed(user.get("/invoices?q=altan").text) == [book.draft_id]
    assert book.overdue_id in _listed(user.get(f"/invoices?q={book.overdue_number}").text)
    assert _listed(user.get("/invoices?q=1 250,00").text) == [book.overdue_id]  # 1 000 kr + 25 % moms
    nothing = user.get("/invoices?q=finnsinte")
    assert _listed(nothing.text) == []
    assert "Ingen faktura matchar sökningen." in nothing.text


def test_htmx_gets_the_results_of_a_search_with_approved_invoices(user: User, web_container: Container) -> None:
    # The list's block alone (what htmx swaps in) must render its Visma badges: it once answered 500.
    book = make_book(web_container, user.company.id)
    found = user.get("/invoices?q=åkesson", headers={"HX-Request": "true"})
    assert found.status_code == 200
    assert set(_listed(found.text)) == {book.overdue_id, book.current_id}
    assert "<nav" not in found.text  # the block, not the whole page


def test_filters_narrow_the_list_and_count_it(user: User, web_container: Container) -> None:
    book = make_book(web_container, user.company.id)
    overdue = user.get("/invoices?forfallna=1")
    assert _listed(overdue.text) == [book.overdue_id]
    assert f'data-overdue="{book.overdue_id}"' in user.get("/invoices").text
    assert f'data-overdue="{book.current_id}"' not in user.get("/invoices").text
    drafts = user.get("/invoices?status=draft")
    assert _listed(drafts.text) == [book.draft_id]
    assert "1 faktura matchar" in drafts.text
    assert set(_listed(user.get("/invoices?fran=2026-11-01&till=2026-11-21").text)) == {book.current_id}
    assert set(_listed(user.get("/invoices?export=none&status=approved").text)) == {book.overdue_id, book.current_id}
    assert _listed(user.get("/invoices?leverans=sent").text) == []
    assert set(_listed(user.get("/invoices?leverans=none").text)) == {book.overdue_id, book.current_id, book.draft_id}
    tabs = user.get("/invoices?q=åkesson")
    assert re.search(r'tab=godkanda"[^>]*>Godkända <span class="count">2</span>', tabs.text)


def test_a_wrong_date_is_named_and_the_list_still_answers(user: User, web_container: Container) -> None:
    book = make_book(web_container, user.company.id)
    page = user.get("/invoices?fran=31/12&status=nonsense&sida=abc")
    assert page.status_code == 200
    assert "Från-datumet ”31/12” förstås inte; skriv det som ÅÅÅÅ-MM-DD." in page.text
    assert book.draft_id in _listed(page.text)


def test_the_list_is_paginated(user: User, web_container: Container) -> None:
    book = make_book(web_container, user.company.id)
    customer = "1"
    for _ in range(PAGE_SIZE):
        make_invoice(web_container, user.company.id, customer, "Service", "100", "2026-11-23")
    first = user.get("/invoices?q=service")
    assert len(_listed(first.text)) == PAGE_SIZE
    assert "sida 1 av" not in first.text  # exactly one page of matches
    everything = user.get("/invoices")
    assert "sida 1 av 2" in everything.text
    assert 'rel="next" href="?tab=alla&amp;sida=2"' in user.get("/invoices?tab=alla").text
    second = user.get("/invoices?tab=alla&sida=2")
    assert book.overdue_id in _listed(second.text)
    assert len(_listed(second.text)) == 3  # the book's three, oldest, on the second page


def test_the_search_sees_only_the_own_company(user: User, other_user: User, web_container: Container) -> None:
    make_book(web_container, user.company.id)
    assert _listed(other_user.get("/invoices?q=åkesson").text) == []
