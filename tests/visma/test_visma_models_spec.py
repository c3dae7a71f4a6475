"""The models speak exactly the official spec: every name, the readOnly marks, and request bodies validate."""

import json
from datetime import date
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any
from uuid import uuid4

import jsonschema
import pytest
import yaml
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from fakturabro.visma import models as m
from fakturabro.visma import wire

SPEC_PATH = Path("/work/shared/visma/openapi-v2.yaml")
if not SPEC_PATH.exists():  # the sandbox carries its own copy of the same file
    SPEC_PATH = Path(__file__).parents[2] / "src/fakturabro/sandbox/openapi-v2.yaml"

MODEL_SCHEMAS: list[tuple[type[m.VismaModel], str]] = [
    (m.PaginationMeta, "CommonPaginationMetadata"),
    (m.CompanyRotRutSettings, "CompanyRotRutSettingsApi"),
    (m.CompanySettings, "CompanySettingsApi"),
    (m.AppStoreActivationStatus, "AppStoreActivationStatusApi"),
    (m.BankAccount, "BankAccountApi"),
    (m.TermsOfPayment, "TermsOfPaymentApi"),
    (m.Unit, "UnitApi"),
    (m.ArticleAccountCoding, "ArticleAccountCodingApi"),
    (m.VatCode, "VatCodeApi"),
    (m.FiscalYear, "FiscalYearApi"),
    (m.Customer, "CustomerApi"),
    (m.Article, "ArticleApi"),
    (m.RotRutPerson, "SalesDocumentRotRutReductionPersonApi"),
    (m.CustomerInvoiceDraftRow, "CustomerInvoiceDraftRowApi"),
    (m.CustomerInvoiceDraft, "CustomerInvoiceDraftApi"),
    (m.CustomerInvoiceDraftValidationRow, "CustomerInvoiceDraftValidationRowApi"),
    (m.CustomerInvoiceDraftValidation, "CustomerInvoiceDraftValidationApi"),
    (m.CustomerInvoiceRow, "CustomerInvoiceRowApi"),
    (m.CreditedBy, "CreditedByApi"),
    (m.CustomerInvoice, "CustomerInvoiceApi"),
    (m.InvoicePayment, "InvoicePaymentApi"),
    (m.InvoiceEmail, "EmailApi"),
    (m.ElectronicInvoiceRequest, "ElectronicInvoiceRequestApi"),
    (m.InvoiceUrl, "InvoiceUrlApi"),
    (m.VoucherRow, "VoucherRowApi"),
    (m.Voucher, "VoucherApi"),
    (m.CustomerLedgerItem, "CustomerLedgerItemApi"),
    (m.CustomerLedgerItemWithVoucher, "CustomerLedgerItemWithVoucherApi"),
    (m.PartnerResourceLink, "PartnerResourceLinkApi"),
]


@cache
def spec() -> dict[str, Any]:
    return yaml.safe_load(SPEC_PATH.read_text())


def schema(name: str) -> dict[str, Any]:
    return spec()["components"]["schemas"][name]


def validate(body: dict[str, Any], name: str) -> None:
    registry = Registry().with_resource("urn:visma", Resource(contents=spec(), specification=DRAFT202012))
    validator = jsonschema.Draft202012Validator(
        {"$ref": f"urn:visma#/components/schemas/{name}"},
        registry=registry,
        format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER,
    )
    # The body goes through the wire format, as Visma would receive it.
    validator.validate(wire.loads(wire.dumps(body)))


@pytest.mark.parametrize(("model", "name"), MODEL_SCHEMAS, ids=[n for _, n in MODEL_SCHEMAS])
def test_every_field_name_is_in_the_spec(model: type[m.VismaModel], name: str) -> None:
    properties = schema(name)["properties"]
    aliases = {info.alias for info in model.model_fields.values()}
    assert aliases - properties.keys() == set()


@pytest.mark.parametrize(("model", "name"), MODEL_SCHEMAS, ids=[n for _, n in MODEL_SCHEMAS])
def test_read_only_marks_match_the_spec(model: type[m.VismaModel], name: str) -> None:
    properties = schema(name)["properties"]
    for info in model.model_fields.values():
        extra = info.json_schema_extra
        ours = isinstance(extra, dict) and bool(extra.get("readOnly"))
        assert ours == bool(properties[info.alias].get("readOnly")), info.alias


@pytest.mark.parametrize(("model", "name"), MODEL_SCHEMAS, ids=[n for _, n in MODEL_SCHEMAS])
def test_spec_required_fields_are_required_or_defaulted(model: type[m.VismaModel], name: str) -> None:
    by_alias = {info.alias: info for info in model.model_fields.values()}
    for required in schema(name).get("required", []):
        if required in by_alias:
            info = by_alias[required]
            assert info.is_required() or info.default is not None or info.default_factory, required


