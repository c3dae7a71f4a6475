"""The seeded Swedish company, user and OAuth client the sandbox starts with.

Switches, as the seed article's troubleshooting section names them (so the integration's settings check has
something to find on a fresh sandbox):
- `UsesRotReducedInvoicing` (Fakturerar husarbete): ON.
- `UsesReverseConstructionVat` (omvänd skattskyldighet / omvänd byggmoms): OFF.
- `ShowPricesExclVatPC` (visa priser exkl. moms för privatpersoner): OFF.
- `UsesGreenTechnology`: OFF.
Change them with `PUT /_sandbox/companysettings`.

Ids are UUIDv5 from the company id and a stable key, so a reset gives the same ids again and two companies
never share one.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from fakturabro.sandbox.credentials import seed_password_hash
from fakturabro.sandbox.state import CompanyState, OAuthClient, SandboxUser, format_utc

SEED_COMPANY_ID = "5b1f2c1e-6d0a-4e55-9a53-8f0c6a7d2b10"
SEED_COMPANY_NAME = "Demo Bygg & Service AB"
SEED_USER_EMAIL = "demo@sandbox.local"
SEED_USER_PASSWORD = "sandbox"
DEV_CLIENT_ID = "fakturabro-dev"
DEV_CLIENT_SECRET = "dev-secret"

_NAMESPACE = uuid.UUID("0b6a4d43-3f7e-4f8e-9b0c-5e2a1d9c7f31")


def seeded_id(company_id: str, key: str) -> str:
    return str(uuid.uuid5(_NAMESPACE, f"{company_id}:{key}"))


def seed_users() -> list[SandboxUser]:
    password_hash = seed_password_hash(SEED_USER_PASSWORD)
    return [SandboxUser(email=SEED_USER_EMAIL, password_hash=password_hash, company_id=SEED_COMPANY_ID)]


def seed_clients() -> list[OAuthClient]:
    return [OAuthClient.with_secret(DEV_CLIENT_ID, DEV_CLIENT_SECRET, allow_loopback=True)]


# (key, name, type, vat percent, sales account, reverse-charge account)
_CODINGS: tuple[tuple[str, str, str, int, int, int | None], ...] = (
    ("services-25", "Tjänster 25 % moms", "Service", 25, 3001, 3231),
    ("services-12", "Tjänster 12 % moms", "Service", 12, 3002, None),
    ("services-6", "Tjänster 6 % moms", "Service", 6, 3003, None),
    ("goods-25", "Varor 25 % moms", "Goods", 25, 3001, 3231),
    ("goods-12", "Varor 12 % moms", "Goods", 12, 3002, None),
    ("goods-6", "Varor 6 % moms", "Goods", 6, 3003, None),
    ("exempt-0", "Momsfri försäljning 0 %", "Service", 0, 3004, None),
    ("reverse-construction", "Byggtjänster omvänd skattskyldighet", "Service", 0, 3231, 3231),
)

_UNITS = (
    ("st", "Styck", "st", "pcs"),
    ("tim", "Timme", "tim", "h"),
    ("m", "Meter", "m", "m"),
    ("m2", "Kvadratmeter", "m2", "m2"),
    ("kg", "Kilogram", "kg", "kg"),
    ("l", "Liter", "l", "l"),
)

# (key, name, english name, days, type)
_TERMS = (
    ("30-netto", "30 dagar netto", "30 days net", 30, 0),
    ("10-netto", "10 dagar netto", "10 days net", 10, 0),
    ("20-netto", "20 dagar netto", "20 days net", 20, 0),
    ("kontant", "Kontant", "Cash", 0, 2),
)

# (key, code, description, rate, related accounts)
_VAT_CODES = (
    ("mp1", "MP1", "Försäljning, 25 % moms", 25.0, (2611, None, None)),
    ("mp2", "MP2", "Försäljning, 12 % moms", 12.0, (2621, None, None)),
    ("mp3", "MP3", "Försäljning, 6 % moms", 6.0, (2631, None, None)),
    ("mf", "MF", "Momsfri försäljning", 0.0, (None, None, None)),
    ("ob", "OB", "Försäljning av byggtjänster, omvänd skattskyldighet", 0.0, (None, None, None)),
)


def seed_company(company_id: str, name: str, now: datetime) -> CompanyState:
    stamp = format_utc(now)

    def sid(key: str) -> str:
        return seeded_id(company_id, key)

    company = CompanyState(
        id=company_id,
        settings=_settings(name, sid("terms:30-netto")),
        app_status={"Id": sid("appstore"), "ActivationStatus": 0, "ModifiedUtc": stamp},
        counters={"customer_number": 1003, "voucher_number": 1},
    )
    for key, coding_name, kind, percent, account, reverse_account in _CODINGS:
        company.article_account_codings[sid(f"coding:{key}")] = _coding(
            sid(f"coding:{key}"), coding_name, kind, percent, account, reverse_account, stamp
        )
    for key, unit_name, abbreviation, english in _UNITS:
        company.units[sid(f"unit:{key}")] = {
            "Id": sid(f"unit:{key}"),
            "Name": unit_name,
            "Code": key.upper(),
            "Abbreviation": abbreviation,
            "AbbreviationEnglish": english,
        }
    for key, term_name, english, days, type_id in _TERMS:
        company.terms_of_payments[sid(f"terms:{key}")] = {
            "Id": sid(f"terms:{key}"),
            "Name": term_name,
            "NameEnglish": english,
            "NumberOfDays": days,
            "TermsOfPaymentTypeId": type_id,
            "TermsOfPaymentTypeText": "Kontant" if type_id == 2 else "Normal",
            "AvailableForSales": True,
            "AvailableForPurchase": True,
        }
    for key, code, description, rate, (acc1, acc2, acc3) in _VAT_CODES:
        company.vat_codes[sid(f"vat:{key}")] = {
            "Id": sid(f"vat:{key}"),
            "Code": code,
            "Description": description,
            "VatRate": rate,
            "OssCodeType": 0,
            "RelatedAccounts": {"AccountNumber1": acc1, "AccountNumber2": acc2, "AccountNumber3": acc3},
        }
    company.fiscal_years[sid("fiscalyear:2026")] = {
        "Id": sid("fiscalyear:2026"),
        "StartDate": "2026-01-01T00:00:00Z",
        "EndDate": "2026-12-31T00:00:00Z",
        "IsLockedForAccounting": False,
        "BookkeepingMethod": 0,
    }
    company.bank_accounts[sid("bank:foretagskonto")] = {
        "Bank": None,
        "BankAccountType": 1,
        "BankAccountTypeDescription": "ChequeAccount",
        "Bban": "5011-1234567",
        "Iban": "SE4550000000050111234567",
        "Name": "Företagskonto",
        "NameEnglish": "Business account",
        "Id": sid("bank:foretagskonto"),
        "IsActive": True,
        "LedgerAccountNumber": 1930,
        "HasActiveBankAgreement": False,
        "IsDefaultChequeAccount": True,
        "CurrencyCode": "SEK",
        "ModifiedUtc": stamp,
        "Balance": {"Balance": 0.0, "Date": stamp},
    }
    _seed_articles(company, sid, stamp)
    _seed_customers(company, sid, stamp)
    return company


def _settings(name: str, terms_id: str) -> dict[str, Any]:
    return {
        "Name": name,
        "Email": "info@demobygg.example",
        "Phone": "031-123456",
        "MobilePhone": None,
        "Address1": "Verkstadsgatan 1",
        "Address2": None,
        "CountryCode": "SE",
        "PostalCode": "41101",
        "City": "Göteborg",
        "Website": None,
        "OurReference": "Demo Demosson",
        "CurrencyCode": "SEK",
        "TermsOfPaymentId": terms_id,
        "CorporateIdentityNumber": "556677-8899",
        "PeppolId": None,
        "VatCode": "SE556677889901",
        "BankGiro": "123-4567",
        "PlusGiro": None,
        "BankAccount": "5011-1234567",
        "Iban": "SE4550000000050111234567",
        "AccountNumberDigits": 4,
        "AccountingLockedTo": "2025-12-31T00:00:00Z",
        "AccountingLockInterval": 0,
        "Gln": None,
        "ProductVariant": 1,
        "TypeOfBusiness": 1,
        "VatPeriod": 3,
        "ActivatedModules": [],
        "NextCustomerNumber": 1003,
        "NextSupplierNumber": 1,
        "NextCustomerInvoiceNumber": 1001,
        "NextQuoteNumber": 1,
        "NextOrderNumber": 1,
        "NextArticleNumber": None,
        "ShowPricesExclVatPC": False,
        "ShowContributionMargin": False,
        "HasProportionalVatEnabled": False,
        "ProportionalVatValue": None,
        "IsPayslipActivated": False,
        "UsesCostCenter": False,
        "UsesProject": False,
        "UsesMoss": False,
        "UsesPaymentReferenceNumber": True,
        "UsesSupplierInvoiceEdit": False,
        "UseAdvancedMode": False,
        "DomesticCurrencyRounding": 1,
        "UsesReverseConstructionVat": False,
        "UsesRotReducedInvoicing": True,
        "CompanyRotRutSettings": {
            "RutMaxAmountForPersBelow65Year": 75000.0,
            "RutMaxAmountForPersOver65Year": 75000.0,
            "RutReducedInvoicingPercent": 0.5,
            "RotReducedInvoicingMaxAmount": 50000.0,
            "RotReducedInvoicingPercent": 0.3,
        },
        "CompanyStatus": 1,
        "CompanyIdentifier": None,
        "BankgiroNumberPrint": None,
        "KeepOriginalDraftDate": False,
        "UsePaymentFilesForOutgoingPayments": False,
        "UseAutomaticVatCalculation": True,
        "ShowCostCenterReminder": False,
        "ShowProjectReminder": False,
        "UsesGreenTechnology": False,
        "CompanyGreenTechnologySettings": {
            "GreenTechnologyDeductionMaxAmount": 50000.0,
            "SollarCellDiscountPercentage": 0.15,
        },
        "UsesVatTriangulationRules": False,
        "Swish": None,
        "CompanyEmailForUpload": None,
        "VismaWebshopStatus": 0,
        "UsesTransactionText": False,
        "FirstPaymentReminderWithoutFee": None,
        "LatePaymentFee": None,
        "DefaultBackgroundId": None,
        "InvoicePrintSettingsType": 0,
    }


def _coding(
    coding_id: str, name: str, kind: str, percent: int, account: int, reverse_account: int | None, stamp: str
) -> dict[str, Any]:
    return {
        "Id": coding_id,
        "Name": name,
        "NameEnglish": f"{'Services' if kind == 'Service' else 'Goods'} {percent} % VAT",
        "Type": kind,
        "VatRate": f"{percent}",
        "IsActive": True,
        "VatRatePercent": percent / 100,
        "DomesticSalesSubjectToReversedConstructionVatAccountNumber": reverse_account,
        "DomesticSalesSubjectToVatAccountNumber": account,
        "DomesticSalesVatExemptAccountNumber": 3004,
        "ForeignSalesSubjectToMossAccountNumber": None,
        "ForeignSalesSubjectToThirdPartySalesAccountNumber": 3108 if kind == "Goods" else 3308,
        "ForeignSalesSubjectToVatWithinEuAccountNumber": 3106 if kind == "Goods" else 3306,
        "ForeignSalesVatExemptOutsideEuAccountNumber": 3105 if kind == "Goods" else 3305,
        "ForeignSalesVatExemptWithinEuAccountNumber": 3108 if kind == "Goods" else 3308,
        "DomesticSalesVatCodeExemptAccountNumber": 3004,
        "ChangedUtc": stamp,
    }


# (number, name, coding key, unit key, net price, house work type)
_ARTICLES = (
    ("8000", "Montör", "services-25", "tim", 650.0, 1),
    ("8001", "Elektriker", "services-25", "tim", 720.0, 2),
    ("8002", "Städning", "services-25", "tim", 450.0, 9),
    ("8010", "Resekostnad", "services-25", "st", 350.0, 0),
    ("9000", "Material", "goods-25", "st", 100.0, 0),
    ("9001", "Kabel EKK 3x1,5", "goods-25", "m", 18.5, 0),
)


def _seed_articles(company: CompanyState, sid: Any, stamp: str) -> None:
    for number, name, coding_key, unit_key, price, house_work in _ARTICLES:
        coding = company.article_account_codings[sid(f"coding:{coding_key}")]
        unit = company.units[sid(f"unit:{unit_key}")]
        article_id = sid(f"article:{number}")
        company.articles[article_id] = {
            "Id": article_id,
            "IsActive": True,
            "Number": number,
            "Name": name,
            "NameEnglish": None,
            "NetPrice": price,
            "NetPriceWithDiscount": price,
            "GrossPrice": round(price * (1 + coding["VatRatePercent"]), 2),
            "CodingId": coding["Id"],
            "CodingName": coding["Name"],
            "UnitId": unit["Id"],
            "UnitName": unit["Name"],
            "UnitAbbreviation": unit["Abbreviation"],
            "StockBalance": 0.0,
            "StockBalanceReserved": 0.0,
            "StockBalanceAvailable": 0.0,
            "CreatedUtc": stamp,
            "ChangedUtc": stamp,
            "HouseWorkType": house_work,
            "PurchasePrice": 0.0,
            "SendToWebshop": False,
            "UsesMoss": False,
            "ArticleLabels": [],
            "IsStock": False,
            "ShowStockInformation": False,
            "IsServiceArticle": coding["Type"] == "Service",
            "FreightCosts": 0.0,
            "UpdateStockPrices": False,
            "StockValue": 0.0,
            "GreenTechnologyType": 0,
            "DiscountPercentage": 0.0,
            "CurrencyCode": "SEK",
            "PurchasePriceWithCurrency": 0.0,
            "FreightCostWithCurrency": 0.0,
        }


def _seed_customers(company: CompanyState, sid: Any, stamp: str) -> None:
    terms = company.terms_of_payments[sid("terms:30-netto")]
    customers: tuple[dict[str, Any], ...] = (
        {
            "CustomerNumber": "1001",
            "Name": "Anna Andersson",
            "IsPrivatePerson": True,
            "CorporateIdentityNumber": None,
            "InvoiceAddress1": "Storgatan 12",
            "InvoicePostalCode": "41301",
            "InvoiceCity": "Göteborg",
            "EmailAddress": "anna@example.com",
            "VatNumber": None,
            "ReverseChargeOnConstructionServices": False,
            "PropertyType": 2,
            "PropertyReference": "Göteborg Majorna 1:23",
        },
        {
            "CustomerNumber": "1002",
            "Name": "Byggbolaget i Väst AB",
            "IsPrivatePerson": False,
            "CorporateIdentityNumber": "556123-4567",
            "InvoiceAddress1": "Industrivägen 5",
            "InvoicePostalCode": "42130",
            "InvoiceCity": "Västra Frölunda",
            "EmailAddress": "faktura@byggbolaget.example",
            "VatNumber": "SE556123456701",
            "ReverseChargeOnConstructionServices": True,
            "PropertyType": None,
            "PropertyReference": None,
        },
    )
    for fields in customers:
        customer_id = sid(f"customer:{fields['CustomerNumber']}")
        company.customers[customer_id] = {
            "Id": customer_id,
            **fields,
            "InvoiceAddress2": None,
            "InvoiceCountryCode": "SE",
            "CurrencyCode": "SEK",
            "TermsOfPaymentId": terms["Id"],
            "TermsOfPayment": dict(terms),
            "IsActive": True,
            "ChangedUtc": stamp,
            "LastInvoiceDate": None,
            "IsFutureInvoiceDateAllowed": True,
            "UnpaidInvoicesAmount": 0.0,
            "DiscountPercentage": 0.0,
            "ForceBookkeepVat": False,
            "DeliveryBasedVat": False,
            "IsNorthernIreland": False,
            "EmailAddresses": [],
            "CustomerLabels": [],
            "MessageThreads": [],
            "Notes": [],
            "Telephone": None,
            "MobilePhone": None,
            "ContactPersonName": None,
            "ContactPersonEmail": None,
            "ContactPersonPhone": None,
            "ContactPersonMobile": None,
            "Note": None,
            "WwwAddress": None,
            "TaxDeductionNumber": None,
            "PayToAccountId": None,
        }
