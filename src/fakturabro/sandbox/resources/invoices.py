"""`/v2/customerinvoices`: bookkept customer invoices and their payments, as Visma's `CustomerInvoiceApi`.

An invoice is bookkept the moment it exists (created here or converted from a draft): it takes the next number
of the company's series (`NextCustomerInvoiceNumber`, which then increments), gets a voucher (1510 customer
part and 1513 Skatteverket's part against sales, VAT and rounding) and a customer ledger item, and
`RemainingAmount` starts at what the customer owes. Payments (`InvoicePaymentApi`) reduce it, book a voucher
against the bank account's ledger account, and move `ModifiedUtc`, which `modifiedSinceUtc` listing reads.

Our reading of Visma (unconfirmed), beyond `pricing.py`:
- Invoice rows have no `IsTextRow`, `IsWorkCost` or `ReversedConstructionServicesVatFree` (read-only or absent
  in `CustomerInvoiceRowApi`): a row without `ArticleId` is a text row, a row with a `WorkCostType` other than
  0 is a work cost, and `IsVatFree` marks a reverse-charge row (it needs the same company setting and a
  customer VAT number as on drafts).
- Credit invoices: the spec has no writable link to the credited invoice (`ReferringInvoiceId` and
  `CreditedBy` are read-only), so a credit invoice created through the API stands alone: negative totals,
  negative `RemainingAmount`, and it does not reduce the original's `RemainingAmount`.
- Payments: `PaymentType` 1 (partial) may pay up to the remaining amount, 2 (complete) must pay exactly the
  remaining amount; more than the remaining amount is refused; `PaymentDate` may not be in the future and
  `PaymentCurrency` must be the invoice's currency. A credit invoice is "paid" with negative amounts.
- `POST /customerinvoices` accepts the scopes the spec lists, `ea:sales_readonly` included (sic). With a
  `CreatedFromDraftId` it books that draft (like convert) and ignores the body's rows; an unknown id is a 400.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import date, timedelta
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from fakturabro.sandbox.deps import ListDep, StateDep, apply_filter, apply_orderby, company_for, paginate
from fakturabro.sandbox.errors import (
    CAN_NOT_BE_CREATED_OR_UPDATED,
    DATA_MODEL_VALIDATION_ERROR,
    VismaApiError,
    bad_request,
    not_found,
    unknown_reference,
)
from fakturabro.sandbox.pricing import ZERO, Pricing, PricingError, dec, price_document, vat_fraction
from fakturabro.sandbox.resources.vouchers import (
    BANK_TRANSACTION_DEPOSIT,
    CUSTOMER_INVOICE_CREDIT,
    CUSTOMER_INVOICE_DEBIT,
    SALES_SERIES,
    amount,
    date_time,
    day_of,
    money,
    posting,
    record_voucher,
)
from fakturabro.sandbox.state import CompanyState, Resource, SandboxState, parse_utc

router = APIRouter()

Reader = Annotated[CompanyState, Depends(company_for("ea:sales", "ea:sales_readonly"))]
Creator = Annotated[CompanyState, Depends(company_for("ea:sales", "ea:sales_readonly"))]
Writer = Annotated[CompanyState, Depends(company_for("ea:sales"))]

RECEIVABLES = 1510  # Kundfordringar
SHARED_RECEIVABLES = 1513  # Kundfordringar – delad faktura (Skatteverket's part of ROT/RUT)
ROUNDING = 3740  # Öres- och kronutjämning
VAT_ACCOUNTS = {Decimal("0.25"): 2611, Decimal("0.12"): 2621, Decimal("0.06"): 2631}
PAID, UNPAID, OVERDUE = 0, 1, 2
PARTIAL_PAYMENT, COMPLETE_PAYMENT = 1, 2


# --- pricing a document against the company ------------------------------------------------------------


def customer_of(company: CompanyState, body: Mapping[str, Any]) -> Resource:
    customer_id = body.get("CustomerId")
    customer = company.customers.get(str(customer_id))
    if customer is None:
        raise unknown_reference("CustomerId", "Customer", customer_id)
    return customer


def article_rates(company: CompanyState, rows: Sequence[Mapping[str, Any]]) -> dict[str, Decimal]:
    """ArticleId → VAT fraction of its coding, for the rows' articles; unknown articles are Visma's 400."""
    rates = {}
    for number, row in enumerate(rows, start=1):
        article_id = row.get("ArticleId")
        if not article_id:
            continue
        article = company.articles.get(str(article_id))
        if article is None:
            raise unknown_reference(f"Rows[{number}].ArticleId", "Article", article_id)
        rates[str(article_id)] = vat_fraction(company.article_account_codings.get(article["CodingId"], {}))
    return rates


def price(company: CompanyState, body: Mapping[str, Any], customer: Mapping[str, Any], today: date) -> Pricing:
    rows = list(body.get("Rows") or [])
    rates = article_rates(company, rows)
    try:
        return price_document(body, customer=customer, settings=company.settings, vat_rate_of=rates, today=today)
    except PricingError as refused:
        raise bad_request(refused.error_code, refused.message, refused.field) from None


def fill_unit_prices(company: CompanyState, body: Mapping[str, Any]) -> Mapping[str, Any]:
    """`ReplaceUnitPriceWhenZero`: rows priced 0 take their article's `NetPrice`."""
    if not body.get("ReplaceUnitPriceWhenZero"):
        return body
    rows = []
    for row in body.get("Rows") or []:
        article = company.articles.get(str(row.get("ArticleId")))
        if article is not None and not row.get("UnitPrice"):
            row = {**row, "UnitPrice": article.get("NetPrice") or 0}
        rows.append(row)
    return {**body, "Rows": rows}


