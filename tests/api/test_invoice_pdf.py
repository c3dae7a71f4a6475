"""The invoice PDF says everything mervärdesskattelagen (2023:200) 17 kap. and Skatteverket's husavdrag rules
require, read back from the file's text as a customer's PDF reader would show it."""

from __future__ import annotations

import io
import os
import re
from pathlib import Path
from typing import Any

from pypdf import PdfReader
from tests.api.helpers import BRF_ORG, PRIVATE_PNR, SECOND_PNR, Api

LABOUR = {"text": "Elarbete", "quantity": "10", "unit": "tim", "unit_price": "500", "kind": "labour"}
MATERIAL = {"text": "Kabel", "quantity": "1", "unit": "st", "unit_price": "800", "kind": "material"}
TRAVEL = {"text": "Resa", "quantity": "1", "unit": "st", "unit_price": "200", "kind": "other"}
MINUS = "\u2212"

# What every approved invoice carries: the demo details the test company was given (tests/company_details.py).
SELLER = ["Org.nr 559123-4561", "Momsreg.nr SE559123456101", "Godkänd för F-skatt", "Verkstadsgatan 7", "212 15 Malmö"]
PAYMENT = ["Bankgiro", "5050-1055", "Förfallodag", "dröjsmålsränta"]


def pdf(api: Api, invoice: dict[str, Any]) -> str:
    response = api.get(f"/invoices/{invoice['id']}/pdf")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    expected = f"Faktura-{invoice['number']}.pdf" if invoice["number"] else "Faktura-utkast.pdf"
    assert expected in response.headers["content-disposition"]
    _keep(response.content)
    reader = PdfReader(io.BytesIO(response.content))
    assert (round(float(reader.pages[0].mediabox.width)), round(float(reader.pages[0].mediabox.height))) == (595, 842)
    text = "\n".join(page.extract_text() for page in reader.pages)
    return re.sub(r"\s+", " ", text)  # table cells come out one per line


def _keep(content: bytes) -> None:
    """Leave each PDF in test-artifacts/pdf/ to read, as the page walk leaves its screenshots."""
    test = os.environ.get("PYTEST_CURRENT_TEST", "invoice").split("::")[-1].split(" ")[0]
    folder = Path("test-artifacts/pdf")
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{re.sub(r'[^A-Za-z0-9_]+', '_', test)}.pdf").write_bytes(content)


def assert_all(text: str, *needles: str) -> None:
    missing = [needle for needle in needles if needle not in text]
    assert not missing, f"missing {missing} in:\n{text}"


def assert_invoice_basics(text: str, invoice: dict[str, Any]) -> None:
    assert_all(text, f"Faktura {invoice['number']}", "Fakturadatum 2026-03-02", "Leveransdatum", *SELLER)
    assert_all(text, "Antal", "À-pris exkl. moms", "Summa exkl. moms", "Summa inkl. moms", invoice["ocr"])


def test_a_company_invoice_carries_seller_buyer_rows_vat_total_and_payment(api: Api) -> None:
    customer = api.company_customer(address_line1="Hamngatan 1", postal_code="111 47", city="Stockholm")
    invoice = api.approved(customer, rows=[LABOUR, MATERIAL])
    text = pdf(api, invoice)
    assert_invoice_basics(text, invoice)
    assert_all(text, "Bygg & Co AB", "Hamngatan 1", "111 47 Stockholm", "Org.nr 556036-0793", *PAYMENT)
    assert_all(text, "Elarbete", "10 tim", "500,00 kr", "5 800,00 kr", "Moms 25 % på 5 800,00 kr", "1 450,00 kr")
    assert_all(text, "7 250,00 kr", f"OCR-nummer {invoice['ocr']}")


def test_rot_for_two_buyers_on_a_house_states_costs_reductions_and_the_property(api: Api) -> None:
    invoice = api.approved(
        api.private_customer(),
        rows=[{**LABOUR, "house_work_type": "el"}, MATERIAL, TRAVEL],
        house_work={
            "type": "rot",
            "persons": [
                {"personal_number": PRIVATE_PNR, "share": "50"},
                {"personal_number": SECOND_PNR, "share": "50"},
            ],
            "property_designation": "Malmö Kungsten 3:12",
        },
    )
    text = pdf(api, invoice)
    assert_invoice_basics(text, invoice)
    # 30 % of 6 250,00 labour incl. VAT, halved per buyer and rounded down to whole kronor: 937 each.
    assert invoice["totals"]["house_work_deduction"] == "1874.00"
    assert_all(text, "ROT-avdrag", "Arbetskostnad inkl. moms 6 250,00 kr", "Material inkl. moms 1 000,00 kr")
    assert_all(text, "Övriga kostnader inkl. moms 250,00 kr", "19811218-9876", "19850203-2397")
    assert_all(
        text, f"{MINUS}937,00 kr", "Fastighetsbeteckning: Malmö Kungsten 3:12", "Skattereduktionen är preliminär"
    )
    assert_all(text, f"Preliminär skattereduktion {MINUS}1 874,00 kr", "Att betala 5 626,00 kr", "faktureras köparen")


