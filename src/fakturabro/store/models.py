"""The tables of the invoicing core. Every tenant-owned row carries ``company_id``.

Later features (the Visma connection, export state, Visma ids) get their own tables in their own migrations
instead of columns here.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from fakturabro.store.types import ExactDecimal, UtcDateTime

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# Column lengths; the input models enforce the same numbers so a long text is a 422, never a database error.
NAME_LENGTH = 200
SHORT_LENGTH = 50
EMAIL_LENGTH = 254
ROW_TEXT_LENGTH = 2000
EXTERNAL_ID_LENGTH = 255


def Money() -> ExactDecimal:  # noqa: N802 - reads like a type in the models
    return ExactDecimal(18, 2)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Company(Base):
    __tablename__ = "companies"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(NAME_LENGTH), unique=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), index=True)
    email: Mapped[str] = mapped_column(String(EMAIL_LENGTH), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class ApiToken(Base):
    """Only a SHA-256 of the token is kept; ``prefix`` lets a person recognise which token it was."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), index=True)
    name: Mapped[str] = mapped_column(String(NAME_LENGTH), default="")
    prefix: Mapped[str] = mapped_column(String(16))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    # "read" or "read write" (space-separated, as OAuth scopes); a token without "write" may only read.
    scopes: Mapped[str] = mapped_column(String(SHORT_LENGTH), default="read write")
    expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    last_used_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class NumberSeries(Base):
    """The next number of a company's series (``customer``, ``invoice``); taken with ``UPDATE … RETURNING``."""

    __tablename__ = "number_series"

    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), primary_key=True)
    next_value: Mapped[int] = mapped_column(Integer)


