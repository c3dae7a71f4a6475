"""`/v2/vouchers`: the company's general ledger, as Visma's `VoucherApi`.

Vouchers are created by callers (manual vouchers) and by the sandbox itself when it books an invoice, a
payment or a customer ledger item. Every voucher must balance, be dated inside a fiscal year, and that year
must be open (`IsLockedForAccounting` false).

Our reading of Visma (unconfirmed): the sandbox keeps no chart of accounts, so any account number in the BAS
range 1000–9999 is accepted and others are refused with 3002 AccountNotFound. Voucher numbers run per
series: "A" for manual vouchers (the default series), "B" for customer invoices and payments.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from fakturabro.sandbox.deps import ListDep, StateDep, apply_filter, apply_orderby, company_for, paginate
from fakturabro.sandbox.errors import (
    ACCOUNT_NOT_FOUND,
    CAN_NOT_BE_CREATED_OR_UPDATED,
    DATA_MODEL_VALIDATION_ERROR,
    FISCAL_YEAR_DOES_NOT_EXIST,
    bad_request,
    not_found,
)
from fakturabro.sandbox.pricing import ORE, ZERO, PricingError, dec
from fakturabro.sandbox.state import CompanyState, Resource, SandboxState, parse_utc

router = APIRouter()

MANUAL_VOUCHER = 2
CUSTOMER_INVOICE_DEBIT = 14
CUSTOMER_INVOICE_CREDIT = 15
BANK_TRANSACTION_DEPOSIT = 10
MANUAL_SERIES = "A"
SALES_SERIES = "B"
FIRST_ACCOUNT, LAST_ACCOUNT = 1000, 9999

Reader = Annotated[CompanyState, Depends(company_for("ea:accounting", "ea:accounting_readonly"))]
Writer = Annotated[CompanyState, Depends(company_for("ea:accounting"))]


def money(amount: Decimal) -> float:
    """A Decimal as the JSON number Visma sends (exact for amounts with at most two decimals)."""
    return float(amount)


def date_time(day: date) -> str:
    """A calendar date as Visma's date-time strings (midnight, UTC)."""
    return f"{day.isoformat()}T00:00:00Z"


def day_of(value: Any, default: date, field: str | None = None) -> date:
    """The calendar date of a date-time from a request (``default`` when absent); a bad one is Visma's 400."""
    if not value:
        return default
    try:
        return parse_utc(str(value)).date()
    except ValueError:
        raise bad_request(DATA_MODEL_VALIDATION_ERROR, f"{value!r} is not a date.", field) from None


def amount(value: Any, field: str) -> Decimal:
    """A money amount from a request: a finite number with at most two decimals, else Visma's 400."""
    try:
        number = dec(value)
    except PricingError as refused:
        raise bad_request(DATA_MODEL_VALIDATION_ERROR, f"{field}: {refused.message}", field) from None
    if number != number.quantize(ORE):
        raise bad_request(DATA_MODEL_VALIDATION_ERROR, f"{field} may have at most two decimals.", field)
    return number


def fiscal_year_for(company: CompanyState, day: date) -> Resource:
    """The open fiscal year containing ``day``, or Visma's 400."""
    for year in company.fiscal_years.values():
        if parse_utc(year["StartDate"]).date() <= day <= parse_utc(year["EndDate"]).date():
            if year.get("IsLockedForAccounting"):
                raise bad_request(
                    CAN_NOT_BE_CREATED_OR_UPDATED, f"The fiscal year containing {day} is locked.", "VoucherDate"
                )
            return year
    raise bad_request(FISCAL_YEAR_DOES_NOT_EXIST, f"There is no fiscal year containing {day}.", "VoucherDate")


def check_rows(rows: Iterable[Mapping[str, Any]]) -> None:
    """Rows must name known accounts, carry one side each and balance to the öre."""
    debit = credit = ZERO
    count = 0
    for number, row in enumerate(rows, start=1):
        count += 1
        account = int(row.get("AccountNumber") or 0)
        if not FIRST_ACCOUNT <= account <= LAST_ACCOUNT:
            raise bad_request(ACCOUNT_NOT_FOUND, f"Row {number}: account {account} does not exist.", "AccountNumber")
        row_debit, row_credit = (
            amount(row.get("DebitAmount"), "DebitAmount"),
            amount(row.get("CreditAmount"), "CreditAmount"),
        )
        if row_debit < ZERO or row_credit < ZERO:
            raise bad_request(
                CAN_NOT_BE_CREATED_OR_UPDATED, f"Row {number}: amounts cannot be negative.", "DebitAmount"
            )
        debit += row_debit
        credit += row_credit
    if count < 2:
        raise bad_request(CAN_NOT_BE_CREATED_OR_UPDATED, "A voucher needs at least two rows.", "Rows")
    if debit == ZERO:
        raise bad_request(CAN_NOT_BE_CREATED_OR_UPDATED, "A voucher needs an amount.", "Rows")
    if debit != credit:
        raise bad_request(
            CAN_NOT_BE_CREATED_OR_UPDATED,
            f"The voucher is not balanced: debit {debit} and credit {credit}.",
            "Rows",
        )


