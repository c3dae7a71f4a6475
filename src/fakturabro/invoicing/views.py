"""What the use cases return: plain read models, built inside the transaction, shaped like the API's JSON.

Amounts serialise as strings with two decimals ("1234.50") so no client ever parses money as a float.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel, Field, PlainSerializer

from fakturabro.domain.money import to_ore

MoneyStr = Annotated[Decimal, PlainSerializer(lambda value: f"{to_ore(value):.2f}", return_type=str)]
DecimalStr = Annotated[Decimal, PlainSerializer(lambda value: f"{value.normalize():f}", return_type=str)]


class CompanyView(BaseModel):
    id: int
    name: str


class CreatedToken(BaseModel):
    """The token in clear text exists only here, once; the database keeps its hash."""

    id: int
    company_id: int
    prefix: str
    token: str


class CustomerView(BaseModel):
    id: int
    external_id: str | None = Field(default=None, description="Your own id for it (unique per company).")
    customer_number: str
    name: str
    kind: str
    org_number: str | None
    personal_number: str | None
    vat_number: str | None
    email: str | None
    einvoice_address: str | None = None
    phone: str | None
    address_line1: str | None
    address_line2: str | None
    postal_code: str | None
    city: str | None
    country_code: str
    reverse_charge: bool


class ArticleView(BaseModel):
    id: int
    external_id: str | None = Field(default=None, description="Your own id for it (unique per company).")
    number: str
    name: str
    unit: str
    unit_price: MoneyStr
    vat_rate: DecimalStr
    kind: str
    house_work_type: str | None


class RowView(BaseModel):
    article_number: str | None
    text: str
    quantity: DecimalStr
    unit: str
    unit_price: MoneyStr
    vat_rate: DecimalStr
    kind: str
    hours: DecimalStr | None
    discount_percent: DecimalStr
    house_work_type: str | None
    net: MoneyStr


class PersonView(BaseModel):
    personal_number: str
    share: DecimalStr
    deduction: MoneyStr


class ClaimStateView(BaseModel):
    """An invoice's husavdrag on its way to Skatteverket's payout (``house_work.claim`` of an invoice)."""

    state: str = Field(description="awaiting_payment | ready | requested | approved | refused")
    label: str = Field(description="The state in Swedish, as the pages show it")
    source: str = Field(description="visma (claimed in Visma eEkonomi) | fakturabro (Skatteverket's file from here)")
    requested_amount: MoneyStr | None
    approved_amount: MoneyStr | None
    decided_at: date | None
    reason: str | None
    claim_id: int | None = None
    back_invoice_id: int | None = Field(None, description="The invoice to the buyer for a refused or reduced amount")


class HouseWorkView(BaseModel):
    type: str
    persons: list[PersonView]
    property_designation: str | None
    housing_coop_org_number: str | None
    apartment_number: str | None
    claim: ClaimStateView | None = Field(None, description="Where the husavdrag claim stands (approved invoices)")


class VatView(BaseModel):
    rates: dict[str, MoneyStr]
    total: MoneyStr


class TotalsView(BaseModel):
    net: MoneyStr
    vat: VatView
    rounding: MoneyStr
    total: MoneyStr
    house_work_deduction: MoneyStr
    to_pay: MoneyStr


class CustomerRef(BaseModel):
    id: int
    customer_number: str
    name: str
    kind: str


class PaymentView(BaseModel):
    id: int
    invoice_id: int
    amount: MoneyStr
    payment_date: date
    source: str
    external_id: str | None


class InvoiceWarning(BaseModel):
    """Something the user should know about the invoice that does not stop it (errors do)."""

    code: str
    message: str


class InvoiceView(BaseModel):
    id: int
    external_id: str | None = Field(default=None, description="Your own id for it (unique per company).")
    status: str
    number: int | None
    ocr: str | None = Field(None, description="The OCR payment reference (Bankgirot's modulus 10), given at approval")
    customer_number: str
    customer: CustomerRef
    invoice_date: date
    due_date: date
    your_reference: str | None
    our_reference: str | None
    reverse_charge: bool
    reverse_charge_text: str | None
    buyer_vat_number: str | None
    is_credit: bool
    credits_invoice_id: int | None
    credits_invoice_number: int | None = None
    credit_reason: str | None = None
    credited_by: list[int]
    rows: list[RowView]
    house_work: HouseWorkView | None
    totals: TotalsView
    paid: MoneyStr
    credited: MoneyStr
    remaining: MoneyStr
    payments: list[PaymentView]
    approved_at: datetime | None
    created_at: datetime
    # Filled by the Visma integration once it exists (issue 5); None until then.
    export: dict[str, Any] | None = None
    # How the invoice is sent (issue 15): None until someone asks to send it.
    delivery: dict[str, Any] | None = None
    overdue: bool = False
    warnings: list[InvoiceWarning] = Field(default_factory=list)