def refuse_zero_amount(pricing: Pricing) -> None:
    if pricing.total == ZERO:
        raise bad_request(CAN_NOT_BE_CREATED_OR_UPDATED, "An invoice with a zero amount cannot be created.", "Rows")


def due_date(company: CompanyState, body: Mapping[str, Any], customer: Mapping[str, Any], day: date) -> date:
    terms_id = (
        body.get("TermsOfPaymentId") or customer.get("TermsOfPaymentId") or company.settings.get("TermsOfPaymentId")
    )
    terms = company.terms_of_payments.get(str(terms_id))
    if terms is None:
        raise unknown_reference("TermsOfPaymentId", "TermsOfPayment", terms_id)
    return day + timedelta(days=int(terms.get("NumberOfDays") or 0))


def customer_fields(customer: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "CustomerNumber": customer.get("CustomerNumber"),
        "CustomerName": customer.get("Name"),
        "InvoiceCustomerName": customer.get("Name"),
        "CustomerIsPrivatePerson": bool(customer.get("IsPrivatePerson")),
    }


def includes_vat(company: CompanyState, customer: Mapping[str, Any]) -> bool:
    """As the spec defines it; prices on the API side stay excluding VAT either way (see pricing.py)."""
    return bool(company.settings.get("ShowPricesExclVatPC")) and bool(customer.get("IsPrivatePerson"))


def persons(body: Mapping[str, Any], pricing: Pricing) -> list[Resource] | None:
    given = body.get("Persons")
    if not given:
        return given if given is None else []
    return [
        {"Id": str(uuid.uuid4()), "Ssn": person.get("Ssn"), "Amount": money(share)}
        for person, share in zip(given, pricing.person_amounts or [ZERO] * len(given), strict=True)
    ]


def vat_specification(pricing: Pricing) -> list[Resource]:
    return [
        {
            "AmountInvoiceCurrency": money(line.base),
            "VatAmountInvoiceCurrency": money(line.vat),
            "VatPercent": money(line.rate),
        }
        for line in pricing.vat_lines
    ]


# --- booking ---------------------------------------------------------------------------------------------


