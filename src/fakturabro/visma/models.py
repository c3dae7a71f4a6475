"""Visma eAccounting API v2 resources, as pydantic models with the spec's PascalCase names.

Only the fields fakturabro reads or writes are modelled; unknown fields in an answer are ignored, except on the
resources we update with a PUT (`Customer`, `Article`): Visma's PUT replaces the whole resource, so those keep
every field Visma answered with, under Visma's own name, and send the writable ones back (`overlaid_with`).
Field names follow `openapi-v2.yaml` exactly (a test checks every alias against the spec's schema). Fields the
spec marks `readOnly` are declared with `read_only()` (or, unmodelled, listed in `UNMODELLED_READ_ONLY`) and are
never sent. Money and every other JSON number that is not an integer is `Decimal`.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Annotated, Any, ClassVar, Self
from uuid import UUID

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field
from pydantic.alias_generators import to_pascal


def _as_utc(value: datetime) -> datetime:
    # Visma writes UTC times with or without a trailing Z.
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _date_part(value: Any) -> Any:
    # Date fields are `date-time` in the spec and come back as "2026-11-24T00:00:00".
    if isinstance(value, str) and "T" in value:
        return value.split("T", 1)[0]
    if isinstance(value, datetime):
        return value.date()
    return value


UtcDateTime = Annotated[datetime, AfterValidator(_as_utc)]
VismaDate = Annotated[date, BeforeValidator(_date_part)]


def read_only(alias: str | None = None) -> Any:
    """A field Visma fills in and ignores on input (`readOnly` in the spec)."""
    return Field(default=None, alias=alias, json_schema_extra={"readOnly": True})


def _plain(value: Any) -> Any:
    if isinstance(value, date) and not isinstance(value, datetime):
        # Every date field is a `date-time` in the spec, which needs a time and an offset (RFC 3339). Midnight
        # UTC is the same calendar date in Sweden, whichever way Visma converts it.
        return f"{value.isoformat()}T00:00:00Z"
    if isinstance(value, VismaModel):
        return value.to_visma()
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return value


class VismaModel(BaseModel):
    model_config = ConfigDict(alias_generator=to_pascal, validate_by_name=True, validate_by_alias=True, extra="ignore")

    # On a model that keeps unmodelled fields (extra="allow"): those the spec marks readOnly, never sent back.
    UNMODELLED_READ_ONLY: ClassVar[frozenset[str]] = frozenset()
    # Fields Visma derives from others we send; left out of an overlay so that Visma derives them again.
    RECOMPUTED: ClassVar[frozenset[str]] = frozenset()

    def to_visma(self) -> dict[str, Any]:
        """The request body: spec names, no read-only fields, no None (Visma's defaults apply)."""
        body: dict[str, Any] = {}
        for name, info in type(self).model_fields.items():
            extra = info.json_schema_extra
            if isinstance(extra, dict) and extra.get("readOnly"):
                continue
            value = getattr(self, name)
            if value is not None:
                body[info.alias or name] = _plain(value)
        for name, value in (self.model_extra or {}).items():
            if value is not None and name not in self.UNMODELLED_READ_ONLY:
                body[name] = value
        return body

    def overlaid_with(self, ours: Self) -> Self:
        """The body for a PUT of this resource as Visma has it: every field ``ours`` sets written over Visma's
        record, modelled or not. What ``ours`` leaves as None keeps Visma's value: a PUT from us never blanks a
        field the user filled in Visma."""
        kept = {name: value for name, value in self.to_visma().items() if name not in self.RECOMPUTED}
        return self.model_validate(kept | ours.to_visma())


# --- lists -------------------------------------------------------------------------------------------------


class PaginationMeta(VismaModel):
    current_page: int
    page_size: int
    total_number_of_pages: int
    total_number_of_results: int
    server_time_utc: UtcDateTime


# --- company ---------------------------------------------------------------------------------------------------


class CompanyRotRutSettings(VismaModel):
    rut_max_amount_for_pers_below65_year: Decimal | None = Field(default=None, alias="RutMaxAmountForPersBelow65Year")
    rut_max_amount_for_pers_over65_year: Decimal | None = Field(default=None, alias="RutMaxAmountForPersOver65Year")
    rut_reduced_invoicing_percent: Decimal | None = None
    rot_reduced_invoicing_max_amount: Decimal | None = None
    rot_reduced_invoicing_percent: Decimal | None = None


class CompanySettings(VismaModel):
    name: str
    corporate_identity_number: str | None = read_only()
    currency_code: str | None = read_only()
    terms_of_payment_id: UUID | None = read_only()
    next_customer_number: int | None = read_only()
    next_customer_invoice_number: int | None = read_only()
    next_article_number: int | None = read_only()
    show_prices_excl_vat_pc: bool | None = read_only("ShowPricesExclVatPC")
    uses_reverse_construction_vat: bool | None = None
    uses_rot_reduced_invoicing: bool | None = None
    company_rot_rut_settings: CompanyRotRutSettings | None = None
    uses_green_technology: bool | None = read_only()
    domestic_currency_rounding: int | None = read_only()
    keep_original_draft_date: bool | None = None


class AppStoreActivationStatus(VismaModel):
    ACTIVE: ClassVar[int] = 0
    INACTIVE: ClassVar[int] = 1

    id: UUID | None = read_only()
    activation_status: int
    modified_utc: UtcDateTime | None = read_only()

    @property
    def is_active(self) -> bool:
        return self.activation_status == self.ACTIVE


class BankAccount(VismaModel):
    id: UUID | None = read_only()
    name: str
    bank_account_type: int
    ledger_account_number: int
    is_active: bool | None = None
    is_default_cheque_account: bool | None = None
    currency_code: str | None = read_only()


class TermsOfPayment(VismaModel):
    id: UUID | None = read_only()
    name: str | None = None
    number_of_days: int | None = None
    terms_of_payment_type_id: int | None = None
    available_for_sales: bool | None = None


class Unit(VismaModel):
    id: UUID | None = read_only()
    name: str | None = None
    code: str | None = None
    abbreviation: str | None = None


class ArticleAccountCoding(VismaModel):
    id: UUID | None = read_only()
    name: str | None = None
    type: str | None = None
    vat_rate: str | None = None
    is_active: bool | None = None
    vat_rate_percent: Decimal | None = None
    domestic_sales_subject_to_reversed_construction_vat_account_number: int | None = None
    domestic_sales_subject_to_vat_account_number: int | None = None
    domestic_sales_vat_exempt_account_number: int | None = None
    changed_utc: UtcDateTime | None = read_only()


class VatCode(VismaModel):
    id: UUID | None = read_only()
    code: str | None = None
    description: str | None = None
    vat_rate: Decimal | None = None


class FiscalYear(VismaModel):
    id: UUID | None = read_only()
    start_date: VismaDate | None = None
    end_date: VismaDate | None = None
    is_locked_for_accounting: bool | None = read_only()
    bookkeeping_method: int | None = read_only()


# --- customers and articles -------------------------------------------------------------------------------------


class Customer(VismaModel):
    model_config = ConfigDict(extra="allow")  # Visma's fields we do not model go back unchanged on a PUT
    UNMODELLED_READ_ONLY: ClassVar[frozenset[str]] = frozenset(
        {
            "PayToAccountId",
            "LastInvoiceDate",
            "MessageThreads",
            "Notes",
            "IsFutureInvoiceDateAllowed",
            "UnpaidInvoicesAmount",
        }
    )
    RECOMPUTED: ClassVar[frozenset[str]] = frozenset({"TermsOfPayment"})  # follows TermsOfPaymentId

    id: UUID | None = read_only()
    customer_number: str | None = None
    name: str
    is_private_person: bool
    is_active: bool = True
    terms_of_payment_id: UUID
    invoice_address1: str | None = None
    invoice_address2: str | None = None
    invoice_postal_code: str
    invoice_city: str
    invoice_country_code: str | None = None
    corporate_identity_number: str | None = None
    vat_number: str | None = None
    reverse_charge_on_construction_services: bool | None = None
    email_address: str | None = None
    telephone: str | None = None
    mobile_phone: str | None = None
    contact_person_name: str | None = None
    # Where Visma sends the customer's e-invoices: a GLN (13 digits) or a Peppol id.
    edi_gln_number: str | None = None
    electronic_address: str | None = None
    currency_code: str | None = None
    property_type: int | None = None
    property_reference: str | None = None
    note: str | None = None
    changed_utc: UtcDateTime | None = read_only()


class Article(VismaModel):
    model_config = ConfigDict(extra="allow")  # Visma's fields we do not model go back unchanged on a PUT
    UNMODELLED_READ_ONLY: ClassVar[frozenset[str]] = frozenset(
        {
            "StockBalanceManuallyChangedUtc",
            "StockBalanceReserved",
            "StockBalanceAvailable",
            "PurchasePriceManuallyChangedUtc",
            "MessageThreads",
            "Notes",
            "ShowStockInformation",
            "FreightCostsManuallyChangedUtc",
            "StockValue",
        }
    )
    # Follow NetPrice, DiscountPercentage and the coding's VAT rate: sent back as they were, they would
    # contradict a new price.
    RECOMPUTED: ClassVar[frozenset[str]] = frozenset({"GrossPrice", "NetPriceWithDiscount"})

    id: UUID | None = read_only()
    number: str
    name: str
    name_english: str | None = None
    is_active: bool = True
    coding_id: UUID
    coding_name: str | None = read_only()
    unit_id: UUID
    unit_name: str | None = read_only()
    unit_abbreviation: str | None = read_only()
    net_price: Decimal | None = None
    gross_price: Decimal | None = None
    house_work_type: int | None = None
    green_technology_type: int | None = None
    is_service_article: bool | None = read_only()
    note: str | None = None
    created_utc: UtcDateTime | None = read_only()
    changed_utc: UtcDateTime | None = read_only()


# --- invoices ---------------------------------------------------------------------------------------------------


class RotRutPerson(VismaModel):
    """A person claiming husavdrag (ROT/RUT) on the invoice; `ssn` is the personnummer, never logged."""

    id: UUID | None = read_only()
    ssn: str | None = Field(default=None, repr=False)
    amount: Decimal | None = None


class CustomerInvoiceDraftRow(VismaModel):
    id: UUID | None = read_only()
    line_number: int | None = None
    article_id: UUID | None = None
    article_number: str | None = None
    is_text_row: bool = False
    text: str | None = None
    unit_price: Decimal | None = None
    discount_percentage: Decimal | None = None
    quantity: Decimal | None = None
    work_cost_type: int | None = None
    is_work_cost: bool | None = None
    work_hours: Decimal | None = None
    material_costs: Decimal | None = None
    reversed_construction_services_vat_free: bool = False
    green_technology_type: int | None = None
    unit_name: str | None = None
    is_service_article: bool | None = read_only()
    vat_rate_id: str | None = read_only()
    vat_rate: Decimal | None = read_only()
    amount: Decimal | None = read_only()


class CustomerInvoiceDraft(VismaModel):
    id: UUID | None = read_only()
    customer_id: UUID
    is_credit_invoice: bool | None = None
    eu_third_party: bool = False
    rot_reduced_invoicing_type: int = 0
    rot_reduced_invoicing_property_name: str | None = None
    rot_reduced_invoicing_org_number: str | None = None
    rot_reduced_invoicing_amount: Decimal | None = None
    rot_reduced_invoicing_automatic_distribution: bool | None = None
    rot_property_type: int | None = None
    house_work_other_costs: Decimal | None = None
    uses_green_technology: bool | None = None
    rows: list[CustomerInvoiceDraftRow] | None = None
    persons: list[RotRutPerson] | None = None
    your_reference: str | None = None
    our_reference: str | None = None
    buyers_order_reference: str | None = None
    electronic_reference: str | None = None
    # Free reference fields; the export puts its own marker in ContractNumber to find a document again.
    contract_number: str | None = None
    subscription_number: str | None = None
    terms_of_payment_id: UUID | None = None
    invoice_date: VismaDate | None = None
    due_date: VismaDate | None = None
    delivery_date: VismaDate | None = None
    customer_number: str | None = read_only()
    customer_is_private_person: bool | None = read_only()
    reverse_charge_on_construction_services: bool | None = read_only()
    total_amount: Decimal | None = read_only()
    total_vat_amount: Decimal | None = read_only()
    total_roundings: Decimal | None = read_only()
    includes_vat: bool | None = read_only()
    max_allowed_tax_reduction_amount: Decimal | None = read_only()
    created_utc: UtcDateTime | None = read_only()


class CustomerInvoiceDraftValidationRow(VismaModel):
    line_number: int
    total_amount_no_vat_invoice_currency: Decimal | None = None
    total_amount_inc_vat_invoice_currency: Decimal | None = None


class CustomerInvoiceDraftValidation(VismaModel):
    """Totals we expect; Visma checks them when converting a draft and refuses on a difference."""

    total_amount_invoice_currency: Decimal | None = None
    total_vat_amount_invoice_currency: Decimal | None = None
    total_roundings_invoice_currency: Decimal | None = None
    rows: list[CustomerInvoiceDraftValidationRow] | None = None


class CustomerInvoiceRow(VismaModel):
    id: UUID | None = read_only()
    line_number: int | None = read_only()
    article_id: UUID | None = None
    article_number: str | None = read_only()
    is_text_row: bool | None = read_only()
    text: str | None = None
    unit_price: Decimal | None = None
    discount_percentage: Decimal | None = None
    quantity: Decimal | None = None
    is_vat_free: bool | None = None
    work_cost_type: int | None = None
    work_hours: Decimal | None = None
    material_costs: Decimal | None = None
    green_technology_type: int | None = None
    is_work_cost: bool | None = read_only()
    amount_no_vat: Decimal | None = read_only()
    percent_vat: Decimal | None = read_only()
    vat_rate: Decimal | None = read_only()
    amount: Decimal | None = read_only()


class CreditedBy(VismaModel):
    credit_invoice_id: UUID | None = None


class CustomerInvoice(VismaModel):
    id: UUID | None = read_only()
    customer_id: UUID
    eu_third_party: bool = False
    is_credit_invoice: bool | None = None
    rot_reduced_invoicing_type: int = 0
    rot_reduced_invoicing_property_name: str | None = None
    rot_reduced_invoicing_org_number: str | None = None
    rot_reduced_invoicing_amount: Decimal | None = None
    rot_property_type: int | None = None
    work_house_other_costs: Decimal | None = None
    uses_green_technology: bool | None = None
    persons: list[RotRutPerson] | None = None
    rows: list[CustomerInvoiceRow] = Field(default_factory=list)
    your_reference: str | None = None
    our_reference: str | None = None
    buyers_order_reference: str | None = None
    electronic_reference: str | None = None
    # Free reference fields; the export puts its own marker in ContractNumber to find a document again.
    contract_number: str | None = None
    subscription_number: str | None = None
    terms_of_payment_id: UUID | None = None
    invoice_date: VismaDate | None = None
    due_date: VismaDate | None = None
    delivery_date: VismaDate | None = None
    created_from_draft_id: UUID | None = None
    invoice_number: int | None = read_only()
    customer_number: str | None = read_only()
    customer_is_private_person: bool | None = read_only()
    currency_code: str | None = read_only()
    total_amount: Decimal | None = read_only()
    total_vat_amount: Decimal | None = read_only()
    total_roundings: Decimal | None = read_only()
    total_amount_invoice_currency: Decimal | None = read_only()
    total_vat_amount_invoice_currency: Decimal | None = read_only()
    remaining_amount: Decimal | None = read_only()
    remaining_amount_invoice_currency: Decimal | None = read_only()
    referring_invoice_id: UUID | None = read_only()
    reverse_charge_on_construction_services: bool | None = read_only()
    reversed_construction_vat_invoicing: bool | None = read_only()
    includes_vat: bool | None = read_only()
    voucher_id: UUID | None = read_only()
    voucher_number: str | None = read_only()
    payment_date: VismaDate | None = read_only()
    payment_status: int | None = read_only()
    credited_by: list[CreditedBy] | None = read_only()
    created_utc: UtcDateTime | None = read_only()
    modified_utc: UtcDateTime | None = read_only()
    # The husavdrag claim: 0 None, 1 ApplicableForDeductionExport, 2 ExportedToTaxAuthority, 3 RejectedByTaxAuthority
    tax_deduction_status: int | None = read_only()
    # Visma's OCR for the booked invoice (empty unless the company uses payment reference numbers).
    payment_reference_number: str | None = read_only()
    # How Visma sent it through AutoInvoice: 0/None not, 1 electronic, 2 print, 3 B2C, 4 Kivra.
    send_type: int | None = None
    is_not_delivered: bool | None = read_only()  # True: Visma's e-mail of it failed


class InvoicePayment(VismaModel):
    """A payment registered on a customer invoice. `payment_type`: 1 partial, 2 complete (see the spec)."""

    PARTIAL: ClassVar[int] = 1
    COMPLETE: ClassVar[int] = 2

    company_bank_account_id: UUID
    payment_date: VismaDate | None = None
    reference: str | None = None
    payment_amount: Decimal
    payment_currency: str = "SEK"
    domestic_payment_amount: Decimal | None = None
    bank_fee_amount: Decimal | None = None
    payment_type: int


# --- ledger and vouchers --------------------------------------------------------------------------------------


class InvoiceEmail(VismaModel):
    """`EmailApi`: send a bookkept invoice by e-mail. What is None takes Visma's default: the customer's e-mail
    address, the customer's CC addresses (also for an empty list), the company's subject (`####` in a subject is
    replaced by the invoice number) and the company's invoice text."""

    email: str | None = None
    cc_recipients: list[str] | None = None
    subject: str | None = None
    message: str | None = None


class ElectronicInvoiceRequest(VismaModel):
    """`ElectronicInvoiceRequestApi`: send a bookkept invoice through Visma's Autoinvoice."""

    AUTO_INVOICE_ELECTRONIC: ClassVar[int] = 1
    AUTO_INVOICE_PRINT: ClassVar[int] = 2
    AUTO_INVOICE_B2C: ClassVar[int] = 3
    KIVRA: ClassVar[int] = 4

    send_type: int = AUTO_INVOICE_ELECTRONIC


class InvoiceUrl(VismaModel):
    """`InvoiceUrlApi`: where the invoice's PDF can be downloaded."""

    url: str | None = None


class VoucherRow(VismaModel):
    account_number: int
    account_description: str | None = read_only()
    debit_amount: Decimal | None = None
    credit_amount: Decimal | None = None
    transaction_text: str | None = None
    vat_code_id: UUID | None = None
    vat_amount: Decimal | None = None


class Voucher(VismaModel):
    id: UUID | None = read_only()
    voucher_date: VismaDate | None = None
    voucher_text: str
    rows: list[VoucherRow]
    number_and_number_series: str | None = read_only()
    number_series: str | None = None
    voucher_type: int | None = None
    source_id: UUID | None = read_only()
    created_utc: UtcDateTime | None = read_only()
    modified_utc: UtcDateTime | None = read_only()


class CustomerLedgerItem(VismaModel):
    id: UUID | None = read_only()
    customer_id: UUID
    invoice_number: int
    invoice_date: VismaDate | None = None
    due_date: VismaDate | None = None
    currency_code: str = "SEK"
    is_credit_invoice: bool = False
    total_amount_invoice_currency: Decimal
    remaining_amount_invoice_currency: Decimal
    vat_amount_invoice_currency: Decimal | None = Field(default=None, alias="VATAmountInvoiceCurrency")
    roundings_amount_invoice_currency: Decimal | None = None
    payment_reference_number: str | None = None
    voucher_id: UUID
    modified_utc: UtcDateTime | None = read_only()


class CustomerLedgerItemWithVoucher(VismaModel):
    """A bookkept customer invoice ("verifikation") with the number we choose and its voucher."""

    id: UUID | None = read_only()
    customer_id: UUID
    invoice_number: int
    invoice_date: VismaDate | None = None
    due_date: VismaDate | None = None
    currency_code: str = "SEK"
    is_credit_invoice: bool = False
    total_amount_invoice_currency: Decimal
    remaining_amount_invoice_currency: Decimal
    vat_amount_invoice_currency: Decimal | None = Field(default=None, alias="VATAmountInvoiceCurrency")
    roundings_amount_invoice_currency: Decimal | None = None
    payment_reference_number: str | None = None
    voucher: Voucher


class PartnerResourceLink(VismaModel):
    """A link shown in Visma from one of its documents back to ours."""

    ARTICLE: ClassVar[int] = 0
    CUSTOMER: ClassVar[int] = 1
    CUSTOMER_INVOICE: ClassVar[int] = 3
    CUSTOMER_INVOICE_DRAFT: ClassVar[int] = 5

    id: UUID | None = read_only()
    resource_id: UUID
    resource_type: int
    href: str
    partner_company_name: str
    partner_system_name: str
