"""`/v2/customerinvoicedrafts`: invoice drafts and their conversion to bookkept invoices.

A draft is priced and checked like an invoice (`pricing.py`: ROT/RUT, reverse charge, unknown articles) on
every create and update, but has no number. `POST .../{id}/convert` books it as an invoice with the next
number of the series (see `invoices.py`), sets `CreatedFromDraftId` and removes the draft. When the convert
body (`CustomerInvoiceDraftValidationApi`) carries expected totals, any difference to Visma's own figures
refuses the conversion and nothing is booked; rows are matched on `LineNumber`.

Our reading of Visma (unconfirmed): a zero-amount draft may be saved but not converted; the invoice date of
a converted draft is the day of conversion unless `keepOriginalDraftDate` is true (the company's
`KeepOriginalDraftDate` setting applies when `overrideCompanyKeepOriginalDraftDate` is false); drafts have no
`ModifiedUtc` in the spec, so none is kept.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from fakturabro.sandbox.deps import ListDep, StateDep, apply_filter, apply_orderby, company_for, paginate
from fakturabro.sandbox.errors import CAN_NOT_BE_CREATED_OR_UPDATED, field_error, not_found, validation_error
from fakturabro.sandbox.pricing import KRONA, ZERO, Pricing, dec, to_ore
from fakturabro.sandbox.resources.invoices import (
    book_invoice,
    customer_fields,
    customer_of,
    due_date,
    fill_unit_prices,
    includes_vat,
    persons,
    price,
    refuse_zero_amount,
)
from fakturabro.sandbox.resources.vouchers import amount, date_time, day_of, money
from fakturabro.sandbox.state import CompanyState, Resource, SandboxState

router = APIRouter()

Reader = Annotated[CompanyState, Depends(company_for("ea:sales", "ea:sales_readonly"))]
Writer = Annotated[CompanyState, Depends(company_for("ea:sales"))]


def draft_rows(company: CompanyState, rows: Sequence[Mapping[str, Any]], pricing: Pricing) -> list[Resource]:
    shaped = []
    for raw, priced in zip(rows, pricing.rows, strict=True):
        article = company.articles.get(str(raw.get("ArticleId"))) if not priced.is_text_row else None
        unit = company.units.get(article["UnitId"], {}) if article else {}
        coding = company.article_account_codings.get(article["CodingId"], {}) if article else {}
        shaped.append(
            {
                "Id": str(uuid.uuid4()),
                "LineNumber": priced.line_number,
                "ArticleId": article["Id"] if article else None,
                "IsServiceArticle": bool(article and article.get("IsServiceArticle")),
                "UnitId": article["UnitId"] if article else None,
                "ArticleNumber": article["Number"] if article else None,
                "IsTextRow": priced.is_text_row,
                "Text": raw.get("Text") or (article["Name"] if article else None),
                "UnitPrice": money(dec(raw.get("UnitPrice"))),
                "IsDiscountInFixedAmount": False,
                "DiscountFixedAmount": None,
                "DiscountPercentage": money(dec(raw.get("DiscountPercentage"))),
                "Quantity": money(dec(raw.get("Quantity"))),
                "WorkCostType": int(raw.get("WorkCostType") or 0),
                "IsWorkCost": priced.is_work_cost,
                "WorkHours": raw.get("WorkHours"),
                "MaterialCosts": raw.get("MaterialCosts"),
                "ReversedConstructionServicesVatFree": priced.vat_free,
                "CostCenterItemId1": raw.get("CostCenterItemId1"),
                "CostCenterItemId2": raw.get("CostCenterItemId2"),
                "CostCenterItemId3": raw.get("CostCenterItemId3"),
                "UnitAbbreviation": unit.get("Abbreviation"),
                "UnitAbbreviationEnglish": unit.get("AbbreviationEnglish"),
                "VatRateId": coding.get("VatRate"),
                "VatRate": None if priced.vat_rate is None else money(ZERO if priced.vat_free else priced.vat_rate),
                "UnitName": unit.get("Name"),
                "ProjectId": raw.get("ProjectId"),
                "GreenTechnologyType": priced.green_technology_type,
                "PurchasePrice": float(article.get("PurchasePrice") or 0) if article else 0.0,
                "Amount": money(priced.amount),
                "FreightCosts": 0.0,
            }
        )
    return shaped


def build_draft(
    company: CompanyState, state: SandboxState, body: Mapping[str, Any], *, draft_id: str, created: str
) -> Resource:
    """Price and check a `CustomerInvoiceDraftApi` body; the stored draft in Visma's shape."""
    today = state.now().date()
    body = fill_unit_prices(company, body)
    customer = customer_of(company, body)
    rows = [dict(row) for row in body.get("Rows") or []]
    pricing = price(company, body, customer, today)
    day = day_of(body.get("InvoiceDate"), today, "InvoiceDate")
    due = day_of(body.get("DueDate"), due_date(company, body, customer, day), "DueDate")
    reverse_charge = any(row.vat_free for row in pricing.rows)
    return {
        "Id": draft_id,
        "CustomerId": customer["Id"],
        "CreatedUtc": created,
        "IsCreditInvoice": bool(body.get("IsCreditInvoice")),
        "RotReducedInvoicingType": int(body.get("RotReducedInvoicingType") or 0),
        "RotReducedInvoicingPropertyName": body.get("RotReducedInvoicingPropertyName"),
        "RotReducedInvoicingOrgNumber": body.get("RotReducedInvoicingOrgNumber"),
        "MaxAllowedTaxReductionAmount": money(pricing.max_reduction),
        "RotReducedInvoicingAmount": money(pricing.reduction),
        "RotReducedInvoicingAutomaticDistribution": bool(body.get("RotReducedInvoicingAutomaticDistribution")),
        "RotPropertyType": body.get("RotPropertyType"),
        "HouseWorkOtherCosts": body.get("HouseWorkOtherCosts"),
        "Rows": draft_rows(company, rows, pricing),
        "Persons": persons(body, pricing),
        "YourReference": body.get("YourReference"),
        "OurReference": body.get("OurReference"),
        "BuyersOrderReference": body.get("BuyersOrderReference"),
        "ElectronicReference": body.get("ElectronicReference"),
        "SubscriptionNumber": body.get("SubscriptionNumber"),
        "ContractNumber": body.get("ContractNumber"),
        "InvoiceCustomerName": customer.get("Name"),
        "InvoiceAddress1": body.get("InvoiceAddress1") or customer.get("InvoiceAddress1"),
        "InvoiceAddress2": body.get("InvoiceAddress2") or customer.get("InvoiceAddress2"),
        "InvoicePostalCode": customer.get("InvoicePostalCode"),
        "InvoiceCity": customer.get("InvoiceCity"),
        "InvoiceCountryCode": customer.get("InvoiceCountryCode"),
        "InvoiceCurrencyCode": customer.get("CurrencyCode") or company.settings.get("CurrencyCode") or "SEK",
        "DeliveryCustomerName": body.get("DeliveryCustomerName"),
        "DeliveryAddress1": body.get("DeliveryAddress1"),
        "DeliveryAddress2": body.get("DeliveryAddress2"),
        "DeliveryPostalCode": body.get("DeliveryPostalCode"),
        "DeliveryCity": body.get("DeliveryCity"),
        "DeliveryCountryCode": body.get("DeliveryCountryCode"),
        "DeliveryMethodName": body.get("DeliveryMethodName"),
        "DeliveryTermName": body.get("DeliveryTermName"),
        "TermsOfPaymentId": body.get("TermsOfPaymentId") or customer.get("TermsOfPaymentId"),
        "DeliveryMethodCode": body.get("DeliveryMethodCode"),
        "DeliveryTermCode": body.get("DeliveryTermCode"),
        "EuThirdParty": bool(body.get("EuThirdParty")),
        "CustomerIsPrivatePerson": bool(customer.get("IsPrivatePerson")),
        "ReverseChargeOnConstructionServices": reverse_charge,
        "SalesDocumentAttachments": [],
        "MessageThreads": [],
        "Notes": [],
        "InvoiceDate": date_time(day),
        "DueDate": date_time(due),
        "DeliveryDate": body.get("DeliveryDate"),
        "TotalAmount": money(pricing.total),
        "TotalVatAmount": money(pricing.vat),
        "TotalRoundings": money(pricing.roundings),
        "TotalAmountBaseCurrency": money(pricing.total),
        "TotalVatAmountBaseCurrency": money(pricing.vat),
        "CustomerNumber": customer_fields(customer)["CustomerNumber"],
        "CustomerName": customer.get("Name"),
        "IncludesVat": includes_vat(company, customer),
        "ReplaceUnitPriceWhenZero": bool(body.get("ReplaceUnitPriceWhenZero")),
        "UsesGreenTechnology": bool(body.get("UsesGreenTechnology")),
        "IsDirectDebit": body.get("IsDirectDebit"),
        "BackgroundId": body.get("BackgroundId"),
    }