def invoice_rows(company: CompanyState, rows: Sequence[Mapping[str, Any]], pricing: Pricing) -> list[Resource]:
    shaped = []
    for raw, priced in zip(rows, pricing.rows, strict=True):
        article = company.articles.get(str(raw.get("ArticleId"))) if raw.get("ArticleId") else None
        unit = company.units.get(article["UnitId"], {}) if article else {}
        shaped.append(
            {
                "Id": str(uuid.uuid4()),
                "ArticleNumber": article["Number"] if article else None,
                "ArticleId": article["Id"] if article else None,
                "IsServiceArticle": bool(article and article.get("IsServiceArticle")),
                "AmountNoVat": money(priced.amount),
                "PercentVat": money(priced.vat_rate or ZERO),
                "VatRate": None if priced.vat_rate is None else money(ZERO if priced.vat_free else priced.vat_rate),
                "LineNumber": priced.line_number,
                "IsTextRow": priced.is_text_row,
                "Text": raw.get("Text") or (article["Name"] if article else None),
                "UnitPrice": money(dec(raw.get("UnitPrice"))),
                "UnitAbbreviation": unit.get("Abbreviation"),
                "UnitAbbreviationEnglish": unit.get("AbbreviationEnglish"),
                "IsDiscountInFixedAmount": False,
                "DiscountFixedAmount": None,
                "DiscountPercentage": money(dec(raw.get("DiscountPercentage"))),
                "Quantity": money(dec(raw.get("Quantity"))),
                "IsWorkCost": priced.is_work_cost,
                "IsVatFree": priced.vat_free,
                "CostCenterItemId1": raw.get("CostCenterItemId1"),
                "CostCenterItemId2": raw.get("CostCenterItemId2"),
                "CostCenterItemId3": raw.get("CostCenterItemId3"),
                "UnitId": article["UnitId"] if article else None,
                "ProjectId": raw.get("ProjectId"),
                "WorkCostType": int(raw.get("WorkCostType") or 0),
                "WorkHours": raw.get("WorkHours"),
                "MaterialCosts": raw.get("MaterialCosts"),
                "GreenTechnologyType": priced.green_technology_type,
                "PurchasePrice": float(article.get("PurchasePrice") or 0) if article else 0.0,
                "FreightCosts": 0.0,
                "Amount": money(priced.amount),
            }
        )
    return shaped


def invoice_voucher_rows(company: CompanyState, rows: list[Resource], pricing: Pricing) -> list[dict[str, Any]]:
    """The bookkeeping of an invoice: receivables against sales per account, VAT per rate and rounding."""
    sales: dict[int, Decimal] = {}
    for row, priced in zip(rows, pricing.rows, strict=True):
        if priced.is_text_row:
            continue
        coding = company.article_account_codings.get(company.articles[row["ArticleId"]]["CodingId"], {})
        key = (
            "DomesticSalesSubjectToReversedConstructionVatAccountNumber"
            if priced.vat_free
            else "DomesticSalesSubjectToVatAccountNumber"
        )
        account = int(coding.get(key) or coding.get("DomesticSalesSubjectToVatAccountNumber") or 3001)
        sales[account] = sales.get(account, ZERO) + priced.amount
    postings = [posting(RECEIVABLES, pricing.remaining, "Kundfordran")]
    if pricing.reduction:
        postings.append(posting(SHARED_RECEIVABLES, pricing.reduction, "Skattereduktion"))
    postings += [posting(account, -amount) for account, amount in sales.items() if amount]
    postings += [posting(VAT_ACCOUNTS.get(line.rate, 2611), -line.vat) for line in pricing.vat_lines if line.vat]
    if pricing.roundings:
        postings.append(posting(ROUNDING, -pricing.roundings, "Avrundning"))
    return postings


