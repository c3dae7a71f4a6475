"""The screens through the browser's eyes (HTML over HTTP): registers, the draft editor with live totals, approval,
tenant isolation by URL and escaping of hostile text."""

from __future__ import annotations

import re
from decimal import Decimal

import httpx

from fakturabro.bootstrap import Container
from fakturabro.domain.money import format_sek
from fakturabro.invoicing import customers, invoices

from .conftest import User

PERSONNUMMER = "19811218-9876"  # test numbers with valid checksums, not real people or companies
ORG_NUMBER = "556036-0793"
VAT_NUMBER = "SE556036079301"
HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def _customer(user: User, name: str, **fields: str) -> None:
    response = user.post("/customers/new", {"name": name, **fields})
    assert response.status_code == 303, response.text


def _article(user: User, number: str, name: str, price: str, kind: str = "material", **fields: str) -> None:
    data = {"number": number, "name": name, "unit_price": price, "kind": kind, "vat_rate": "25", **fields}
    response = user.post("/articles/new", data)
    assert response.status_code == 303, response.text


def _draft(user: User, customer_number: str, **fields: str) -> int:
    response = user.post("/invoices/new", {"customer_number": customer_number, **fields})
    assert response.status_code == 303, response.text
    match = re.match(r"/invoices/(\d+)", response.headers["location"])
    assert match is not None
    return int(match.group(1))


def _customer_number(user: User, name: str) -> str:
    page = user.get("/customers", params={"q": name.split()[0]}).text
    row = r"<td>([0-9A-Za-z._/-]+)</td>\s*<td class=\"name\"><a href=\"/customers/\d+\">"
    match = re.search(row + re.escape(name), page)
    assert match is not None, page
    return match.group(1)


def _money(response: httpx.Response, element_id: str) -> str:
    match = re.search(rf'id="{element_id}">([^<]+)<', response.text)
    assert match is not None, response.text
    return match.group(1).lstrip("−")


# --- registers ------------------------------------------------------------------------------------------------


def test_customer_kind_follows_the_org_number_rule(user: User) -> None:
    _customer(user, "Anna Privat", personal_number=PERSONNUMMER)
    _customer(user, "Bygg AB", org_number=ORG_NUMBER, vat_number=VAT_NUMBER, reverse_charge="on")
    page = user.get("/customers").text
    assert re.search(r"Anna Privat</a></td>\s*<td><span class=\"badge badge-neutral\">Privatperson", page)
    assert re.search(r"Bygg AB</a></td>\s*<td><span class=\"badge badge-info\">Företag", page)
    assert "19811218-9876" not in page  # personnummer masked in lists


