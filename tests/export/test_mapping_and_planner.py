"""The pure parts of the export with literals: the mapping to Visma's documents and the planner's decisions."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import date
from decimal import Decimal

import pytest

from fakturabro.domain.customer import CustomerKind
from fakturabro.domain.husavdrag import HouseWorkType, HusavdragKind
from fakturabro.domain.invoice import (
    HusavdragClaim,
    HusavdragPerson,
    InvoiceContent,
    InvoiceRow,
    RowKind,
    compute_totals,
)
from fakturabro.sync.export.planner import (
    CreateCustomer,
    RowVat,
    UseExistingCustomer,
    explain_refusal,
    plan_customer,
    totals_difference,
)
from fakturabro.visma import mapping
from fakturabro.visma.errors import VismaNotFound, VismaValidationError
from fakturabro.visma.models import ArticleAccountCoding

D = Decimal
CUSTOMER_ID = uuid.UUID("11111111-1111-1111-1111-111111111111")
ARTICLE_ID = uuid.UUID("22222222-2222-2222-2222-222222222222")
PRIVATE = mapping.CustomerToExport(number="7", name="Anna", kind=CustomerKind.PRIVATE, postal_code="41101", city="Gbg")
COMPANY = mapping.CustomerToExport(
    number="8",
    name="Bygg AB",
    kind=CustomerKind.COMPANY,
    org_number="556036-0793",
    vat_number="SE556036079301",
    reverse_charge=True,
    postal_code="41101",
    city="Gbg",
)
LABOUR = InvoiceRow(RowKind.LABOUR, "Snickeri", quantity=D(10), unit_price=D(600), house_work_type=HouseWorkType.BYGG)
MATERIAL = InvoiceRow(RowKind.MATERIAL, "Virke", article_number="9000", quantity=D(2), unit_price=D("99.50"))


def _invoice(
    content: InvoiceContent, customer: mapping.CustomerToExport = PRIVATE, **fields: object
) -> mapping.InvoiceToExport:
    return mapping.InvoiceToExport(
        invoice_id=1,
        number=1042,
        invoice_date=content.invoice_date,
        content=content,
        totals=compute_totals(content),
        due_date=date(2026, 4, 1),
        customer=customer,
        **fields,  # type: ignore[arg-type]
    )


# --- customers and articles ----------------------------------------------------------------------------------


def test_customer_type_follows_the_org_number_rule() -> None:
    terms = uuid.uuid4()
    private = mapping.customer_to_visma(PRIVATE, terms)
    company = mapping.customer_to_visma(COMPANY, terms)
    assert (private.is_private_person, private.corporate_identity_number, private.vat_number) == (True, None, None)
    assert (company.is_private_person, company.corporate_identity_number) == (False, "556036-0793")
    assert company.vat_number == "SE556036079301"
    assert company.reverse_charge_on_construction_services is True
    assert company.terms_of_payment_id == terms


def test_a_customer_without_postal_town_is_refused_before_visma_sees_it() -> None:
    with pytest.raises(mapping.MappingError, match="postnummer eller ort"):
        mapping.customer_to_visma(mapping.CustomerToExport("9", "X", CustomerKind.PRIVATE), uuid.uuid4())


def test_a_name_longer_than_visma_takes_is_refused_with_the_field_to_shorten() -> None:
    long_name = dataclasses.replace(PRIVATE, name="Bostadsrättsföreningen Solrosen i Västra Frölunda nr 2")
    with pytest.raises(mapping.MappingError, match=r"Kundnamnet .* 54 tecken, men Visma tar högst 50"):
        mapping.customer_to_visma(long_name, uuid.uuid4())
    mapping.customer_to_visma(dataclasses.replace(PRIVATE, name="x" * 50), uuid.uuid4())


def test_fallback_articles_per_vat_rate_and_husavdrag() -> None:
    assert mapping.fallback_article_for(D("25.00"), husavdrag=False).number == "MINUBA"
    assert mapping.fallback_article_for(D("25.00"), husavdrag=False).name == "fakturabro"
    assert mapping.fallback_article_for(D("12.00"), husavdrag=False).number == "MINUBA-12"
    assert mapping.fallback_article_for(D("12.00"), husavdrag=False).name == "fakturabro 12 %"
    rot = mapping.fallback_article_for(D(25), husavdrag=True)
    assert (rot.number, rot.name, rot.service) == ("MINUBA-ROTRUT", "fakturabro ROT/RUT", True)


def test_rows_use_identical_article_numbers_and_fall_back_otherwise() -> None:
    text = InvoiceRow(RowKind.TEXT, "Enligt offert")
    other = InvoiceRow(RowKind.MATERIAL, "Eget", article_number="X-9", quantity=D(1), unit_price=D(5), vat_rate=D(6))
    content = InvoiceContent(date(2026, 3, 2), (text, MATERIAL, other))
    known = {"9000": mapping.VismaArticleRef(ARTICLE_ID, "9000", D(25))}
    plan = mapping.plan_row_articles(content, known)
    assert [item.article_number for item in plan] == [None, "9000", "MINUBA-6"]


def test_the_coding_for_a_fallback_has_its_vat_rate_and_a_service_type_for_husavdrag() -> None:
    def coding(name: str, kind: str, fraction: str, account: int = 3001) -> ArticleAccountCoding:
        return ArticleAccountCoding(
            id=uuid.uuid4(),
            name=name,
            type=kind,
            vat_rate_percent=D(fraction),
            is_active=True,
            domestic_sales_subject_to_vat_account_number=account,
        )

    goods, service, food = (
        coding("Varor 25", "Goods", "0.25"),
        coding("Tjänster 25", "Service", "0.25"),
        coding("Varor 12", "Goods", "0.12", 3002),
    )
    codings = [goods, service, food]
    assert mapping.choose_coding(codings, D(25), service=True) == service.id
    assert mapping.choose_coding(codings, D(25), service=False) == goods.id
    assert mapping.choose_coding(codings, D(12), service=True) == food.id
    with pytest.raises(mapping.MappingError, match="6 % moms"):
        mapping.choose_coding(codings, D(6), service=False)


# --- the draft ----------------------------------------------------------------------------------------------------


def test_a_rot_draft_for_a_house_with_two_owners() -> None:
    claim = HusavdragClaim(
        HusavdragKind.ROT,
        (HusavdragPerson("198112189876", D(50)), HusavdragPerson("198502032397", D(50))),
        property_designation="Majorna 1:23",
    )
    content = InvoiceContent(date(2026, 3, 2), (LABOUR, MATERIAL), husavdrag=claim)
    draft = mapping.invoice_to_draft(_invoice(content), CUSTOMER_ID, [ARTICLE_ID, ARTICLE_ID])

    assert draft.contract_number == "fakturabro-1042"
    assert (draft.rot_reduced_invoicing_type, draft.rot_property_type) == (1, 2)
    assert draft.rot_reduced_invoicing_property_name == "Majorna 1:23"
    assert draft.rot_reduced_invoicing_amount == D(2250)  # 30 % of 7 500 incl. VAT
    assert [(p.ssn, p.amount) for p in draft.persons or []] == [("198112189876", D(1125)), ("198502032397", D(1125))]
    labour, material = draft.rows or []
    assert (labour.is_work_cost, labour.work_cost_type, labour.work_hours) == (True, 1, D(10))
    assert (material.is_work_cost, material.work_cost_type) == (False, None)
    assert [row.line_number for row in draft.rows or []] == [1, 2]


def test_a_bostadsratt_carries_the_coop_org_number_and_the_apartment() -> None:
    claim = HusavdragClaim(
        HusavdragKind.ROT,
        (HusavdragPerson("198112189876", D(100)),),
        housing_coop_org_number="769606-2392",
        apartment_number="1102",
    )
    content = InvoiceContent(date(2026, 3, 2), (LABOUR,), husavdrag=claim)
    draft = mapping.invoice_to_draft(_invoice(content), CUSTOMER_ID, [ARTICLE_ID])
    assert (draft.rot_property_type, draft.rot_reduced_invoicing_org_number) == (1, "769606-2392")
    assert draft.rot_reduced_invoicing_property_name == "1102"


def test_gron_teknik_rows_carry_their_installation_type() -> None:
    solar = InvoiceRow(
        RowKind.MATERIAL, "Paneler", quantity=D(1), unit_price=D(1000), house_work_type=HouseWorkType.SOLCELLER
    )
    claim = HusavdragClaim(
        HusavdragKind.GREEN, (HusavdragPerson("198112189876", D(100)),), property_designation="Tor 4:2"
    )
    content = InvoiceContent(date(2026, 3, 2), (solar,), husavdrag=claim)
    draft = mapping.invoice_to_draft(_invoice(content), CUSTOMER_ID, [ARTICLE_ID])
    assert (draft.uses_green_technology, draft.rot_reduced_invoicing_type) == (True, 0)
    assert [row.green_technology_type for row in draft.rows or []] == [1]
    assert [row.is_work_cost for row in draft.rows or []] == [False]


def test_reverse_charge_rows_are_vat_free_and_the_text_names_the_buyers_vat_number() -> None:
    row = InvoiceRow(RowKind.LABOUR, "Arbete", quantity=D(1), unit_price=D(100))
    content = InvoiceContent(date(2026, 3, 2), (row,), reverse_charge=True)
    draft = mapping.invoice_to_draft(_invoice(content, COMPANY), CUSTOMER_ID, [ARTICLE_ID])
    rows = draft.rows or []
    assert rows[0].reversed_construction_services_vat_free is True
    assert rows[-1].is_text_row
    assert "SE556036079301" in (rows[-1].text or "")


def test_a_credit_draft_has_negative_quantities_and_names_the_original() -> None:
    row = InvoiceRow(RowKind.MATERIAL, "Virke", quantity=D(3), unit_price=D(10), discount_percent=D("12.5"))
    content = InvoiceContent(date(2026, 3, 2), (row,), is_credit=True)
    draft = mapping.invoice_to_draft(_invoice(content, credits_number=1041), CUSTOMER_ID, [ARTICLE_ID])
    text, credited = draft.rows or []
    assert text.text == "Kreditering av faktura 1041"
    assert credited.quantity == D(-3)
    assert credited.discount_percentage == D("0.125")
    assert draft.is_credit_invoice is True


# --- the verifikation -------------------------------------------------------------------------------------------


def test_a_ledger_item_balances_with_sales_and_vat_per_rate_and_the_rounding() -> None:
    food = InvoiceRow(RowKind.MATERIAL, "Fika", quantity=D(1), unit_price=D("10.10"), vat_rate=D(12))
    content = InvoiceContent(date(2026, 3, 2), (MATERIAL, food))
    item = mapping.invoice_to_ledger_item(_invoice(content, COMPANY), CUSTOMER_ID)

    rows = {(row.account_number, row.debit_amount, row.credit_amount) for row in item.voucher.rows}
    # 199.00 + 49.75 VAT (25 %) + 10.10 + 1.21 VAT (12 %) = 260.06 → 260.00, rounding -0.06
    assert rows == {
        (1510, D("260.00"), D(0)),
        (3001, D(0), D("199.00")),
        (3002, D(0), D("10.10")),
        (2611, D(0), D("49.75")),
        (2621, D(0), D("1.21")),
        (3740, D("0.06"), D(0)),
    }
    assert sum(r.debit_amount or 0 for r in item.voucher.rows) == sum(r.credit_amount or 0 for r in item.voucher.rows)
    assert (item.invoice_number, item.total_amount_invoice_currency, item.vat_amount_invoice_currency) == (
        1042,
        D("260.00"),
        D("50.96"),
    )


def test_a_credit_ledger_item_turns_every_side_around() -> None:
    content = InvoiceContent(date(2026, 3, 2), (MATERIAL,), is_credit=True)
    item = mapping.invoice_to_ledger_item(_invoice(content, COMPANY, credits_number=1041), CUSTOMER_ID)
    receivable = next(row for row in item.voucher.rows if row.account_number == 1510)
    assert (receivable.debit_amount, receivable.credit_amount) == (D(0), D("249.00"))
    assert item.is_credit_invoice is True
    assert item.total_amount_invoice_currency == D("-249.00")
    assert "krediterar faktura 1041" in item.voucher.voucher_text


def test_verifikation_mode_refuses_husavdrag_and_reverse_charge_in_swedish() -> None:
    claim = HusavdragClaim(HusavdragKind.RUT, (HusavdragPerson("198112189876", D(100)),))
    with pytest.raises(mapping.MappingError, match="fakturautkast"):
        mapping.invoice_to_ledger_item(
            _invoice(InvoiceContent(date(2026, 3, 2), (LABOUR,), husavdrag=claim)), CUSTOMER_ID
        )
    reverse = InvoiceContent(date(2026, 3, 2), (MATERIAL,), reverse_charge=True)
    with pytest.raises(mapping.MappingError, match="omvänd byggmoms"):
        mapping.invoice_to_ledger_item(_invoice(reverse, COMPANY), CUSTOMER_ID)


# --- the planner -------------------------------------------------------------------------------------------------


def test_customer_plan_creates_a_missing_customer_and_diagnoses_the_other_type() -> None:
    assert plan_customer("7", CustomerKind.PRIVATE, None, None) == CreateCustomer()
    same = plan_customer("7", CustomerKind.PRIVATE, "abc", True)
    assert same == UseExistingCustomer("abc", True, None)
    other = plan_customer("7", CustomerKind.PRIVATE, "abc", False)
    assert isinstance(other, UseExistingCustomer)
    assert other.type_mismatch is not None
    assert "Kunden 7 är företag i Visma men privatperson här" in other.type_mismatch


def test_equal_totals_are_no_difference_and_a_difference_names_its_likely_cause() -> None:
    content = InvoiceContent(date(2026, 3, 2), (MATERIAL,))
    ours = compute_totals(content)
    same = mapping.DocumentTotals(total=ours.total, vat=ours.vat, rounding=ours.rounding, husavdrag=ours.husavdrag)
    assert totals_difference(ours, same, type_mismatch=None, rows=[], reverse_charge=False) is None

    other_vat = mapping.DocumentTotals(total=D("223.00"), vat=D("23.88"), rounding=D("0.12"), husavdrag=D(0))
    rows = [RowVat(D(25), D(12), "9000")]
    by_article = totals_difference(ours, other_vat, type_mismatch=None, rows=rows, reverse_charge=False)
    assert by_article is not None
    assert "artikel 9000 har artikelkontering med 12 % moms i Visma men raden har 25 %" in by_article
    by_type = totals_difference(
        ours, other_vat, type_mismatch="Kunden 7 är företag i Visma", rows=rows, reverse_charge=False
    )
    assert by_type is not None
    assert "Trolig orsak: Kunden 7 är företag i Visma" in by_type
    unknown = totals_difference(ours, other_vat, type_mismatch=None, rows=[], reverse_charge=False)
    assert unknown is not None
    assert "inställning i Visma" in unknown


def test_a_refusal_reads_in_swedish_with_vismas_message_and_error_id() -> None:
    error = VismaValidationError(
        "refused", status=400, error_code=4002, developer_message="InvoiceCity is required", error_id="e-1"
    )
    text = explain_refusal(error)
    assert text.startswith("Visma avvisade exporten: ett obligatoriskt fält saknas")
    assert "InvoiceCity is required" in text
    assert "ErrorId e-1" in text


def test_the_article_cache_is_read_only_for_the_numbers_the_rows_can_use() -> None:
    from fakturabro.sync.export.steps import article_numbers_wanted

    text = InvoiceRow(RowKind.TEXT, "Enligt offert")
    other = InvoiceRow(RowKind.MATERIAL, "Eget", article_number="X-9", quantity=D(1), unit_price=D(5), vat_rate=D(6))
    content = InvoiceContent(date(2026, 3, 2), (text, MATERIAL, other))
    assert article_numbers_wanted(content) == {"9000", "MINUBA", "X-9", "MINUBA-6"}
    # every number the plan can name, whatever Visma knows, is among them
    for known in ({}, {"9000": mapping.VismaArticleRef(ARTICLE_ID, "9000", D(25))}):
        plan = mapping.plan_row_articles(content, known)
        assert {item.article_number for item in plan if item.article_number} <= article_numbers_wanted(content)

    claim = HusavdragClaim(HusavdragKind.RUT, persons=(HusavdragPerson("197001011234", D(1)),))
    with_claim = dataclasses.replace(content, husavdrag=claim)
    assert article_numbers_wanted(with_claim) == {"9000", "MINUBA-ROTRUT", "X-9", "MINUBA-ROTRUT-6"}


def test_a_document_gone_from_visma_is_explained_not_called_invalid_content() -> None:
    error = VismaNotFound("not found", status=404, error_id="e-404")
    text = explain_refusal(error)
    assert "finns inte längre i Visma" in text
    assert "godtogs inte" not in text
    assert "ErrorId e-404" in text