def book_invoice(
    company: CompanyState,
    state: SandboxState,
    body: Mapping[str, Any],
    *,
    created_from_draft_id: str | None = None,
    invoice_day: date | None = None,
) -> Resource:
    """Price, number, bookkeep and store one invoice; the caller holds ``state.lock`` and saves."""
    today = state.now().date()
    body = fill_unit_prices(company, body)
    customer = customer_of(company, body)
    rows = [dict(row) for row in body.get("Rows") or []]
    pricing = price(company, body, customer, today)
    refuse_zero_amount(pricing)
    day = invoice_day or day_of(body.get("InvoiceDate"), today, "InvoiceDate")
    due = day_of(body.get("DueDate"), due_date(company, body, customer, day), "DueDate")
    shaped_rows = invoice_rows(company, rows, pricing)
    number = int(company.settings["NextCustomerInvoiceNumber"])
    credit = bool(body.get("IsCreditInvoice"))
    now = state.timestamp()
    invoice_id = str(uuid.uuid4())
    voucher = record_voucher(
        company,
        day=day,
        text=f"Kundfaktura {number}, {customer.get('Name')}",
        rows=invoice_voucher_rows(company, shaped_rows, pricing),
        now_text=now,
        voucher_type=CUSTOMER_INVOICE_CREDIT if credit else CUSTOMER_INVOICE_DEBIT,
        series=SALES_SERIES,
        source_id=invoice_id,
    )
    company.settings["NextCustomerInvoiceNumber"] = number + 1
    currency = company.settings.get("CurrencyCode") or "SEK"
    invoice: Resource = {
        "Id": invoice_id,
        "EuThirdParty": bool(body.get("EuThirdParty")),
        "IsCreditInvoice": credit,
        "CurrencyCode": currency,
        "CurrencyRate": 1.0,
        "CreatedByUserId": None,
        "TotalAmount": money(pricing.total),
        "TotalVatAmount": money(pricing.vat),
        "TotalRoundings": money(pricing.roundings),
        "TotalAmountInvoiceCurrency": money(pricing.total),
        "TotalVatAmountInvoiceCurrency": money(pricing.vat),
        "SetOffAmountInvoiceCurrency": 0.0,
        "CustomerId": customer["Id"],
        "Rows": shaped_rows,
        "VatSpecification": vat_specification(pricing),
        "InvoiceDate": date_time(day),
        "DueDate": date_time(due),
        "DeliveryDate": body.get("DeliveryDate"),
        "RotReducedInvoicingType": int(body.get("RotReducedInvoicingType") or 0),
        "MaxAllowedTaxReductionAmount": money(pricing.max_reduction),
        "RotReducedInvoicingAmount": money(pricing.reduction),
        "RotReducedInvoicingPercent": money(pricing.reduction_percent),
        "RotReducedInvoicingPropertyName": body.get("RotReducedInvoicingPropertyName"),
        "RotReducedInvoicingOrgNumber": body.get("RotReducedInvoicingOrgNumber"),
        "Persons": persons(body, pricing),
        "RotReducedInvoicingAutomaticDistribution": bool(body.get("RotReducedInvoicingAutomaticDistribution")),
        "ElectronicReference": body.get("ElectronicReference"),
        "SubscriptionNumber": body.get("SubscriptionNumber"),
        "ContractNumber": body.get("ContractNumber"),
        "ElectronicAddress": None,
        "EdiServiceDelivererId": body.get("EdiServiceDelivererId"),
        "OurReference": body.get("OurReference"),
        "YourReference": body.get("YourReference"),
        "BuyersOrderReference": body.get("BuyersOrderReference"),
        **customer_fields(customer),
        "InvoiceAddress1": body.get("InvoiceAddress1") or customer.get("InvoiceAddress1"),
        "InvoiceAddress2": body.get("InvoiceAddress2") or customer.get("InvoiceAddress2"),
        "InvoicePostalCode": body.get("InvoicePostalCode") or customer.get("InvoicePostalCode"),
        "InvoiceCity": body.get("InvoiceCity") or customer.get("InvoiceCity"),
        "InvoiceCountryCode": body.get("InvoiceCountryCode") or customer.get("InvoiceCountryCode"),
        "DeliveryCustomerName": body.get("DeliveryCustomerName"),
        "DeliveryAddress1": body.get("DeliveryAddress1"),
        "DeliveryAddress2": body.get("DeliveryAddress2"),
        "DeliveryPostalCode": body.get("DeliveryPostalCode"),
        "DeliveryCity": body.get("DeliveryCity"),
        "DeliveryCountryCode": body.get("DeliveryCountryCode"),
        "DeliveryMethodName": None,
        "DeliveryTermName": None,
        "DeliveryMethodCode": None,
        "DeliveryTermCode": None,
        "TermsOfPaymentId": body.get("TermsOfPaymentId") or customer.get("TermsOfPaymentId"),
        "CustomerEmail": customer.get("EmailAddress"),
        "InvoiceNumber": number,
        "PaymentReferenceNumber": str(number) if company.settings.get("UsesPaymentReferenceNumber") else None,
        "RotPropertyType": body.get("RotPropertyType"),
        "SalesDocumentAttachments": [],
        "MessageThreads": [],
        "Notes": [],
        "HasAutoInvoiceError": False,
        "IsNotDelivered": False,
        "ReverseChargeOnConstructionServices": any(row.vat_free for row in pricing.rows),
        "WorkHouseOtherCosts": body.get("WorkHouseOtherCosts"),
        "RemainingAmount": money(pricing.remaining),
        "RemainingAmountInvoiceCurrency": money(pricing.remaining),
        "ReferringInvoiceId": None,
        "CreatedFromOrderId": None,
        "CreatedFromQuoteId": None,
        "CreatedFromDraftId": created_from_draft_id,
        "VoucherNumber": voucher["NumberAndNumberSeries"],
        "VoucherId": voucher["Id"],
        "CreatedUtc": now,
        "ModifiedUtc": now,
        "ReversedConstructionVatInvoicing": any(row.vat_free for row in pricing.rows),
        "IncludesVat": includes_vat(company, customer),
        "SendType": body.get("SendType"),
        "PaymentReminderIssued": False,
        "PaymentRemindersCount": 0,
        "LastPaymentReminderSentDate": None,
        "UsesGreenTechnology": bool(body.get("UsesGreenTechnology")),
        "IsSold": False,
        "FactoringInvoiceStatus": 0,
        "PaymentDate": None,
        "PaymentStatus": UNPAID,
        "CreditedBy": [],
        "IsDirectDebit": body.get("IsDirectDebit"),
        "IsQuickInvoice": False,
        "IsCollectiveInvoice": False,
        "CollectiveCustomerInvoiceRowsRelationToOrders": [],
        "ReplaceUnitPriceWhenZero": bool(body.get("ReplaceUnitPriceWhenZero")),
        "TaxDeductionStatus": TAX_DEDUCTION_NONE,
        "BackgroundId": body.get("BackgroundId"),
    }
    company.invoices[invoice_id] = invoice
    company.ledger_items[str(uuid.uuid4())] = ledger_item_for(invoice, pricing)
    return invoice