def test_rot_in_a_brf_names_the_association_and_the_apartment(api: Api) -> None:
    invoice = api.approved(
        api.private_customer(),
        rows=[{**LABOUR, "house_work_type": "el"}],
        house_work={
            "type": "rot",
            "persons": [{"personal_number": PRIVATE_PNR, "share": "100"}],
            "housing_coop_org_number": BRF_ORG,
            "apartment_number": "1102",
        },
    )
    text = pdf(api, invoice)
    assert_invoice_basics(text, invoice)
    assert_all(text, f"Bostadsrättsförening org.nr {BRF_ORG}, lägenhetsnummer 1102", "ROT-avdrag")


def test_rut_and_green_technology_name_their_kind_of_reduction(api: Api) -> None:
    for kind, work, heading in (("rut", "stadning", "RUT-avdrag"), ("green", "laddpunkt", "Grön teknik")):
        house: dict[str, Any] = {"type": kind, "persons": [{"personal_number": PRIVATE_PNR, "share": "100"}]}
        if kind == "green":
            house["property_designation"] = "Malmö Kungsten 3:12"
        invoice = api.approved(api.private_customer(), rows=[{**LABOUR, "house_work_type": work}], house_work=house)
        text = pdf(api, invoice)
        assert_invoice_basics(text, invoice)
        assert_all(text, heading, "preliminär skattereduktion", "Skattereduktionen är preliminär", "19811218-9876")


def test_reverse_charge_names_the_buyers_vat_number_and_the_legal_basis(api: Api) -> None:
    customer = api.company_customer(reverse_charge=True)
    invoice = api.approved(customer, rows=[LABOUR], reverse_charge=True)
    text = pdf(api, invoice)
    assert_invoice_basics(text, invoice)
    assert_all(text, "Köparens momsreg.nr SE556036079301", "Omvänd betalningsskyldighet")
    assert_all(
        text, "16 kap. 13 § mervärdesskattelagen (2023:200)", "Moms (omvänd betalningsskyldighet) på 5 000,00 kr"
    )


def test_mixed_vat_rates_show_base_and_vat_per_rate(api: Api) -> None:
    rows = [
        {"text": "Montering", "quantity": "1", "unit_price": "1000", "vat_rate": "25"},
        {"text": "Fika till bygget", "quantity": "1", "unit_price": "100", "vat_rate": "12"},
        {"text": "Ritningsbok", "quantity": "1", "unit_price": "200", "vat_rate": "6"},
    ]
    invoice = api.approved(api.company_customer(), rows=rows)
    text = pdf(api, invoice)
    assert_invoice_basics(text, invoice)
    assert_all(text, "Moms 25 % på 1 000,00 kr 250,00 kr", "Moms 12 % på 100,00 kr 12,00 kr")
    assert_all(text, "Moms 6 % på 200,00 kr 12,00 kr", "Summa inkl. moms 1 574,00 kr")


def test_a_discount_shows_on_its_row_and_in_the_amount(api: Api) -> None:
    row = {**MATERIAL, "quantity": "2", "discount_percent": "10"}
    invoice = api.approved(api.company_customer(), rows=[row])
    text = pdf(api, invoice)
    assert_invoice_basics(text, invoice)
    assert_all(text, "Rabatt", "10 %", "1 440,00 kr", "Summa inkl. moms 1 800,00 kr")


def test_a_credit_invoice_names_what_it_credits_with_every_amount_negative_once(api: Api) -> None:
    original = api.approved(api.company_customer(), rows=[LABOUR])
    response = api.post(f"/invoices/{original['id']}/credit", {"approve": True})
    assert response.status_code in (200, 201), response.text
    credit = response.json()
    text = pdf(api, credit)
    assert_all(text, f"Kreditfaktura {credit['number']}", f"Krediterar faktura {original['number']}", *SELLER)
    assert_all(text, f"{MINUS}500,00 kr", f"{MINUS}5 000,00 kr", f"{MINUS}1 250,00 kr", f"{MINUS}6 250,00 kr")
    assert f"{MINUS}{MINUS}" not in text
    assert not re.search(r"(^|\s)-\d", text)  # no hyphen-minus before an amount: one true minus sign


def test_a_draft_says_utkast_and_has_no_number_or_ocr(api: Api) -> None:
    draft = api.draft(api.company_customer())
    text = pdf(api, draft)
    assert_all(text, "Utkast", "inte en faktura")
    assert not re.search(r"OCR-nummer \d", text)
    assert not re.search(r"Faktura \d", text)


def test_another_companys_invoice_has_no_pdf(api: Api, other_api: Api) -> None:
    invoice = api.approved(api.company_customer())
    assert other_api.get(f"/invoices/{invoice['id']}/pdf").status_code == 404


def test_a_200_row_invoice_flows_over_pages_with_page_numbers(api: Api) -> None:
    rows = [{**MATERIAL, "text": f"Material {n}"} for n in range(200)]
    invoice = api.approved(api.company_customer(), rows=rows)
    response = api.get(f"/invoices/{invoice['id']}/pdf")
    reader = PdfReader(io.BytesIO(response.content))
    pages = len(reader.pages)
    assert pages > 2
    last = reader.pages[-1].extract_text()
    assert f"Sida {pages} av {pages}" in last
    assert "Material 199" in "\n".join(page.extract_text() for page in reader.pages)
    assert "Art.nr" in reader.pages[1].extract_text()  # the row header repeats on every page
