"""`/v2/customerledgeritems`: the customer ledger (kundreskontra), as Visma's `CustomerLedgerItemApi`.

Every bookkept invoice has a ledger item (made in `invoices.py`, its payments keep it current). Callers add
their own with `POST /customerledgeritems/customerledgeritemswithvoucher`: the caller sets the
`InvoiceNumber` (the "verifikation" mode of the integration) and the voucher is booked in the same call, or
with `POST /customerledgeritems` against an existing manual (or SIE-imported) voucher. Visma records customer
payments on such items through bank matching, which has no API call: `register_item_payment` does it for the
control API and tests.

Our reading of Visma (unconfirmed): an `InvoiceNumber` already used by a ledger item of the company is refused
(invoice numbers identify a receivable); the voucher's rows must balance and name accounts in 1000–9999 (see
`vouchers.py`), but their amounts are not matched against the item's total; `useAutomaticVatCalculation` and
`useDefaultVatCodes` are accepted and ignored. `RemainingAmountInvoiceCurrency` may not exceed the total.
The spec has no `modifiedSinceUtc` on this list; `$filter` on `ModifiedUtc` does the same job.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Annotated, Any

from fastapi import APIRouter, Depends

from fakturabro.sandbox.deps import ListDep, StateDep, apply_filter, apply_orderby, company_for, paginate
from fakturabro.sandbox.errors import (
    CAN_NOT_BE_CREATED_OR_UPDATED,
    bad_request,
    conflict,
    not_found,
    unknown_reference,
)
from fakturabro.sandbox.pricing import ZERO, dec
from fakturabro.sandbox.resources.invoices import (
    PARTIAL_PAYMENT,
    RECEIVABLES,
    check_payment_amount,
    register_payment,
)
from fakturabro.sandbox.resources.vouchers import (
    BANK_TRANSACTION_DEPOSIT,
    MANUAL_VOUCHER,
    SALES_SERIES,
    amount,
    date_time,
    day_of,
    money,
    posting,
    record_voucher,
)
from fakturabro.sandbox.state import CompanyState, Resource, SandboxState

router = APIRouter()

Reader = Annotated[CompanyState, Depends(company_for("ea:sales", "ea:sales_readonly"))]
Writer = Annotated[CompanyState, Depends(company_for("ea:sales"))]

SIE_IMPORT = 9


def check_item(company: CompanyState, body: Mapping[str, Any]) -> None:
    if str(body.get("CustomerId")) not in company.customers:
        raise unknown_reference("CustomerId", "Customer", body.get("CustomerId"))
    number = int(body["InvoiceNumber"])
    if number <= 0:
        raise bad_request(CAN_NOT_BE_CREATED_OR_UPDATED, "InvoiceNumber must be positive.", "InvoiceNumber")
    if any(item["InvoiceNumber"] == number for item in company.ledger_items.values()):
        raise conflict(f"A customer ledger item with invoice number {number} already exists.", "InvoiceNumber")
    total = amount(body.get("TotalAmountInvoiceCurrency"), "TotalAmountInvoiceCurrency")
    remaining = amount(body.get("RemainingAmountInvoiceCurrency"), "RemainingAmountInvoiceCurrency")
    amount(body.get("VATAmountInvoiceCurrency"), "VATAmountInvoiceCurrency")
    amount(body.get("RoundingsAmountInvoiceCurrency"), "RoundingsAmountInvoiceCurrency")
    if total == ZERO:
        raise bad_request(
            CAN_NOT_BE_CREATED_OR_UPDATED, "TotalAmountInvoiceCurrency cannot be zero.", "TotalAmountInvoiceCurrency"
        )
    if abs(remaining) > abs(total) or (remaining != ZERO and (remaining > ZERO) != (total > ZERO)):
        raise bad_request(
            CAN_NOT_BE_CREATED_OR_UPDATED,
            "RemainingAmountInvoiceCurrency cannot exceed TotalAmountInvoiceCurrency.",
            "RemainingAmountInvoiceCurrency",
        )


def ledger_item(body: Mapping[str, Any], voucher: Mapping[str, Any], state: SandboxState) -> Resource:
    today = state.now().date()
    invoice_day = day_of(body.get("InvoiceDate"), today, "InvoiceDate")
    return {
        "CurrencyCode": body["CurrencyCode"],
        "CurrencyRate": float(body.get("CurrencyRate") or 1),
        "CurrencyRateUnit": int(body.get("CurrencyRateUnit") or 1),
        "CustomerId": body["CustomerId"],
        "DueDate": date_time(day_of(body.get("DueDate"), invoice_day, "DueDate")),
        "Id": str(uuid.uuid4()),
        "InvoiceDate": date_time(invoice_day),
        "InvoiceNumber": int(body["InvoiceNumber"]),
        "IsCreditInvoice": bool(body["IsCreditInvoice"]),
        "ModifiedUtc": state.timestamp(),
        "PaymentReferenceNumber": body.get("PaymentReferenceNumber"),
        "RemainingAmountInvoiceCurrency": money(dec(body["RemainingAmountInvoiceCurrency"])),
        "RoundingsAmountInvoiceCurrency": money(dec(body.get("RoundingsAmountInvoiceCurrency"))),
        "TotalAmountInvoiceCurrency": money(dec(body["TotalAmountInvoiceCurrency"])),
        "VATAmountInvoiceCurrency": money(dec(body.get("VATAmountInvoiceCurrency"))),
        "VoucherId": voucher["Id"],
    }


def register_item_payment(
    company: CompanyState, state: SandboxState, item: Resource, body: Mapping[str, Any]
) -> Resource:
    """A customer payment on a ledger item, as Visma's bank matching records it (there is no API call for it).

    Takes an `InvoicePaymentApi`-shaped body. An invoice's own item is paid through its invoice (so both move
    together); a caller's item gets the same checks and a payment voucher (bank against 1510). Meant for the
    control API and tests; the caller holds ``state.lock`` and saves.
    """
    for invoice in company.invoices.values():
        if invoice["VoucherId"] == item["VoucherId"]:
            return register_payment(company, state, invoice, body)
    bank = company.bank_accounts.get(str(body.get("CompanyBankAccountId")))
    if bank is None:
        raise unknown_reference("CompanyBankAccountId", "BankAccount", body.get("CompanyBankAccountId"))
    today = state.now().date()
    day = day_of(body.get("PaymentDate"), today, "PaymentDate")
    paid = amount(body.get("PaymentAmount"), "PaymentAmount")
    remaining = dec(item["RemainingAmountInvoiceCurrency"])
    check_payment_amount(paid, remaining, int(body.get("PaymentType") or PARTIAL_PAYMENT))
    voucher = record_voucher(
        company,
        day=day,
        text=f"Inbetalning kundfaktura {item['InvoiceNumber']}",
        rows=[posting(int(bank["LedgerAccountNumber"]), paid), posting(RECEIVABLES, -paid)],
        now_text=state.timestamp(),
        voucher_type=BANK_TRANSACTION_DEPOSIT,
        series=SALES_SERIES,
        source_id=item["Id"],
    )
    item.update(RemainingAmountInvoiceCurrency=money(remaining - paid), ModifiedUtc=state.timestamp())
    return {
        "CompanyBankAccountId": bank["Id"],
        "PaymentDate": date_time(day),
        "PaymentAmount": money(paid),
        "PaymentCurrency": item["CurrencyCode"],
        "PaymentType": int(body.get("PaymentType") or PARTIAL_PAYMENT),
        "BankTransactionId": voucher["Id"],
    }


def item_or_404(company: CompanyState, item_id: str) -> Resource:
    item = company.ledger_items.get(item_id)
    if item is None:
        raise not_found("CustomerLedgerItem", item_id)
    return item


@router.get("/customerledgeritems")
async def list_items(company: Reader, listing: ListDep, state: StateDep) -> dict[str, Any]:
    rows = apply_orderby(apply_filter(company.ledger_items.values(), listing.filter), listing.orderby)
    return paginate(rows, listing, server_time=state.timestamp())


@router.post("/customerledgeritems", status_code=201)
async def create_item(company: Writer, state: StateDep, body: dict[str, Any]) -> Resource:
    with state.lock:
        check_item(company, body)
        voucher = company.vouchers.get(str(body.get("VoucherId")))
        if voucher is None:
            raise unknown_reference("VoucherId", "Voucher", body.get("VoucherId"))
        if voucher.get("VoucherType") not in (MANUAL_VOUCHER, SIE_IMPORT):
            raise bad_request(
                CAN_NOT_BE_CREATED_OR_UPDATED, "The voucher must be a manual voucher or an SIE import.", "VoucherId"
            )
        item = ledger_item(body, voucher, state)
        company.ledger_items[item["Id"]] = item
        state.save()
    return item


@router.get("/customerledgeritems/{customerLedgerItemId}")
async def get_item(customerLedgerItemId: str, company: Reader) -> Resource:  # noqa: N803 - Visma's name
    return item_or_404(company, customerLedgerItemId)


@router.post("/customerledgeritems/customerledgeritemswithvoucher", status_code=201)
async def create_item_with_voucher(company: Writer, state: StateDep, body: dict[str, Any]) -> Resource:
    with state.lock:
        check_item(company, body)
        voucher_body = body["Voucher"]
        day = day_of(voucher_body.get("VoucherDate") or body.get("InvoiceDate"), state.now().date(), "VoucherDate")
        voucher = record_voucher(
            company,
            day=day,
            text=str(voucher_body.get("VoucherText") or ""),
            rows=list(voucher_body.get("Rows") or []),
            now_text=state.timestamp(),
            voucher_type=int(voucher_body.get("VoucherType") or MANUAL_VOUCHER),
        )
        item = ledger_item(body, voucher, state)
        company.ledger_items[item["Id"]] = item
        state.save()
    return item