def ledger_item_for(invoice: Mapping[str, Any], pricing: Pricing) -> Resource:
    """The customer ledger item (kundreskontra) Visma keeps beside every bookkept invoice."""
    return {
        "CurrencyCode": invoice["CurrencyCode"],
        "CurrencyRate": 1.0,
        "CurrencyRateUnit": 1,
        "CustomerId": invoice["CustomerId"],
        "DueDate": invoice["DueDate"],
        "InvoiceDate": invoice["InvoiceDate"],
        "InvoiceNumber": invoice["InvoiceNumber"],
        "IsCreditInvoice": invoice["IsCreditInvoice"],
        "ModifiedUtc": invoice["ModifiedUtc"],
        "PaymentReferenceNumber": invoice["PaymentReferenceNumber"],
        "RemainingAmountInvoiceCurrency": invoice["RemainingAmountInvoiceCurrency"],
        "RoundingsAmountInvoiceCurrency": money(pricing.roundings),
        "TotalAmountInvoiceCurrency": money(pricing.remaining),
        "VATAmountInvoiceCurrency": money(pricing.vat),
        "VoucherId": invoice["VoucherId"],
    }


def book_invoice_rows(body: Mapping[str, Any]) -> dict[str, Any]:
    """A `CustomerInvoiceApi` body with its rows in the draft-row terms `pricing.py` reads."""
    rows = [
        {
            **row,
            "IsTextRow": not row.get("ArticleId"),
            "IsWorkCost": int(row.get("WorkCostType") or 0) != 0,
            "ReversedConstructionServicesVatFree": bool(row.get("IsVatFree")),
        }
        for row in body.get("Rows") or []
    ]
    return {**body, "Rows": rows}


# --- husavdrag: the claim to Skatteverket (TaxDeductionStatus) -----------------------------------------------

# `CustomerInvoiceApi.TaxDeductionStatus` (read-only): 0 None, 1 ApplicableForDeductionExport, 2
# ExportedToTaxAuthority, 3 RejectedByTaxAuthority. Our reading (unconfirmed, shared/visma/NOTES.md): 0 while the
# customer has not paid, 1 once the customer's part is paid, 2 when the user has claimed it from Visma (its ROT/RUT
# export), 3 when Skatteverket refused. 2 and 3 happen in Visma's UI; the control API stands in for them.
TAX_DEDUCTION_NONE, TAX_DEDUCTION_READY, TAX_DEDUCTION_EXPORTED, TAX_DEDUCTION_REJECTED = 0, 1, 2, 3
TAX_DEDUCTION_STEPS = {TAX_DEDUCTION_EXPORTED: TAX_DEDUCTION_READY, TAX_DEDUCTION_REJECTED: TAX_DEDUCTION_EXPORTED}