def rot_draft() -> m.CustomerInvoiceDraft:
    return m.CustomerInvoiceDraft(
        customer_id=uuid4(),
        rot_reduced_invoicing_type=1,
        rot_reduced_invoicing_property_name="Stockholm Söder 1:23",
        rot_property_type=2,
        rot_reduced_invoicing_automatic_distribution=False,
        your_reference="Anna",
        invoice_date=date(2026, 11, 24),
        persons=[m.RotRutPerson(ssn="191212121212", amount=Decimal("3000.00"))],
        rows=[
            m.CustomerInvoiceDraftRow(
                article_id=uuid4(),
                text="Målning",
                unit_price=Decimal("650.00"),
                quantity=Decimal("8"),
                discount_percentage=Decimal("0.1"),
                is_work_cost=True,
                work_cost_type=1,
                work_hours=Decimal("8"),
                amount=Decimal("999"),  # read-only: must not be sent
            ),
            m.CustomerInvoiceDraftRow(is_text_row=True, text="Arbete utfört vecka 47"),
        ],
    )


def request_bodies() -> list[tuple[m.VismaModel, str]]:
    customer_id = uuid4()
    voucher = m.Voucher(
        voucher_date=date(2026, 11, 24),
        voucher_text="Faktura 1001",
        rows=[
            m.VoucherRow(account_number=1510, debit_amount=Decimal("1250.00")),
            m.VoucherRow(account_number=3001, credit_amount=Decimal("1000.00")),
            m.VoucherRow(account_number=2611, credit_amount=Decimal("250.00")),
        ],
    )
    return [
        (
            m.Customer(
                customer_number="1001",
                name="Bygg AB",
                is_private_person=False,
                terms_of_payment_id=uuid4(),
                invoice_address1="Gatan 1",
                invoice_postal_code="11122",
                invoice_city="Stockholm",
                corporate_identity_number="556677-8899",
                vat_number="SE556677889901",
                reverse_charge_on_construction_services=True,
            ),
            "CustomerApi",
        ),
        (m.Article(number="Minuba", name="Minuba", coding_id=uuid4(), unit_id=uuid4()), "ArticleApi"),
        (rot_draft(), "CustomerInvoiceDraftApi"),
        (
            m.CustomerInvoiceDraftValidation(
                total_amount_invoice_currency=Decimal("5200.00"),
                total_vat_amount_invoice_currency=Decimal("1040.00"),
                total_roundings_invoice_currency=Decimal("0"),
            ),
            "CustomerInvoiceDraftValidationApi",
        ),
        (
            m.CustomerInvoice(
                customer_id=customer_id,
                rows=[m.CustomerInvoiceRow(article_id=uuid4(), unit_price=Decimal("100"), quantity=Decimal("2"))],
                invoice_date=date(2026, 11, 24),
            ),
            "CustomerInvoiceApi",
        ),
        (
            m.InvoicePayment(
                company_bank_account_id=uuid4(),
                payment_date=date(2026, 11, 30),
                payment_amount=Decimal("1250.00"),
                payment_type=m.InvoicePayment.COMPLETE,
            ),
            "InvoicePaymentApi",
        ),
        (
            m.CustomerLedgerItemWithVoucher(
                customer_id=customer_id,
                invoice_number=1001,
                invoice_date=date(2026, 11, 24),
                due_date=date(2026, 12, 24),
                total_amount_invoice_currency=Decimal("1250.00"),
                remaining_amount_invoice_currency=Decimal("1250.00"),
                vat_amount_invoice_currency=Decimal("250.00"),
                voucher=voucher,
            ),
            "CustomerLedgerItemWithVoucherApi",
        ),
        (voucher, "VoucherApi"),
        (
            m.PartnerResourceLink(
                resource_id=uuid4(),
                resource_type=m.PartnerResourceLink.CUSTOMER_INVOICE_DRAFT,
                href="https://fakturabro.example/invoices/42",
                partner_company_name="Måleri AB",
                partner_system_name="fakturabro",
            ),
            "PartnerResourceLinkApi",
        ),
        (
            m.InvoiceEmail(email="anna@example.com", cc_recipients=["ekonomi@example.com"], subject="Faktura ####"),
            "EmailApi",
        ),
        (m.InvoiceEmail(), "EmailApi"),
        (m.ElectronicInvoiceRequest(), "ElectronicInvoiceRequestApi"),
    ]


@pytest.mark.parametrize(("body", "name"), request_bodies(), ids=[n for _, n in request_bodies()])
def test_request_bodies_validate_against_the_official_schema(body: m.VismaModel, name: str) -> None:
    validate(body.to_visma(), name)


def test_request_body_uses_spec_names_and_leaves_out_read_only_and_none() -> None:
    body = rot_draft().to_visma()
    assert body["RotReducedInvoicingType"] == 1
    assert body["EuThirdParty"] is False
    assert body["Persons"] == [{"Ssn": "191212121212", "Amount": Decimal("3000.00")}]
    assert body["Rows"][0]["ReversedConstructionServicesVatFree"] is False
    assert "Amount" not in body["Rows"][0]
    assert "IsTextRow" in body["Rows"][1]
    assert "Id" not in body
    assert "TotalAmount" not in body
    assert "OurReference" not in body
    assert body["InvoiceDate"] == "2026-11-24T00:00:00Z"
    assert "191212121212" not in repr(rot_draft())


