"""The book the page walk looks through: the demo company plus an invoice in every state a tradesperson meets.

Written through the use cases (and, for the export's outcome, the export's own row, as the export workflow
leaves it), so the walk needs no Visma and no DBOS worker: it is about how the pages look, not how they export.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from fakturabro.bootstrap import Container
from fakturabro.demo import seed_demo
from fakturabro.invoicing import articles, customers, invoices, payments
from fakturabro.invoicing.inputs import CreditInput, CustomerInput, InvoiceInput, PaymentInput
from fakturabro.store.export_models import InvoiceExport

# Visma's answer the way the export records it: our Swedish sentence, then Visma's English text and ErrorId.
LONG_EXPORT_ERROR = (
    "Visma eEkonomi avvisade fakturan: kunden saknar en giltig adress för e-faktura och fakturan kan därför inte "
    "skickas. (Visma: The customer invoice draft could not be saved because CustomerId refers to a customer "
    "that is inactive. ErrorId: 6f1c2b9e-4d7a-4e55-9a0b-3c2d1e0f9a87)"
)
LONG_CUSTOMER = "Bostadsrättsföreningen Solgläntan i Västra Hamnen"


@dataclass(frozen=True)
class WalkBook:
    company_id: int
    email: str
    password: str
    invoices: dict[str, int]  # state → invoice id
    customer_id: int
    article_id: int


def seed_walk_book(container: Container) -> WalkBook:
    db = container.db
    login = seed_demo(db)
    company = login.company_id
    brf = customers.create_customer(
        db, company, CustomerInput(name=LONG_CUSTOMER, personal_number="19850203-2397", city="Malmö")
    )
    found: dict[str, int] = {}

    def make(name: str, data: dict[str, Any], approve: bool = True) -> int:
        draft = invoices.create_invoice(db, company, InvoiceInput.model_validate(data))
        if approve:
            invoices.approve_invoice(db, company, draft.id)
        found[name] = draft.id
        return draft.id

    labour = {"article_number": "8001", "quantity": "10", "hours": "10"}
    material = {"article_number": "1420", "quantity": "4"}
    make("utkast", {"customer_number": "2002", "rows": [labour, material]}, approve=False)
    make("godkand", {"customer_number": "2002", "rows": [material]})
    make("exporterad", {"customer_number": "2002", "rows": [labour]})
    _export_state(container, company, found["exporterad"], "exported")
    make("misslyckad", {"customer_number": brf.customer_number, "rows": [labour, material]})
    _export_state(container, company, found["misslyckad"], "failed", LONG_EXPORT_ERROR)
    make("vantar", {"customer_number": "2002", "rows": [material]})
    _export_state(container, company, found["vantar"], "waiting")
    paid = make("betald", {"customer_number": "2002", "rows": [material]})
    view = invoices.get_invoice(db, company, paid)
    payments.register_payment(db, company, paid, PaymentInput(amount=Decimal(str(view.remaining))))
    original = make("krediterad", {"customer_number": "2002", "rows": [labour, material]})
    credit = invoices.credit_invoice(db, company, original, approve=True, choice=CreditInput(approve=True))
    found["kreditfaktura"] = credit.id
    make("omvand", {"customer_number": "2001", "rows": [labour, material]})
    person = {"personal_number": "19811218-9876", "share": "100"}
    make(
        "rot",
        {
            "customer_number": "1001",
            "rows": [{**labour, "house_work_type": "el"}, material],
            "house_work": {"type": "rot", "persons": [person], "property_designation": "Malmö Möllevången 12:3"},
        },
    )
    make(
        "rot-brf",
        {
            "customer_number": brf.customer_number,
            "rows": [{**labour, "house_work_type": "el"}],
            "house_work": {
                "type": "rot",
                "persons": [{"personal_number": "19850203-2397", "share": "100"}],
                "housing_coop_org_number": "769606-2392",
                "apartment_number": "1102",
            },
        },
    )
    rot_credited = make(
        "rot-krediterad",
        {
            "customer_number": "1001",
            "rows": [{**labour, "house_work_type": "el"}],
            "house_work": {"type": "rot", "persons": [person], "property_designation": "Malmö Möllevången 12:3"},
        },
    )
    credit = invoices.credit_invoice(db, company, rot_credited, approve=True, choice=CreditInput(approve=True))
    found["kreditfaktura-rot"] = credit.id
    cleaning = {"text": "Storstädning", "kind": "labour", "quantity": "4", "hours": "4", "unit": "tim"}
    make(
        "rut",
        {
            "customer_number": "1001",
            "rows": [{**cleaning, "unit_price": "450", "house_work_type": "stadning"}],
            "house_work": {"type": "rut", "persons": [person]},
        },
    )
    solar = {"text": "Montage solceller", "kind": "labour", "quantity": "8", "hours": "8", "unit": "tim"}
    make(
        "gron-teknik",
        {
            "customer_number": "1001",
            "rows": [{**solar, "unit_price": "700", "house_work_type": "solceller"}],
            "house_work": {"type": "green", "persons": [person], "property_designation": "Malmö Möllevången 12:3"},
        },
    )
    article = articles.list_articles(db, company)[0]
    return WalkBook(company, login.email, login.password, found, brf.id, article.id)


def _export_state(container: Container, company_id: int, invoice_id: int, state: str, error: str | None = None) -> None:
    with container.db.transaction() as session:
        row = session.get(InvoiceExport, invoice_id)
        if row is None:
            row = InvoiceExport(invoice_id=invoice_id, company_id=company_id, updated_at=container.clock())
            session.add(row)
        row.state = state
        row.error = error
        row.generation = 1
        row.attempts = 1