def set_tax_deduction_status(invoice: Resource, status: int, now: str) -> str | None:
    """Move an invoice's claim on (1 → 2 → 3); returns why not, or None. Moves ``ModifiedUtc``."""
    if not dec(invoice.get("RotReducedInvoicingAmount")):
        return "The invoice has no tax reduction"
    before = TAX_DEDUCTION_STEPS.get(status)
    if before is None:
        return "TaxDeductionStatus can be set to 2 (ExportedToTaxAuthority) or 3 (RejectedByTaxAuthority)"
    if invoice["TaxDeductionStatus"] != before:
        return f"TaxDeductionStatus {status} needs {before}, the invoice has {invoice['TaxDeductionStatus']}"
    invoice.update(TaxDeductionStatus=status, ModifiedUtc=now)
    return None


# --- payments --------------------------------------------------------------------------------------------


def register_payment(
    company: CompanyState, state: SandboxState, invoice: Resource, body: Mapping[str, Any]
) -> Resource:
    """Apply an `InvoicePaymentApi` to an invoice; the caller holds ``state.lock`` and saves."""
    bank = company.bank_accounts.get(str(body.get("CompanyBankAccountId")))
    if bank is None:
        raise unknown_reference("CompanyBankAccountId", "BankAccount", body.get("CompanyBankAccountId"))
    if str(body.get("PaymentCurrency") or "").upper() != invoice["CurrencyCode"]:
        raise bad_request(
            CAN_NOT_BE_CREATED_OR_UPDATED,
            f"PaymentCurrency must be the invoice currency {invoice['CurrencyCode']}.",
            "PaymentCurrency",
        )
    today = state.now().date()
    day = day_of(body.get("PaymentDate"), today, "PaymentDate")
    if day > today:
        raise bad_request(CAN_NOT_BE_CREATED_OR_UPDATED, "PaymentDate cannot be in the future.", "PaymentDate")
    paid = amount(body.get("PaymentAmount"), "PaymentAmount")
    remaining = dec(invoice["RemainingAmount"])
    check_payment_amount(paid, remaining, int(body.get("PaymentType") or PARTIAL_PAYMENT))
    now = state.timestamp()
    voucher = record_voucher(
        company,
        day=day,
        text=f"Inbetalning kundfaktura {invoice['InvoiceNumber']}",
        rows=[posting(int(bank["LedgerAccountNumber"]), paid), posting(RECEIVABLES, -paid)],
        now_text=now,
        voucher_type=BANK_TRANSACTION_DEPOSIT,
        series=SALES_SERIES,
        source_id=invoice["Id"],
    )
    left = remaining - paid
    invoice.update(
        RemainingAmount=money(left),
        RemainingAmountInvoiceCurrency=money(left),
        PaymentDate=date_time(day),
        PaymentStatus=PAID if left == ZERO else UNPAID,
        ModifiedUtc=now,
    )
    if left == ZERO and dec(invoice.get("RotReducedInvoicingAmount")) and invoice["TaxDeductionStatus"] == 0:
        invoice["TaxDeductionStatus"] = TAX_DEDUCTION_READY  # paid: the tax reduction may now be claimed
    for item in company.ledger_items.values():
        if item["VoucherId"] == invoice["VoucherId"]:
            item.update(RemainingAmountInvoiceCurrency=money(left), ModifiedUtc=now)
    return {
        "CompanyBankAccountId": bank["Id"],
        "PaymentDate": date_time(day),
        "Reference": body.get("Reference"),
        "PaymentAmount": money(paid),
        "PaymentCurrency": invoice["CurrencyCode"],
        "DomesticPaymentAmount": money(paid),
        "BankFeeAmount": float(body.get("BankFeeAmount") or 0),
        "PaymentType": int(body.get("PaymentType") or PARTIAL_PAYMENT),
        "FactoringFeeAmount": float(body.get("FactoringFeeAmount") or 0),
        "FactoringFeeAccountNumber": int(body.get("FactoringFeeAccountNumber") or 0),
        "BankTransactionId": voucher["Id"],
    }