def expected_totals_differences(expected: Mapping[str, Any], pricing: Pricing) -> list[dict[str, Any]]:
    """Where the caller's expected totals (`CustomerInvoiceDraftValidationApi`) differ from Visma's."""
    differences = []
    actual = {
        "TotalAmountInvoiceCurrency": pricing.total,
        "TotalVatAmountInvoiceCurrency": pricing.vat,
        "TotalRoundingsInvoiceCurrency": pricing.roundings,
    }
    for name, value in actual.items():
        if expected.get(name) is not None and amount(expected[name], name) != value:
            differences.append(field_error(name, f"Expected {expected[name]} but the invoice has {value}."))
    rows = {row.line_number: row for row in pricing.rows}
    for check in expected.get("Rows") or []:
        row = rows.get(int(check.get("LineNumber") or 0))
        if row is None:
            differences.append(field_error("Rows.LineNumber", f"There is no row {check.get('LineNumber')}."))
            continue
        incl_vat = to_ore(row.amount * (KRONA + (row.vat_rate or ZERO))) if not row.vat_free else row.amount
        for name, value in (
            ("TotalAmountNoVatInvoiceCurrency", row.amount),
            ("TotalAmountIncVatInvoiceCurrency", incl_vat),
        ):
            if check.get(name) is not None and amount(check[name], name) != value:
                message = f"Row {row.line_number}: expected {check[name]} but the row has {value}."
                differences.append(field_error(f"Rows.{name}", message))
    return differences


