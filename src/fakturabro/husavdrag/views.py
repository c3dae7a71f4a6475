"""What the husavdrag use cases return, shaped like the API's JSON (amounts as strings with two decimals)."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, Field

from fakturabro.invoicing.views import ClaimStateView, MoneyStr

__all__ = ["ClaimStateView"]


class ClaimBuyerView(BaseModel):
    position: int
    personal_number: str = Field(description="Masked (birth date only)")
    requested: MoneyStr
    approved: MoneyStr | None


class ClaimInvoiceView(BaseModel):
    invoice_id: int
    number: int | None
    customer_name: str
    payment_date: date | None
    state: str
    label: str
    requested_amount: MoneyStr
    approved_amount: MoneyStr | None
    decided_at: date | None
    reason: str | None
    back_invoice_id: int | None
    buyers: list[ClaimBuyerView]


class ClaimView(BaseModel):
    id: int
    type: str
    name: str = Field(description="NamnPaBegaran: how Skatteverket's decision names the claim")
    payment_year: int
    requested_amount: MoneyStr
    has_file: bool = Field(description="False for grön teknik: claimed by hand in Skatteverket's own e-tjänst")
    file_url: str | None
    created_at: datetime
    invoices: list[ClaimInvoiceView]


class ClaimableInvoiceView(BaseModel):
    invoice_id: int
    number: int | None
    customer_name: str
    type: str
    state: str
    label: str
    source: str
    deduction: MoneyStr
    payment_date: date | None
    refusal: str | None = Field(description="Why it cannot be claimed here now (None: it can)")


class HistoryEntryView(BaseModel):
    at: datetime
    step: str
    message: str
