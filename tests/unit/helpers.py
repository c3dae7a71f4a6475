"""Small builders for invoice content, so each test reads as the invoice it describes."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from fakturabro.domain.husavdrag import HouseWorkType, HusavdragKind
from fakturabro.domain.invoice import HusavdragClaim, HusavdragPerson, InvoiceContent, InvoiceRow, RowKind

ANNA = "198803200016"  # valid test personnummer (Luhn)
BERTIL = "196408233234"
CECILIA = "194107086995"


def labour(quantity: str, price: str, work: HouseWorkType | None = None, vat: str = "25") -> InvoiceRow:
    return InvoiceRow(
        RowKind.LABOUR,
        "Arbete",
        quantity=Decimal(quantity),
        unit="tim",
        unit_price=Decimal(price),
        vat_rate=Decimal(vat),
        house_work_type=work,
    )


def material(
    quantity: str, price: str, vat: str = "25", discount: str = "0", work: HouseWorkType | None = None
) -> InvoiceRow:
    return InvoiceRow(
        RowKind.MATERIAL,
        "Material",
        quantity=Decimal(quantity),
        unit="st",
        unit_price=Decimal(price),
        vat_rate=Decimal(vat),
        discount_percent=Decimal(discount),
        house_work_type=work,
    )


def text(words: str) -> InvoiceRow:
    return InvoiceRow(RowKind.TEXT, words)


def claim(kind: HusavdragKind, *shares: tuple[str, str], house: str | None = "EXEMPELBY 1:23") -> HusavdragClaim:
    persons = tuple(HusavdragPerson(number, Decimal(share)) for number, share in shares)
    return HusavdragClaim(kind, persons, property_designation=house if kind is not HusavdragKind.RUT else None)


def invoice(
    *rows: InvoiceRow,
    day: str = "2026-11-24",
    reverse_charge: bool = False,
    husavdrag: HusavdragClaim | None = None,
    is_credit: bool = False,
) -> InvoiceContent:
    return InvoiceContent(date.fromisoformat(day), rows, reverse_charge, husavdrag, is_credit)


def D(value: str) -> Decimal:
    return Decimal(value)