def conversion_day(
    company: CompanyState, draft: Mapping[str, Any], today: date, keep_original: bool, override_company: bool
) -> date:
    keep = keep_original if override_company else keep_original or bool(company.settings.get("KeepOriginalDraftDate"))
    return day_of(draft.get("InvoiceDate"), today) if keep else today


def draft_or_404(company: CompanyState, draft_id: str) -> Resource:
    draft = company.invoice_drafts.get(draft_id)
    if draft is None:
        raise not_found("CustomerInvoiceDraft", draft_id)
    return draft


@router.get("/customerinvoicedrafts")
async def list_drafts(company: Reader, listing: ListDep, state: StateDep) -> dict[str, Any]:
    rows = apply_orderby(apply_filter(company.invoice_drafts.values(), listing.filter), listing.orderby)
    return paginate(rows, listing, server_time=state.timestamp())


@router.post("/customerinvoicedrafts", status_code=201)
async def create_draft(company: Writer, state: StateDep, body: dict[str, Any]) -> Resource:
    with state.lock:
        draft = build_draft(company, state, body, draft_id=str(uuid.uuid4()), created=state.timestamp())
        company.invoice_drafts[draft["Id"]] = draft
        state.save()
    return draft


@router.get("/customerinvoicedrafts/{customerInvoiceDraftId}")
async def get_draft(customerInvoiceDraftId: str, company: Reader) -> Resource:  # noqa: N803
    return draft_or_404(company, customerInvoiceDraftId)


@router.put("/customerinvoicedrafts/{customerInvoiceDraftId}")
async def update_draft(
    customerInvoiceDraftId: str,  # noqa: N803 - Visma's parameter name
    company: Writer,
    state: StateDep,
    body: dict[str, Any],
) -> Resource:
    with state.lock:
        existing = draft_or_404(company, customerInvoiceDraftId)
        draft = build_draft(company, state, body, draft_id=existing["Id"], created=existing["CreatedUtc"])
        company.invoice_drafts[draft["Id"]] = draft
        state.save()
    return draft


@router.delete("/customerinvoicedrafts/{customerInvoiceDraftId}")
async def delete_draft(customerInvoiceDraftId: str, company: Writer, state: StateDep) -> Response:  # noqa: N803
    with state.lock:
        draft_or_404(company, customerInvoiceDraftId)
        del company.invoice_drafts[customerInvoiceDraftId]
        state.save()
    return Response(status_code=200)


@router.post("/customerinvoicedrafts/{customerInvoiceDraftId}/convert", status_code=201)
async def convert_draft(
    customerInvoiceDraftId: str,  # noqa: N803 - Visma's parameter names
    company: Writer,
    state: StateDep,
    request: Request,
    keepOriginalDraftDate: Annotated[bool, Query()] = False,  # noqa: N803
    overrideCompanyKeepOriginalDraftDate: Annotated[bool, Query()] = False,  # noqa: N803
) -> Resource:
    expected = await request.json() if await request.body() else {}
    with state.lock:
        draft = draft_or_404(company, customerInvoiceDraftId)
        today = state.now().date()
        pricing = price(company, draft, customer_of(company, draft), today)
        refuse_zero_amount(pricing)
        differences = expected_totals_differences(expected or {}, pricing)
        if differences:
            raise validation_error(
                "The draft's totals differ from the expected totals: "
                + "; ".join(str(difference["Message"]) for difference in differences),
                differences,
                CAN_NOT_BE_CREATED_OR_UPDATED,
            )
        day = conversion_day(company, draft, today, keepOriginalDraftDate, overrideCompanyKeepOriginalDraftDate)
        source = draft if day != today else {**draft, "DueDate": None}  # a new invoice date moves the due date
        invoice = book_invoice(company, state, source, created_from_draft_id=draft["Id"], invoice_day=day)
        del company.invoice_drafts[draft["Id"]]
        state.save()
    return invoice
