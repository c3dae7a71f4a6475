"""A company as the tests need it: with every detail an approved invoice must carry (Inställningar → Företaget).

Approval refuses an invoice while the company's org nr, VAT number, address or payment account is missing, so
tests that approve invoices start from a company that has filled them in, as the demo company has.
"""

from __future__ import annotations

from fakturabro.demo import DEMO_COMPANY_DETAILS
from fakturabro.invoicing.companies import CompanyView, create_company
from fakturabro.invoicing.company_settings import CompanySettingsInput, update_company_settings
from fakturabro.store.database import Database


def complete_company_details(db: Database, company_id: int, name: str) -> None:
    details = {**DEMO_COMPANY_DETAILS, "name": name}
    update_company_settings(db, company_id, CompanySettingsInput.model_validate(details))


def create_company_with_details(db: Database, name: str) -> CompanyView:
    company = create_company(db, name)
    complete_company_details(db, company.id, company.name)
    return company
