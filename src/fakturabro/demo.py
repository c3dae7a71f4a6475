"""The demo company a newcomer sees on an empty database: Demo Bygg AB with customers, articles and drafts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import func, select

from fakturabro.invoicing import articles, customers, invoices
from fakturabro.invoicing.companies import create_api_token, create_company, create_user
from fakturabro.invoicing.company_settings import CompanySettingsInput, update_company_settings
from fakturabro.invoicing.inputs import ArticleInput, CustomerInput, InvoiceInput
from fakturabro.store.database import Database
from fakturabro.store.models import Company

DEMO_COMPANY = "Demo Bygg AB"
DEMO_EMAIL = "demo@demobygg.se"
DEMO_PASSWORD = "demo-bygg-2026"  # noqa: S105 - a demo login, printed on start on purpose


@dataclass(frozen=True)
class DemoLogin:
    company_id: int
    email: str
    password: str
    api_token: str


def database_is_empty(db: Database) -> bool:
    with db.transaction() as session:
        return not session.scalar(select(func.count(Company.id)))


def demo_company_exists(db: Database) -> bool:
    with db.transaction() as session:
        return session.scalar(select(Company.id).where(Company.name == DEMO_COMPANY)) is not None


def seed_demo(db: Database, today: date | None = None) -> DemoLogin:
    """Create the demo company with a login, an API token, registers and three draft invoices."""
    company = create_company(db, DEMO_COMPANY)
    update_company_settings(db, company.id, CompanySettingsInput.model_validate(DEMO_COMPANY_DETAILS))
    create_user(db, company.id, DEMO_EMAIL, DEMO_PASSWORD)
    token = create_api_token(db, company.id, "demo").token
    for customer in _CUSTOMERS:
        customers.create_customer(db, company.id, CustomerInput.model_validate(customer))
    for article in _ARTICLES:
        articles.create_article(db, company.id, ArticleInput.model_validate(article))
    invoice_date = (today or db.clock().date()).isoformat()
    for invoice in _INVOICES:
        invoices.create_invoice(db, company.id, InvoiceInput.model_validate({**invoice, "invoice_date": invoice_date}))
    return DemoLogin(company.id, DEMO_EMAIL, DEMO_PASSWORD, token)


# Test identity numbers (valid checksums, not real people or companies). The bankgiro is Bankgirot's example.
DEMO_COMPANY_DETAILS: dict[str, Any] = {
    "name": DEMO_COMPANY,
    "org_number": "559123-4561",
    "address_line1": "Verkstadsgatan 7",
    "postal_code": "212 15",
    "city": "Malmö",
    "phone": "040-12 34 56",
    "email": DEMO_EMAIL,
    "website": "demobygg.se",
    "f_skatt": True,
    "bankgiro": "5050-1055",
    "payment_terms_days": 30,
    "ocr_mode": "luhn",
}
_CUSTOMERS: list[dict[str, Any]] = [
    {
        "customer_number": "1001",
        "name": "Anna Svensson",
        "personal_number": "19811218-9876",
        "email": "anna.svensson@example.se",
        "address_line1": "Storgatan 12",
        "postal_code": "211 34",
        "city": "Malmö",
    },
    {
        "customer_number": "1002",
        "name": "Erik Johansson",
        "personal_number": "19850203-2397",
        "address_line1": "Björkvägen 4",
        "postal_code": "224 67",
        "city": "Lund",
    },
    {
        "customer_number": "2001",
        "name": "Bygg & Fastighet i Skåne AB",
        "org_number": "556036-0793",
        "vat_number": "SE556036079301",
        "reverse_charge": True,
        "email": "faktura@byggfastighet.example.se",
        "address_line1": "Industrigatan 8",
        "postal_code": "212 25",
        "city": "Malmö",
    },
    {
        "customer_number": "2002",
        "name": "Kontorshotellet Väst AB",
        "org_number": "769606-2392",
        "city": "Helsingborg",
    },
]

_ARTICLES: list[dict[str, Any]] = [
    {
        "number": "8000",
        "name": "Montör",
        "unit": "tim",
        "unit_price": "650",
        "vat_rate": 25,
        "kind": "labour",
        "house_work_type": "bygg",  # so a ROT invoice on the demo's everyday labour article goes through
    },
    {
        "number": "8001",
        "name": "Elarbete ROT",
        "unit": "tim",
        "unit_price": "695",
        "vat_rate": 25,
        "kind": "labour",
        "house_work_type": "el",
    },
    {"number": "8010", "name": "Resa", "unit": "st", "unit_price": "395", "vat_rate": 25, "kind": "other"},
    {"number": "1200", "name": "Installationskabel EKK 3G1,5", "unit": "m", "unit_price": "14.90", "kind": "material"},
    {"number": "1310", "name": "Vägguttag 2-vägs infällt", "unit": "st", "unit_price": "89", "kind": "material"},
    {"number": "1420", "name": "Dvärgbrytare 16 A", "unit": "st", "unit_price": "129", "kind": "material"},
]

_INVOICES: list[dict[str, Any]] = [
    {
        "customer_number": "1001",
        "your_reference": "Anna Svensson",
        "our_reference": "Demo Montör",
        "rows": [
            {"article_number": "8001", "quantity": "6", "text": "Byte av elcentral"},
            {"article_number": "1420", "quantity": "8"},
            {"article_number": "1200", "quantity": "25"},
            {"text": "Arbetet utfört på Storgatan 12, Malmö."},
        ],
        "house_work": {
            "type": "rot",
            "persons": [{"personal_number": "19811218-9876", "share": "100"}],
            "property_designation": "Malmö Möllevången 12:3",
        },
    },
    {
        "customer_number": "2001",
        "your_reference": "Projekt Kv. Tornet",
        "rows": [
            {"article_number": "8000", "quantity": "16"},
            {"article_number": "1310", "quantity": "24"},
            {"article_number": "8010", "quantity": "2"},
        ],
    },
    {
        "customer_number": "2002",
        "rows": [
            {"article_number": "8000", "quantity": "3", "discount_percent": "10"},
            {"article_number": "1310", "quantity": "4"},
        ],
    },
]