def record_voucher(
    company: CompanyState,
    *,
    day: date,
    text: str,
    rows: Sequence[Mapping[str, Any]],
    now_text: str,
    voucher_type: int = MANUAL_VOUCHER,
    series: str = MANUAL_SERIES,
    source_id: str | None = None,
) -> Resource:
    """Check and store a voucher; the caller holds ``state.lock`` and saves."""
    fiscal_year_for(company, day)
    check_rows(rows)
    number = company.next_counter(f"voucher-series-{series}")
    voucher: Resource = {
        "Id": str(uuid.uuid4()),
        "VoucherDate": date_time(day),
        "VoucherText": text,
        "Rows": [voucher_row(row) for row in rows],
        "NumberAndNumberSeries": f"{series}{number}",
        "NumberSeries": series,
        "ImportedVoucherNumber": None,
        "ModifiedUtc": now_text,
        "VoucherType": voucher_type,
        "SourceId": source_id,
        "CreatedUtc": now_text,
    }
    company.vouchers[voucher["Id"]] = voucher
    return voucher


def voucher_row(row: Mapping[str, Any]) -> Resource:
    return {
        "AccountNumber": int(row["AccountNumber"]),
        "AccountDescription": None,
        "DebitAmount": money(dec(row.get("DebitAmount"))),
        "CreditAmount": money(dec(row.get("CreditAmount"))),
        "TransactionText": row.get("TransactionText"),
        "CostCenterItemId1": None,
        "CostCenterItemId2": row.get("CostCenterItemId2"),
        "CostCenterItemId3": row.get("CostCenterItemId3"),
        "VatCodeId": row.get("VatCodeId"),
        "VatCodeAndPercent": row.get("VatCodeAndPercent"),
        "VatAmount": row.get("VatAmount"),
        "Quantity": row.get("Quantity"),
        "Weight": row.get("Weight"),
        "DeliveryDate": row.get("DeliveryDate"),
        "HarvestYear": row.get("HarvestYear"),
        "ProjectId": row.get("ProjectId"),
    }


def posting(account: int, amount: Decimal, text: str | None = None) -> dict[str, Any]:
    """A row on the side its sign says: positive is debit, negative is credit."""
    debit, credit = (amount, ZERO) if amount >= ZERO else (ZERO, -amount)
    return {"AccountNumber": account, "DebitAmount": debit, "CreditAmount": credit, "TransactionText": text}


def create_from_body(company: CompanyState, body: Mapping[str, Any], state: SandboxState) -> Resource:
    today = state.now().date()
    day = day_of(body.get("VoucherDate"), today, "VoucherDate")
    voucher_type = int(body.get("VoucherType") or MANUAL_VOUCHER)
    return record_voucher(
        company,
        day=day,
        text=str(body.get("VoucherText") or ""),
        rows=list(body.get("Rows") or []),
        now_text=state.timestamp(),
        voucher_type=voucher_type,
        series=str(body.get("NumberSeries") or MANUAL_SERIES),
    )


def in_fiscal_year(voucher: Mapping[str, Any], year: Mapping[str, Any]) -> bool:
    day = parse_utc(voucher["VoucherDate"]).date()
    return parse_utc(year["StartDate"]).date() <= day <= parse_utc(year["EndDate"]).date()


def listing_page(vouchers: list[Resource], listing: ListDep, state: SandboxState) -> dict[str, Any]:
    rows = apply_orderby(apply_filter(vouchers, listing.filter), listing.orderby)
    return paginate(rows, listing, server_time=state.timestamp())


@router.get("/vouchers")
async def list_vouchers(company: Reader, listing: ListDep, state: StateDep) -> dict[str, Any]:
    return listing_page(list(company.vouchers.values()), listing, state)


@router.post("/vouchers", status_code=201)
async def create_voucher(
    company: Writer,
    state: StateDep,
    body: dict[str, Any],
    useDefaultVoucherSeries: Annotated[bool, Query()] = True,  # noqa: N803 - Visma's parameter name
) -> Resource:
    if useDefaultVoucherSeries:
        body = {**body, "NumberSeries": None}
    with state.lock:
        voucher = create_from_body(company, body, state)
        state.save()
    return voucher


@router.get("/vouchers/{fiscalyearId}")
async def list_vouchers_in_year(
    fiscalyearId: str,  # noqa: N803 - Visma's parameter name
    company: Reader,
    listing: ListDep,
    state: StateDep,
) -> dict[str, Any]:
    year = company.fiscal_years.get(fiscalyearId)
    if year is None:
        raise not_found("FiscalYear", fiscalyearId)
    in_year = [voucher for voucher in company.vouchers.values() if in_fiscal_year(voucher, year)]
    return listing_page(in_year, listing, state)


@router.get("/vouchers/{fiscalyearId}/{voucherId}")
async def get_voucher(fiscalyearId: str, voucherId: str, company: Reader) -> Resource:  # noqa: N803
    year = company.fiscal_years.get(fiscalyearId)
    voucher = company.vouchers.get(voucherId)
    if year is None or voucher is None or not in_fiscal_year(voucher, year):
        raise not_found("Voucher", voucherId)
    return voucher
