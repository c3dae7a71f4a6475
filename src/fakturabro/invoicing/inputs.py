"""What the user sends: the input of each command, shaped like the REST API's request bodies.

Lengths here equal the column lengths in ``store.models``, so a too-long text is a field-level 422 and never
a database error. Texts are kept verbatim (HTML and SQL-looking text included); only characters no database
can store (NUL, other control characters, lone surrogates) are refused.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from fakturabro.domain.article import ArticleKind
from fakturabro.domain.husavdrag import HouseWorkType, HusavdragKind
from fakturabro.domain.invoice import RowKind

MAX_ID = 2**31 - 1  # PostgreSQL INTEGER
_ALLOWED_CONTROL = {"\n", "\r", "\t"}


def _storable(value: str) -> str:
    for char in value:
        if (ord(char) < 32 and char not in _ALLOWED_CONTROL) or 0xD800 <= ord(char) <= 0xDFFF or ord(char) == 0x7F:
            raise ValueError("Texten innehåller tecken som inte kan sparas (styrtecken eller ogiltig Unicode).")
    return value


Storable = AfterValidator(_storable)
Name = Annotated[str, Field(min_length=1, max_length=200), Storable]
OptionalName = Annotated[str, Field(max_length=200), Storable] | None
Short = Annotated[str, Field(max_length=50), Storable]
OptionalShort = Annotated[str, Field(max_length=50), Storable] | None
Email = Annotated[str, Field(max_length=254), Storable] | None
RowText = Annotated[str, Field(max_length=2000), Storable]
# The vendor's own id: visible ASCII without "/", so it fits a path segment (`/customers/by-external-id/{id}`).
ExternalId = Annotated[str, Field(min_length=1, max_length=255, pattern=r"^[\x21-\x2e\x30-\x7e]+$")]
Number = Annotated[str, Field(min_length=1, max_length=50, pattern=r"^[0-9A-Za-z._/-]+$"), Storable]
# Amounts: the domain gives Swedish messages for range and decimals; NaN/Infinity never get that far.
Amount = Annotated[Decimal, Field(allow_inf_nan=False)]
Percent = Annotated[Decimal, Field(allow_inf_nan=False, ge=0, le=100, decimal_places=2)]
Hours = Annotated[Decimal, Field(allow_inf_nan=False, ge=0, le=10000, decimal_places=2)]


class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=False)


class CustomerInput(_Input):
    external_id: ExternalId | None = None
    customer_number: Number | None = None
    name: Name
    org_number: OptionalShort = None
    personal_number: OptionalShort = None
    vat_number: OptionalShort = None
    email: Email = None
    einvoice_address: OptionalShort = None
    phone: OptionalShort = None
    address_line1: OptionalName = None
    address_line2: OptionalName = None
    postal_code: OptionalShort = None
    city: OptionalName = None
    country_code: Annotated[str, Field(pattern=r"^[A-Z]{2}$")] = "SE"
    reverse_charge: bool = False


class ArticleInput(_Input):
    external_id: ExternalId | None = None
    number: Number
    name: Name
    unit: Short = "st"
    unit_price: Amount
    vat_rate: Amount = Decimal(25)
    kind: ArticleKind = ArticleKind.MATERIAL
    house_work_type: HouseWorkType | None = None


class RowInput(_Input):
    """A row: explicit values win over the defaults of the article named by ``article_number``."""

    article_number: Number | None = None
    text: RowText | None = None
    quantity: Amount | None = None
    unit: Short | None = None
    unit_price: Amount | None = None
    vat_rate: Amount | None = None
    kind: RowKind | None = None
    hours: Hours | None = None
    discount_percent: Percent | None = None
    house_work_type: HouseWorkType | None = None


class PersonInput(_Input):
    personal_number: Annotated[str, Field(max_length=20), Storable]
    share: Percent = Decimal(100)


class HouseWorkInput(_Input):
    type: HusavdragKind
    persons: Annotated[list[PersonInput], Field(max_length=10)] = Field(default_factory=list)
    property_designation: OptionalShort = None
    housing_coop_org_number: OptionalShort = None
    apartment_number: OptionalShort = None


class InvoiceInput(_Input):
    external_id: ExternalId | None = None
    customer_number: Number | None = None
    invoice_date: date | None = None
    due_date: date | None = None
    your_reference: OptionalName = None
    our_reference: OptionalName = None
    reverse_charge: bool | None = None
    credits_invoice_id: Annotated[int, Field(ge=1, le=MAX_ID)] | None = None
    rows: Annotated[list[RowInput], Field(max_length=500)] = Field(default_factory=list)
    house_work: HouseWorkInput | None = None


class PaymentInput(_Input):
    amount: Amount
    payment_date: date | None = None
    source: Annotated[str, Field(pattern=r"^(manual|visma)$")] = "manual"
    external_id: Annotated[str, Field(max_length=100), Storable] | None = None


class PaymentByOcrInput(PaymentInput):
    """A payment that names its invoice by the OCR reference the payer typed (a bank's or Bankgirot's record)."""

    ocr: Annotated[str, Field(min_length=1, max_length=40)]


class CreditRowInput(_Input):
    """One row of the original to credit: its position (from 0, as in the original's ``rows``) and how much."""

    position: Annotated[int, Field(ge=0, le=499)]
    quantity: Annotated[Decimal, Field(allow_inf_nan=False, gt=0, decimal_places=3)]


class CreditInput(_Input):
    """What a credit invoice credits: all of the original (``rows`` left out) or the chosen rows and quantities,
    and why (the credit invoice shows its reason next to the number it credits)."""

    approve: bool = False
    rows: Annotated[list[CreditRowInput], Field(min_length=1, max_length=500)] | None = None
    reason: Annotated[str, Field(max_length=500), Storable] | None = None