def test_ledger_item_vat_field_has_visma_spelling() -> None:
    body = request_bodies()[6][0].to_visma()
    assert "VATAmountInvoiceCurrency" in body


def test_answers_are_read_with_decimals_dates_and_utc_times() -> None:
    raw = wire.loads(
        '{"Id": "3f1d7a4e-5b7c-4a3e-8f00-2b9c1d7e6a55", "CustomerId": "3f1d7a4e-5b7c-4a3e-8f00-2b9c1d7e6a56",'
        ' "EuThirdParty": false, "RotReducedInvoicingType": 0, "Rows": [], "InvoiceNumber": 1042,'
        ' "InvoiceDate": "2026-11-24T00:00:00", "ModifiedUtc": "2026-11-24T10:15:00",'
        ' "TotalAmount": 1250.10, "RemainingAmount": 0.1, "Unknown": {"X": 1}}'
    )
    invoice = m.CustomerInvoice.model_validate(raw)
    assert invoice.total_amount == Decimal("1250.10")
    assert invoice.remaining_amount == Decimal("0.1")
    assert invoice.invoice_date == date(2026, 11, 24)
    assert invoice.modified_utc is not None
    assert invoice.modified_utc.utcoffset() is not None
    assert invoice.invoice_number == 1042


@pytest.mark.parametrize(("model", "name"), [(m.Customer, "CustomerApi"), (m.Article, "ArticleApi")])
def test_models_updated_with_put_know_every_read_only_field_of_the_spec(model: type[m.VismaModel], name: str) -> None:
    properties = schema(name)["properties"]
    spec_read_only = {alias for alias, prop in properties.items() if prop.get("readOnly")}
    modelled = {info.alias for info in model.model_fields.values()}
    assert spec_read_only - modelled == model.UNMODELLED_READ_ONLY
    assert properties.keys() - spec_read_only >= model.RECOMPUTED


def visma_customer() -> dict[str, Any]:
    """A customer as Visma answers it: fields we model, fields we do not, read-only ones."""
    return {
        "Id": str(uuid4()),
        "CustomerNumber": "1001",
        "Name": "Bygg AB",
        "IsPrivatePerson": False,
        "IsActive": True,
        "TermsOfPaymentId": str(uuid4()),
        "TermsOfPayment": {"Name": "30 dagar", "NumberOfDays": 30},
        "InvoiceAddress1": "Gatan 1",
        "InvoicePostalCode": "11122",
        "InvoiceCity": "Stockholm",
        "EmailAddress": "info@bygg.example",
        "DeliveryAddress1": "Lagret 2",
        "DiscountPercentage": 0.05,
        "EmailAddresses": ["a@bygg.example"],
        "UnpaidInvoicesAmount": 1250.5,
        "Notes": [],
        "ChangedUtc": "2026-11-24T10:15:00Z",
    }


def test_an_overlay_keeps_visma_fields_we_do_not_model_and_leaves_out_read_only_ones() -> None:
    current = m.Customer.model_validate(wire.loads(json.dumps(visma_customer())))
    ours = m.Customer(
        customer_number="1001",
        name="Bygg AB",
        is_private_person=False,
        terms_of_payment_id=current.terms_of_payment_id,
        invoice_address1="Nya gatan 9",
        invoice_postal_code="11133",
        invoice_city="Stockholm",
    )

    body = current.overlaid_with(ours).to_visma()

    assert body["InvoiceAddress1"] == "Nya gatan 9"
    assert body["EmailAddress"] == "info@bygg.example"  # we sent none: Visma's stays
    assert body["DeliveryAddress1"] == "Lagret 2"
    assert body["DiscountPercentage"] == Decimal("0.05")
    assert body["EmailAddresses"] == ["a@bygg.example"]
    assert {"Id", "UnpaidInvoicesAmount", "Notes", "ChangedUtc", "TermsOfPayment"}.isdisjoint(body)
    validate(body, "CustomerApi")


def test_an_article_overlay_lets_visma_derive_its_gross_price_again() -> None:
    current = m.Article.model_validate(
        {
            "Id": str(uuid4()),
            "Number": "8000",
            "Name": "Montör",
            "IsActive": True,
            "CodingId": str(uuid4()),
            "UnitId": str(uuid4()),
            "NetPrice": Decimal(650),
            "GrossPrice": Decimal("812.5"),
            "NetPriceWithDiscount": Decimal(650),
            "PurchasePrice": Decimal(400),
            "StockValue": Decimal(0),
        }
    )
    ours = m.Article(number="8000", name="Montör", coding_id=current.coding_id, unit_id=current.unit_id)

    body = current.overlaid_with(ours.model_copy(update={"net_price": Decimal(700)})).to_visma()

    assert body["NetPrice"] == Decimal(700)
    assert body["PurchasePrice"] == Decimal(400)
    assert {"GrossPrice", "NetPriceWithDiscount", "StockValue", "Id"}.isdisjoint(body)
    validate(body, "ArticleApi")
