"""`/customers`: list (with `$filter`), get, create, update.

Visma's rules kept here: `CustomerNumber` is unique (a duplicate answers 400 Conflict/4000) and assigned from
`NextCustomerNumber` when omitted; `TermsOfPaymentId` must exist (400 ResourceNotFound/3000);
`ReverseChargeOnConstructionServices` needs a `VatNumber` (400 CanNotBeCreatedOrUpdated/4002). Required
fields and types are enforced by the official schema before a handler runs.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends

from fakturabro.sandbox import spec
from fakturabro.sandbox.deps import ListDep, StateDep, apply_filter, apply_orderby, company_for, paginate
from fakturabro.sandbox.errors import (
    CAN_NOT_BE_CREATED_OR_UPDATED,
    bad_request,
    conflict,
    not_found,
    unknown_reference,
)
from fakturabro.sandbox.state import CompanyState

router = APIRouter(tags=["Customers"])

Reader = Annotated[CompanyState, Depends(company_for("ea:sales", "ea:sales_readonly"))]
Writer = Annotated[CompanyState, Depends(company_for("ea:sales"))]
JsonBody = Annotated[dict[str, Any], Body()]
SCHEMA = "CustomerApi"


@router.get("/customers")
async def list_customers(company: Reader, listing: ListDep, state: StateDep) -> dict[str, Any]:
    rows = apply_orderby(apply_filter(company.customers.values(), listing.filter), listing.orderby)
    return paginate(rows, listing, server_time=state.timestamp())


@router.get("/customers/{customerId}")
async def get_customer(company: Reader, customerId: str) -> dict[str, Any]:
    customer = company.customers.get(customerId)
    if customer is None:
        raise not_found("Customer", customerId)
    return customer


@router.post("/customers", status_code=201)
async def create_customer(company: Writer, state: StateDep, body: JsonBody) -> dict[str, Any]:
    with state.lock:
        customer = _build(company, state.timestamp(), body, customer_id=str(uuid.uuid4()), existing=None)
        company.customers[customer["Id"]] = customer
    return customer


@router.put("/customers/{customerId}")
async def update_customer(company: Writer, state: StateDep, customerId: str, body: JsonBody) -> dict[str, Any]:
    with state.lock:
        existing = company.customers.get(customerId)
        if existing is None:
            raise not_found("Customer", customerId)
        customer = _build(company, state.timestamp(), body, customer_id=customerId, existing=existing)
        company.customers[customerId] = customer
    return customer


def _build(
    company: CompanyState, stamp: str, body: dict[str, Any], customer_id: str, existing: dict[str, Any] | None
) -> dict[str, Any]:
    fields = spec.writable(SCHEMA, body)
    fields.pop("TermsOfPayment", None)  # derived from TermsOfPaymentId
    terms = company.terms_of_payments.get(fields["TermsOfPaymentId"])
    if terms is None:
        raise unknown_reference("TermsOfPaymentId", "Terms of payment", fields["TermsOfPaymentId"])
    if fields.get("ReverseChargeOnConstructionServices") and not (fields.get("VatNumber") or "").strip():
        raise bad_request(
            CAN_NOT_BE_CREATED_OR_UPDATED,
            "ReverseChargeOnConstructionServices requires VatNumber to be set.",
            "VatNumber",
        )
    number = fields.get("CustomerNumber") or (existing or {}).get("CustomerNumber") or _next_number(company)
    _ensure_unique_number(company, number, customer_id)
    fields["CustomerNumber"] = number
    kept = {key: value for key, value in (existing or {}).items() if key in spec.read_only_fields(SCHEMA)}
    return spec.with_defaults(
        SCHEMA,
        {
            "CurrencyCode": company.settings.get("CurrencyCode"),
            "InvoiceCountryCode": company.settings.get("CountryCode"),
            "UnpaidInvoicesAmount": 0.0,
            "IsFutureInvoiceDateAllowed": True,
            "MessageThreads": [],
            "Notes": [],
            **kept,
            **fields,
            "Id": customer_id,
            "TermsOfPayment": dict(terms),
            "ChangedUtc": stamp,
        },
    )


def _next_number(company: CompanyState) -> str:
    taken = {str(customer.get("CustomerNumber")) for customer in company.customers.values()}
    number = int(company.settings.get("NextCustomerNumber") or 1)
    while str(number) in taken:
        number += 1
    company.settings["NextCustomerNumber"] = number + 1
    return str(number)


def _ensure_unique_number(company: CompanyState, number: str, customer_id: str) -> None:
    for other in company.customers.values():
        if other["Id"] != customer_id and str(other.get("CustomerNumber")) == str(number):
            raise conflict(f"A customer with CustomerNumber {number} already exists.", "CustomerNumber")