def check_payment_amount(amount: Decimal, remaining: Decimal, payment_type: int) -> None:
    def refuse(message: str) -> VismaApiError:
        return bad_request(CAN_NOT_BE_CREATED_OR_UPDATED, message, "PaymentAmount")

    if remaining == ZERO:
        raise refuse("The invoice is already paid.")
    if amount == ZERO or (amount > ZERO) != (remaining > ZERO):
        raise refuse(f"PaymentAmount {amount} does not match the sign of the remaining amount {remaining}.")
    if abs(amount) > abs(remaining):
        raise refuse(f"PaymentAmount {amount} exceeds the remaining amount {remaining}.")
    if payment_type == COMPLETE_PAYMENT and amount != remaining:
        raise refuse(f"A complete payment must pay the remaining amount {remaining}; use PartialPayment (1).")


# --- routes ----------------------------------------------------------------------------------------------


def as_of(invoice: Resource, today: date) -> Resource:
    """The invoice as read today: an unpaid invoice past its due date shows `PaymentStatus` 2 (Overdue).

    Our reading of Visma (unconfirmed): becoming overdue is not a modification, so `ModifiedUtc` stays.
    """
    overdue = invoice["PaymentStatus"] == UNPAID and parse_utc(invoice["DueDate"]).date() < today
    return {**invoice, "PaymentStatus": OVERDUE} if overdue else invoice


def modified_since(invoices: list[Resource], since: str | None) -> list[Resource]:
    if not since:
        return invoices
    try:
        cursor = parse_utc(since)
    except ValueError:
        raise bad_request(DATA_MODEL_VALIDATION_ERROR, f"{since!r} is not a date-time.", "modifiedSinceUtc") from None
    return [invoice for invoice in invoices if parse_utc(invoice["ModifiedUtc"]) >= cursor]


@router.get("/customerinvoices")
async def list_invoices(
    company: Reader,
    listing: ListDep,
    state: StateDep,
    modifiedSinceUtc: Annotated[str | None, Query()] = None,  # noqa: N803 - Visma's parameter name
) -> dict[str, Any]:
    server_time = state.timestamp()  # read before filtering: a client's next cursor must not skip writes
    today = state.now().date()
    invoices = [as_of(invoice, today) for invoice in company.invoices.values()]
    rows = apply_orderby(apply_filter(modified_since(invoices, modifiedSinceUtc), listing.filter), listing.orderby)
    return paginate(rows, listing, server_time=server_time)


@router.post("/customerinvoices", status_code=201)
async def create_invoice(company: Creator, state: StateDep, body: dict[str, Any]) -> Resource:
    with state.lock:
        draft_id = body.get("CreatedFromDraftId")
        if draft_id:
            invoice = book_from_draft(company, state, str(draft_id))
        else:
            invoice = book_invoice(company, state, book_invoice_rows(body))
        state.save()
    return invoice


def book_from_draft(company: CompanyState, state: SandboxState, draft_id: str) -> Resource:
    """`CreatedFromDraftId` on a new invoice books that draft, as converting it would (the body's rows are
    not used: our reading of the spec's "it will be bookkeeped")."""
    draft = company.invoice_drafts.get(draft_id)
    if draft is None:
        raise unknown_reference("CreatedFromDraftId", "CustomerInvoiceDraft", draft_id)
    invoice = book_invoice(
        company, state, {**draft, "DueDate": None}, created_from_draft_id=draft_id, invoice_day=state.now().date()
    )
    del company.invoice_drafts[draft_id]
    return invoice


@router.get("/customerinvoices/{invoiceId}")
async def get_invoice(invoiceId: str, company: Reader, state: StateDep) -> Resource:  # noqa: N803
    invoice = company.invoices.get(invoiceId)
    if invoice is None:
        raise not_found("CustomerInvoice", invoiceId)
    return as_of(invoice, state.now().date())


@router.post("/customerinvoices/{invoiceId}/payments", status_code=201)
async def post_payment(invoiceId: str, company: Writer, state: StateDep, body: dict[str, Any]) -> Resource:  # noqa: N803
    with state.lock:
        invoice = company.invoices.get(invoiceId)
        if invoice is None:
            raise not_found("CustomerInvoice", invoiceId)
        payment = register_payment(company, state, invoice, body)
        state.save()
    return payment