class Customer(Base):
    __tablename__ = "customers"
    __table_args__ = (
        UniqueConstraint("company_id", "customer_number"),
        UniqueConstraint("company_id", "external_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), index=True)
    customer_number: Mapped[str] = mapped_column(String(SHORT_LENGTH))
    external_id: Mapped[str | None] = mapped_column(String(EXTERNAL_ID_LENGTH))  # the vendor's own id
    name: Mapped[str] = mapped_column(String(NAME_LENGTH))
    org_number: Mapped[str | None] = mapped_column(String(11))
    personal_number_encrypted: Mapped[str | None] = mapped_column(Text)
    vat_number: Mapped[str | None] = mapped_column(String(14))
    email: Mapped[str | None] = mapped_column(String(EMAIL_LENGTH))
    einvoice_address: Mapped[str | None] = mapped_column(String(SHORT_LENGTH))  # GLN or Peppol id for e-invoices
    phone: Mapped[str | None] = mapped_column(String(SHORT_LENGTH))
    address_line1: Mapped[str | None] = mapped_column(String(NAME_LENGTH))
    address_line2: Mapped[str | None] = mapped_column(String(NAME_LENGTH))
    postal_code: Mapped[str | None] = mapped_column(String(SHORT_LENGTH))
    city: Mapped[str | None] = mapped_column(String(NAME_LENGTH))
    country_code: Mapped[str] = mapped_column(String(2), default="SE")
    reverse_charge: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())


class Article(Base):
    __tablename__ = "articles"
    __table_args__ = (UniqueConstraint("company_id", "number"), UniqueConstraint("company_id", "external_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), index=True)
    number: Mapped[str] = mapped_column(String(SHORT_LENGTH))
    external_id: Mapped[str | None] = mapped_column(String(EXTERNAL_ID_LENGTH))  # the vendor's own id
    name: Mapped[str] = mapped_column(String(NAME_LENGTH))
    unit: Mapped[str] = mapped_column(String(SHORT_LENGTH), default="")
    unit_price: Mapped[Decimal] = mapped_column(Money())
    vat_rate: Mapped[Decimal] = mapped_column(ExactDecimal(5, 2))
    kind: Mapped[str] = mapped_column(String(20))
    house_work_type: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())


class Invoice(Base):
    """An invoice; the totals columns are frozen at approval and empty on a draft."""

    __tablename__ = "invoices"
    __table_args__ = (
        UniqueConstraint("company_id", "number"),
        UniqueConstraint("company_id", "external_id"),
        Index("ix_invoices_company_id_ocr", "company_id", "ocr"),  # a payment found by its OCR reference
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), index=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    external_id: Mapped[str | None] = mapped_column(String(EXTERNAL_ID_LENGTH))  # the vendor's own id
    number: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20), index=True)
    invoice_date: Mapped[date] = mapped_column(Date)
    due_date: Mapped[date] = mapped_column(Date)
    your_reference: Mapped[str | None] = mapped_column(String(NAME_LENGTH))
    our_reference: Mapped[str | None] = mapped_column(String(NAME_LENGTH))
    reverse_charge: Mapped[bool] = mapped_column(Boolean, default=False)
    credits_invoice_id: Mapped[int | None] = mapped_column(ForeignKey("invoices.id"), index=True)
    credit_reason: Mapped[str | None] = mapped_column(Text)  # why a credit invoice credits (shown on it)
    house_work_kind: Mapped[str | None] = mapped_column(String(10))
    property_designation: Mapped[str | None] = mapped_column(String(SHORT_LENGTH))
    housing_coop_org_number: Mapped[str | None] = mapped_column(String(SHORT_LENGTH))
    apartment_number: Mapped[str | None] = mapped_column(String(SHORT_LENGTH))
    net: Mapped[Decimal | None] = mapped_column(Money())
    vat: Mapped[Decimal | None] = mapped_column(Money())
    vat_by_rate: Mapped[str | None] = mapped_column(Text)  # JSON {"25": "125.00"}, exact strings
    rounding: Mapped[Decimal | None] = mapped_column(Money())
    # The öresavrundning the invoice was priced with at approval (the Visma company's); None: before it was kept.
    whole_krona_rounding: Mapped[bool | None] = mapped_column(Boolean)
    ocr: Mapped[str | None] = mapped_column(String(25))  # the OCR payment reference, given at approval
    total: Mapped[Decimal | None] = mapped_column(Money())
    house_work_deduction: Mapped[Decimal | None] = mapped_column(Money())
    to_pay: Mapped[Decimal | None] = mapped_column(Money())
    approved_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())

    rows: Mapped[list[InvoiceRow]] = relationship(
        order_by="InvoiceRow.position", cascade="all, delete-orphan", lazy="selectin"
    )
    house_work_persons: Mapped[list[HouseWorkPerson]] = relationship(
        order_by="HouseWorkPerson.position", cascade="all, delete-orphan", lazy="selectin"
    )
    customer: Mapped[Customer] = relationship(lazy="joined")


class InvoiceRow(Base):
    __tablename__ = "invoice_rows"

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(20))
    article_number: Mapped[str | None] = mapped_column(String(SHORT_LENGTH))
    text: Mapped[str] = mapped_column(Text, default="")
    quantity: Mapped[Decimal] = mapped_column(ExactDecimal(18, 2))
    unit: Mapped[str] = mapped_column(String(SHORT_LENGTH), default="")
    unit_price: Mapped[Decimal] = mapped_column(Money())
    vat_rate: Mapped[Decimal] = mapped_column(ExactDecimal(5, 2))
    discount_percent: Mapped[Decimal] = mapped_column(ExactDecimal(5, 2))
    hours: Mapped[Decimal | None] = mapped_column(ExactDecimal(18, 2))
    house_work_type: Mapped[str | None] = mapped_column(String(40))


class HouseWorkPerson(Base):
    """A buyer claiming husavdrag; the personnummer is Fernet-encrypted at rest."""

    __tablename__ = "invoice_house_work_persons"

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    personal_number_encrypted: Mapped[str] = mapped_column(Text)
    share: Mapped[Decimal] = mapped_column(ExactDecimal(5, 2))
    deduction: Mapped[Decimal | None] = mapped_column(Money())


class Payment(Base):
    __tablename__ = "payments"
    __table_args__ = (UniqueConstraint("company_id", "external_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), index=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id"), index=True)
    amount: Mapped[Decimal] = mapped_column(Money())
    payment_date: Mapped[date] = mapped_column(Date)
    source: Mapped[str] = mapped_column(String(20))
    external_id: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
