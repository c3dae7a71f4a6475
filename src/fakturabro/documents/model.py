"""The invoice document as laid out text: every value already formatted the Swedish way, nothing left to
compute. The PDF and the HTML page both render this one model, so screen, print and PDF say the same."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Logo:
    data: bytes
    content_type: str  # image/png | image/jpeg | image/svg+xml


@dataclass(frozen=True)
class DocumentRow:
    article_number: str
    text: str
    quantity: str  # "2 tim", empty on a text row
    unit_price: str
    discount: str  # "10 %" or empty
    vat_rate: str
    amount: str
    is_text: bool = False


@dataclass(frozen=True)
class Line:
    label: str
    value: str
    strong: bool = False


@dataclass(frozen=True)
class HusavdragSection:
    heading: str  # "ROT-avdrag"
    costs: list[Line]  # labour, material, other (incl. VAT)
    buyers: list[Line]  # the preliminary reduction per buyer
    place: str | None  # fastighetsbeteckning, or BRF org nr + lägenhetsnummer
    note: str


@dataclass(frozen=True)
class InvoiceDocument:
    title: str  # Faktura | Kreditfaktura | Utkast – faktura
    number: str | None  # None on a draft
    is_draft: bool
    seller_name: str
    seller_address: list[str]
    seller_contact: list[str]
    seller_legal: list[str]  # org nr, momsreg.nr, F-skatt
    buyer: list[str]  # name, address lines, org nr / VAT nr
    facts: list[Line]  # invoice date, delivery date, due date, customer number, references, OCR
    rows: list[DocumentRow]
    vat_summary: list[Line]  # base and VAT per rate
    totals: list[Line]
    notes: list[str]  # reverse charge, credit, draft
    husavdrag: HusavdragSection | None
    payment: list[Line]  # to pay, due date, bankgiro/plusgiro/IBAN, OCR
    late_interest: str | None
    logo: Logo | None = None
    footer: list[str] = field(default_factory=list)
