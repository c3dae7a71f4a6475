"""Reference data the integration reads: bank accounts, terms of payment, units, article account codings,
VAT codes and fiscal years (read-only here; the seed and `/_sandbox` provide them)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends

from fakturabro.sandbox.deps import ListDep, StateDep, apply_filter, apply_orderby, company_for, paginate
from fakturabro.sandbox.errors import not_found
from fakturabro.sandbox.state import CompanyState

router = APIRouter(tags=["Reference data"])

Sales = Annotated[CompanyState, Depends(company_for("ea:sales", "ea:sales_readonly"))]
SalesOrPurchase = Annotated[
    CompanyState,
    Depends(company_for("ea:sales", "ea:sales_readonly", "ea:purchase", "ea:purchase_readonly")),
]
Purchase = Annotated[CompanyState, Depends(company_for("ea:purchase", "ea:purchase_readonly"))]
Accounting = Annotated[CompanyState, Depends(company_for("ea:accounting", "ea:accounting_readonly"))]
SalesOrAccounting = Annotated[
    CompanyState,
    Depends(company_for("ea:sales", "ea:sales_readonly", "ea:accounting", "ea:accounting_readonly")),
]


def _listing(rows: dict[str, dict[str, Any]], listing: Any, server_time: str) -> dict[str, Any]:
    filtered = apply_filter(rows.values(), listing.filter)
    return paginate(apply_orderby(filtered, listing.orderby), listing, server_time=server_time)


def _one(rows: dict[str, dict[str, Any]], resource: str, resource_id: str) -> dict[str, Any]:
    found = rows.get(resource_id)
    if found is None:
        raise not_found(resource, resource_id)
    return found


Rows = Callable[[CompanyState], dict[str, dict[str, Any]]]


@router.get("/bankaccounts")
async def list_bank_accounts(company: Purchase, listing: ListDep, state: StateDep) -> dict[str, Any]:
    return _listing(company.bank_accounts, listing, state.timestamp())


@router.get("/bankaccounts/{bankAccountId}")
async def get_bank_account(company: Purchase, bankAccountId: str) -> dict[str, Any]:
    return _one(company.bank_accounts, "Bank account", bankAccountId)


@router.get("/termsofpayments")
async def list_terms_of_payments(company: SalesOrPurchase, listing: ListDep, state: StateDep) -> dict[str, Any]:
    return _listing(company.terms_of_payments, listing, state.timestamp())


@router.get("/termsofpayments/{id}")
async def get_terms_of_payment(company: SalesOrPurchase, id: str) -> dict[str, Any]:
    return _one(company.terms_of_payments, "Terms of payment", id)


@router.get("/units")
async def list_units(company: Sales, listing: ListDep, state: StateDep) -> dict[str, Any]:
    return _listing(company.units, listing, state.timestamp())


@router.get("/units/{id}")
async def get_unit(company: Sales, id: str) -> dict[str, Any]:
    return _one(company.units, "Unit", id)


@router.get("/articleaccountcodings")
async def list_article_account_codings(company: Sales, listing: ListDep, state: StateDep) -> dict[str, Any]:
    return _listing(company.article_account_codings, listing, state.timestamp())


@router.get("/articleaccountcodings/{articleAccountCodingId}")
async def get_article_account_coding(company: Sales, articleAccountCodingId: str) -> dict[str, Any]:
    return _one(company.article_account_codings, "Article account coding", articleAccountCodingId)


@router.get("/vatcodes")
async def list_vat_codes(company: Accounting, listing: ListDep, state: StateDep) -> dict[str, Any]:
    return _listing(company.vat_codes, listing, state.timestamp())


@router.get("/vatcodes/{id}")
async def get_vat_code(company: Accounting, id: str) -> dict[str, Any]:
    return _one(company.vat_codes, "VAT code", id)


@router.get("/fiscalyears")
async def list_fiscal_years(company: SalesOrAccounting, listing: ListDep, state: StateDep) -> dict[str, Any]:
    return _listing(company.fiscal_years, listing, state.timestamp())


@router.get("/fiscalyears/{id}")
async def get_fiscal_year(company: SalesOrAccounting, id: str) -> dict[str, Any]:
    return _one(company.fiscal_years, "Fiscal year", id)