def test_customer_search_answers_htmx_with_the_results_only(user: User) -> None:
    _customer(user, "Sökbar Kund")
    _customer(user, "Annan Kund")
    response = user.get("/customers?q=Sökbar", headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert response.text.lstrip().startswith('<div class="table-wrap" id="results">')
    assert "Sökbar Kund" in response.text
    assert "Annan Kund" not in response.text


def test_an_invalid_org_number_is_shown_at_the_field(user: User) -> None:
    response = user.post("/customers/new", {"name": "Fel AB", "org_number": "556036-0794"})
    assert response.status_code == 422
    assert "Organisationsnumret är ogiltigt" in response.text
    assert 'aria-invalid="true"' in response.text
    assert 'value="Fel AB"' in response.text  # nothing typed is lost


def test_live_validation_of_identity_numbers(user: User) -> None:
    valid = user.get("/customers/validate/org_number", params={"org_number": "5560360793"})
    assert valid.status_code == 200
    assert "Giltigt organisationsnummer (556036-0793)" in valid.text
    assert 'id="customer-kind"' in valid.text
    assert 'hx-swap-oob="true"' in valid.text
    assert "Företag" in valid.text

    wrong = user.get("/customers/validate/personal_number", params={"personal_number": "19811218-9875"})
    assert "Personnumret är ogiltigt" in wrong.text
    assert "9875" not in wrong.text  # the number itself is never echoed

    good = user.get("/customers/validate/personal_number", params={"personal_number": PERSONNUMMER})
    assert "Giltigt personnummer" in good.text
    assert "9876" not in good.text

    vat = user.get("/customers/validate/vat_number", params={"vat_number": "SE556036079301"})
    assert "Giltigt momsregistreringsnummer" in vat.text
    empty = user.get("/customers/validate/org_number", params={"org_number": ""})
    assert "Privatperson" in empty.text
    not_a_field = user.get("/customers/validate/name")  # an address to nothing: the page says so, in Swedish
    assert not_a_field.status_code == 404
    assert "Adressen pekar inte på något som finns." in not_a_field.text


def test_articles_show_that_visma_is_not_read_yet(user: User) -> None:
    _article(user, "8000", "Montör", "650", kind="labour", unit="tim", house_work_type="el")
    page = user.get("/articles").text
    assert "Montör" in page
    assert "650,00\u00a0kr/tim" in page
    assert "Okänt ännu" in page


# --- invoices -------------------------------------------------------------------------------------------------


def test_draft_editor_live_totals_are_the_saved_totals(user: User, web_container: Container) -> None:
    _customer(user, "Villa Ägare", personal_number=PERSONNUMMER)
    number = _customer_number(user, "Villa Ägare")
    _article(user, "8000", "Montör", "650", kind="labour", unit="tim", house_work_type="el")
    form = {
        "customer_number": number,
        "invoice_date": "2026-11-24",
        "rows-0-kind": "labour",
        "rows-0-article_number": "8000",
        "rows-0-quantity": "7,5",
        "rows-0-hours": "7,5",
        "rows-1-kind": "material",
        "rows-1-text": "Kabel",
        "rows-1-quantity": "12",
        "rows-1-unit_price": "19,90",
        "rows-1-vat_rate": "25",
        "rows-2-kind": "text",
        "rows-2-text": "Arbetet utfört enligt offert",
        "hw_type": "rot",
        "hw_pn_0": PERSONNUMMER,
        "hw_share_0": "100",
        "hw_home": "house",
        "hw_property": "Malmö Eken 4",
    }
    preview = user.post("/invoices/preview", form, headers={"HX-Request": "true"})
    assert preview.status_code == 200
    assert "<html" not in preview.text  # only the totals block
    assert "Redo att godkännas" in preview.text

    invoice_id = _draft(user, number, **{k: v for k, v in form.items() if k != "customer_number"})
    saved = invoices.get_invoice(web_container.db, user.company.id, invoice_id)
    assert saved.totals.net == Decimal("4875.00") + Decimal("238.80")
    assert _money(preview, "total-amount") == format_sek(saved.totals.total)
    assert _money(preview, "deduction-amount") == format_sek(saved.totals.house_work_deduction)
    assert _money(preview, "to-pay") == format_sek(saved.totals.to_pay)
    assert saved.house_work is not None
    assert saved.house_work.property_designation == "Malmö Eken 4"
    assert [row.kind for row in saved.rows] == ["labour", "material", "text"]
    assert saved.rows[0].text == "Montör"  # the article filled what was left empty

    editor = user.get(f"/invoices/{invoice_id}")
    assert editor.status_code == 200
    assert 'value="Malmö Eken 4"' in editor.text
    assert _money(editor, "to-pay") == format_sek(saved.totals.to_pay)


def test_live_totals_list_what_blocks_approval(user: User) -> None:
    _customer(user, "Utan Personnummer")
    number = _customer_number(user, "Utan Personnummer")
    form = {
        "customer_number": number,
        "rows-0-kind": "labour",
        "rows-0-text": "Arbete",
        "rows-0-quantity": "2",
        "rows-0-unit_price": "500",
        "hw_type": "rot",
    }
    preview = user.post("/invoices/preview", form, headers={"HX-Request": "true"})
    assert preview.status_code == 200
    assert "Innan fakturan kan godkännas" in preview.text
    assert _money(preview, "total-amount") == "1\u00a0250,00\u00a0kr"


def test_editor_buttons_add_and_fill_rows_without_saving(user: User, web_container: Container) -> None:
    _article(user, "M-1", "Golvbrunn", "1234,50")
    form = {"customer_number": "", "rows-0-kind": "material", "rows-0-article_number": "M-1", "action": "fill-0"}
    filled = user.post("/invoices/new", form, headers={"HX-Request": "true"})
    assert filled.status_code == 200
    assert filled.text.lstrip().startswith('<form id="editor"')
    assert 'value="Golvbrunn"' in filled.text
    assert 'value="1234,50"' in filled.text  # a price with its öre (issue 20: not "1234,5")
    added = user.post("/invoices/new", {"rows-0-kind": "labour", "action": "add_row-text"})
    assert added.status_code == 200
    assert 'name="rows-1-kind"' in added.text
    assert invoices.list_invoices(web_container.db, user.company.id) == []


def test_approval_confirms_the_number_then_approves(user: User, web_container: Container) -> None:
    _customer(user, "Godkänd Kund", org_number=ORG_NUMBER)
    number = _customer_number(user, "Godkänd Kund")
    fields = {"rows-0-kind": "other", "rows-0-text": "Service", "rows-0-quantity": "1", "rows-0-unit_price": "999"}
    first, second = _draft(user, number, **fields), _draft(user, number, **fields)
    confirm = user.get(f"/invoices/{second}/approve")
    assert confirm.status_code == 200
    assert 'Fakturan får nummer <strong id="next-number">1</strong>' in confirm.text
    assert user.post(f"/invoices/{second}/approve", {}).headers["location"] == f"/invoices/{second}?godkand=1"
    page = user.get(f"/invoices/{second}?godkand=1")
    assert "Fakturan är godkänd och har fått nummer 1" in page.text
    assert "Ej exporterad" in page.text  # not connected to Visma: nothing started
    assert 'id="next-number">2<' in user.get(f"/invoices/{first}/approve").text
    assert user.post(f"/invoices/{second}", {"customer_number": number}).status_code == 409

    tabs = {tab: user.get(f"/invoices?tab={tab}").text for tab in ("utkast", "godkanda", "betalade", "alla")}
    assert f'href="/invoices/{first}">Utkast {first}' in tabs["utkast"]
    assert f'href="/invoices/{second}">1<' in tabs["godkanda"]
    assert f"/invoices/{second}" not in tabs["betalade"]
    assert f"/invoices/{first}" in tabs["alla"]
    assert f"/invoices/{second}" in tabs["alla"]
    printable = user.get(f"/invoices/{second}/print")
    assert printable.status_code == 200
    assert "Faktura 1" in printable.text
    assert "1\u00a0249,00\u00a0kr" in printable.text


def test_an_approval_the_rules_refuse_is_explained(user: User, web_container: Container) -> None:
    _customer(user, "Blir Foretag", personal_number=PERSONNUMMER)
    number = _customer_number(user, "Blir Foretag")
    rot = {"rows-0-kind": "labour", "rows-0-text": "Snickeri", "rows-0-quantity": "4", "rows-0-unit_price": "600"}
    rot |= {"rows-0-house_work_type": "bygg", "hw_type": "rot", "hw_pn_0": PERSONNUMMER, "hw_property": "Lund Ek 1"}
    invoice_id = _draft(user, number, **rot)
    customer = next(c for c in customers.list_customers(web_container.db, user.company.id) if c.name == "Blir Foretag")
    edited = user.post(f"/customers/{customer.id}/edit", {"name": "Blir Foretag", "org_number": ORG_NUMBER})
    assert edited.status_code == 303
    refused = user.post(f"/invoices/{invoice_id}/approve", {})
    assert refused.status_code == 422
    assert "Fakturan kan inte godkännas än" in refused.text
    assert invoices.get_invoice(web_container.db, user.company.id, invoice_id).status == "draft"


# --- tenancy and escaping -------------------------------------------------------------------------------------


def test_a_user_cannot_open_another_companys_invoice_by_url(user: User, other_user: User) -> None:
    _customer(other_user, "Hemlig Kund")
    number = _customer_number(other_user, "Hemlig Kund")
    invoice_id = _draft(other_user, number, **{"rows-0-kind": "other", "rows-0-text": "X", "rows-0-unit_price": "1"})
    for path in ("", "/approve", "/print", "/export-badge"):
        response = user.get(f"/invoices/{invoice_id}{path}")
        assert response.status_code == 404, path
        assert "Hemlig Kund" not in response.text
    for path in ("", "/approve", "/delete", "/export-again"):
        assert user.post(f"/invoices/{invoice_id}{path}", {"customer_number": number}).status_code == 404, path
    assert "Hemlig Kund" not in user.get("/invoices").text
    assert "Hemlig Kund" not in user.get("/customers").text
    assert other_user.get(f"/invoices/{invoice_id}").status_code == 200


def test_hostile_text_is_escaped_everywhere(user: User, web_container: Container) -> None:
    _customer(user, HOSTILE, city=HOSTILE)
    found = customers.list_customers(web_container.db, user.company.id)
    number = next(c.customer_number for c in found if c.name == HOSTILE)
    invoice_id = _draft(
        user,
        number,
        **{"rows-0-kind": "other", "rows-0-text": HOSTILE, "rows-0-unit_price": "10", "your_reference": HOSTILE},
    )
    for path in ("/customers", "/invoices", f"/invoices/{invoice_id}", f"/invoices/{invoice_id}/approve"):
        page = user.get(path).text
        assert "<script>alert" not in page, path
        assert "<img src=x" not in page, path
        assert "&lt;script&gt;" in page, path


def test_page_errors_are_pages_in_swedish(user: User) -> None:
    missing = user.get("/invoices/999999")
    assert missing.status_code == 404
    assert "text/html" in missing.headers["content-type"]
    assert "Sidan finns inte" in missing.text
    expired = user.post("/customers/new", {"name": "X"}, csrf=False)
    assert expired.status_code == 403
    assert "Formuläret har gått ut" in expired.text
    fragment = user.get("/invoices/999999/export-badge", headers={"HX-Request": "true"})
    assert fragment.status_code == 404
    assert "<html" not in fragment.text
