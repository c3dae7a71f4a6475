"""The payment import against the sandbox over real HTTP and a migrated database.

`Visma` plays the bookkeeper in the sandbox: drafts converted, payments registered (through `/v2`), and for
what `/v2` cannot do (undo a payment, settle a verifikation) it edits the sandbox's state the way Visma's own
UI would, under the sandbox's lock. `Ours` records our side: approved invoices and the export rows the export
workflow would have written.
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from cryptography.fernet import Fernet
from sqlalchemy import select
from tests.company_details import create_company_with_details

from fakturabro.bootstrap import Container, build
from fakturabro.invoicing.companies import create_api_token
from fakturabro.invoicing.settlement import settle
from fakturabro.sandbox import seed
from fakturabro.sandbox.resources.invoices import book_invoice
from fakturabro.sandbox.testing import FakeClock, LiveSandbox, live_sandbox
from fakturabro.settings import Settings
from fakturabro.store import models
from fakturabro.store.export_models import InvoiceExport
from fakturabro.store.migrate import upgrade
from fakturabro.sync.connection import VismaSetup, activate, complete_connect, start_connect
from fakturabro.sync.payments.importer import ImportResult, import_payments
from fakturabro.sync.payments.reading import VismaReader
from fakturabro.visma.client import VismaClient

_names = itertools.count(1)


def sid(key: str) -> str:
    return seed.seeded_id(seed.SEED_COMPANY_ID, key)


class Visma:
    def __init__(self, sandbox: LiveSandbox, clock: FakeClock) -> None:
        self.sandbox = sandbox
        self.clock = clock
        self.http = httpx.Client(base_url=sandbox.api_url, timeout=30)
        self.login()

    def login(self) -> None:
        self.http.headers["Authorization"] = f"Bearer {self.sandbox.token()['access_token']}"

    def advance(self, seconds: float = 900) -> None:
        self.clock.advance(seconds)
        self.login()

    def client(self, **options: Any) -> VismaClient:
        self.login()
        return VismaClient(self.http, self.sandbox.api_url, **options)

    def post(self, path: str, body: dict[str, Any]) -> Any:
        response = self.http.post(f"{self.sandbox.api_url}{path}", json=body)
        assert response.is_success, response.text
        return response.json()

    def draft(self, quantity: int = 2, price: int = 500, **fields: Any) -> dict[str, Any]:
        body = {
            "CustomerId": sid("customer:1001"),
            "EuThirdParty": False,
            "RotReducedInvoicingType": 0,
            "Rows": [
                {
                    "ArticleId": sid("article:9000"),
                    "Quantity": quantity,
                    "UnitPrice": price,
                    "IsTextRow": False,
                    "ReversedConstructionServicesVatFree": False,
                }
            ],
        } | fields
        answer: dict[str, Any] = self.post("/customerinvoicedrafts", body)
        return answer

    def convert(self, draft_id: str) -> dict[str, Any]:
        answer: dict[str, Any] = self.post(f"/customerinvoicedrafts/{draft_id}/convert", {})
        return answer

    def invoice(self, quantity: int = 2, price: int = 500, **fields: Any) -> dict[str, Any]:
        body = {
            "CustomerId": sid("customer:1001"),
            "EuThirdParty": False,
            "RotReducedInvoicingType": 0,
            "Rows": [{"ArticleId": sid("article:9000"), "Quantity": quantity, "UnitPrice": price}],
        } | fields
        answer: dict[str, Any] = self.post("/customerinvoices", body)
        return answer

    def pay(
        self, invoice_id: str, amount: Decimal | str, *, complete: bool = False, paid_on: date | None = None
    ) -> None:
        body: dict[str, Any] = {
            "CompanyBankAccountId": sid("bank:foretagskonto"),
            "PaymentAmount": float(Decimal(amount)),
            "PaymentCurrency": "SEK",
            "PaymentType": 2 if complete else 1,
        }
        if paid_on is not None:
            body["PaymentDate"] = f"{paid_on.isoformat()}T00:00:00Z"
        self.post(f"/customerinvoices/{invoice_id}/payments", body)

    def ledger_item(self, number: int, amount: Decimal) -> dict[str, Any]:
        body = {
            "CustomerId": sid("customer:1001"),
            "InvoiceNumber": number,
            "InvoiceDate": self.clock().date().isoformat() + "T00:00:00Z",
            "CurrencyCode": "SEK",
            "IsCreditInvoice": False,
            "TotalAmountInvoiceCurrency": float(amount),
            "RemainingAmountInvoiceCurrency": float(amount),
            "Voucher": {
                "VoucherDate": self.clock().date().isoformat() + "T00:00:00Z",
                "VoucherText": f"Faktura {number}",
                "Rows": [
                    {"AccountNumber": 1510, "DebitAmount": float(amount)},
                    {"AccountNumber": 3001, "CreditAmount": float(amount)},
                ],
            },
        }
        answer: dict[str, Any] = self.post("/customerledgeritems/customerledgeritemswithvoucher", body)
        return answer

    def bookkeeper_edits(self, kind: str, document_id: str, remaining: Decimal) -> None:
        """What `/v2` cannot do (undo a payment, settle a verifikation): as Visma's UI would, under its lock."""
        state = self.sandbox.state
        with state.lock:
            company = state.companies[seed.SEED_COMPANY_ID]
            documents = company.invoices if kind == "invoice" else company.ledger_items
            document = documents[document_id]
            if kind == "invoice":
                document["RemainingAmount"] = float(remaining)
            document["RemainingAmountInvoiceCurrency"] = float(remaining)
            document["ModifiedUtc"] = state.timestamp()

    def book_directly(self, count: int) -> list[dict[str, Any]]:
        """Many open invoices at once, booked by the sandbox's own code (HTTP would take minutes)."""
        state = self.sandbox.state
        body = {
            "CustomerId": sid("customer:1001"),
            "EuThirdParty": False,
            "RotReducedInvoicingType": 0,
            "Rows": [
                {
                    "ArticleId": sid("article:9000"),
                    "Quantity": 1,
                    "UnitPrice": 100,
                    "IsTextRow": False,
                    "IsWorkCost": False,
                    "ReversedConstructionServicesVatFree": False,
                }
            ],
        }
        with state.lock:
            company = state.companies[seed.SEED_COMPANY_ID]
            booked = [book_invoice(company, state, body) for _ in range(count)]
            state.save()
        return booked

    def requests(self) -> dict[str, Any]:
        answer: dict[str, Any] = httpx.get(f"{self.sandbox.base_url}/_sandbox/requests", timeout=10).json()
        return answer

    def clear_requests(self) -> None:
        httpx.delete(f"{self.sandbox.base_url}/_sandbox/requests", timeout=10).raise_for_status()


@dataclass
class Ours:
    container: Container
    company_id: int
    customer_id: int

    def exported(
        self,
        visma_id: str,
        to_pay: Decimal | str,
        *,
        number: int,
        document_type: str = "draft",
        credits: int | None = None,
    ) -> int:
        """An approved invoice and the export row the export workflow writes once Visma has the document."""
        db = self.container.db
        now = db.clock()
        with db.transaction() as session:
            invoice = models.Invoice(
                company_id=self.company_id,
                customer_id=self.customer_id,
                number=number,
                status="approved",
                invoice_date=date(2026, 3, 2),
                due_date=date(2026, 4, 1),
                credits_invoice_id=credits,
                total=Decimal(to_pay),
                to_pay=Decimal(to_pay),
                approved_at=now,
                created_at=now,
                updated_at=now,
            )
            session.add(invoice)
            session.flush()
            session.add(
                InvoiceExport(
                    invoice_id=invoice.id,
                    company_id=self.company_id,
                    state="exported",
                    mode=document_type,
                    visma_document_type=document_type,
                    visma_id=visma_id,
                    updated_at=now,
                )
            )
            if credits is not None:
                original = session.get(models.Invoice, credits)
                assert original is not None
                settle(session, original)
            return invoice.id

    def exported_many(self, documents: list[tuple[str, Decimal, int]]) -> None:
        """Many approved and exported invoices in one transaction: (Visma invoice id, to pay, number)."""
        db = self.container.db
        now = db.clock()
        with db.transaction() as session:
            invoices = [
                models.Invoice(
                    company_id=self.company_id,
                    customer_id=self.customer_id,
                    number=number,
                    status="approved",
                    invoice_date=date(2026, 3, 2),
                    due_date=date(2026, 4, 1),
                    total=to_pay,
                    to_pay=to_pay,
                    approved_at=now,
                    created_at=now,
                    updated_at=now,
                )
                for _, to_pay, number in documents
            ]
            session.add_all(invoices)
            session.flush()
            session.add_all(
                InvoiceExport(
                    invoice_id=invoice.id,
                    company_id=self.company_id,
                    state="exported",
                    mode="draft",
                    visma_document_type="draft",
                    visma_id=visma_id,
                    updated_at=now,
                )
                for invoice, (visma_id, _, _) in zip(invoices, documents, strict=True)
            )

    def invoice(self, invoice_id: int) -> models.Invoice:
        with self.container.db.transaction() as session:
            invoice = session.get(models.Invoice, invoice_id)
            assert invoice is not None
            return invoice

    def payments(self, invoice_id: int) -> list[tuple[Decimal, str, str | None]]:
        with self.container.db.transaction() as session:
            rows = session.scalars(
                select(models.Payment).where(models.Payment.invoice_id == invoice_id).order_by(models.Payment.id)
            )
            return [(row.amount, row.source, row.external_id) for row in rows]


@pytest.fixture
def visma() -> Iterator[Visma]:
    clock = FakeClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    with live_sandbox(None, clock=clock) as sandbox:  # in memory: no JSON file rewritten per write
        httpx.put(f"{sandbox.base_url}/_sandbox/faults", json={"rate_limit_per_minute": 0}, timeout=10)
        visma = Visma(sandbox, clock)
        yield visma
        visma.http.close()


@pytest.fixture
def ours(container: Container) -> Ours:
    db = container.db
    company = create_company_with_details(db, f"Betalningar AB {next(_names)} {uuid.uuid4().hex[:6]}")
    now = db.clock()
    with db.transaction() as session:
        customer = models.Customer(
            company_id=company.id, customer_number="1001", name="Kund AB", created_at=now, updated_at=now
        )
        session.add(customer)
        session.flush()
        customer_id = customer.id
    return Ours(container, company.id, customer_id)


def run_import(visma: Visma, ours: Ours, **options: Any) -> ImportResult:
    return import_payments(ours.container.db, VismaReader(visma.client()), ours.company_id, **options)


def later(visma: Visma, minutes: int = 15) -> None:
    visma.advance(timedelta(minutes=minutes).total_seconds())


@dataclass
class Connected:
    container: Container
    ours: Ours
    token: str
    settings_env: dict[str, str]


def connect(container: Container, setup: VismaSetup, sandbox_base_url: str, company_id: int) -> None:
    activate(container.db, company_id)
    url = start_connect(container.db, setup, company_id)
    answer = httpx.post(f"{sandbox_base_url}/_sandbox/authorize", json={"url": url}, timeout=10)
    callback = {key: values[0] for key, values in parse_qs(urlsplit(answer.json()["redirect_url"]).query).items()}
    complete_connect(container.db, setup, state=callback["state"], code=callback["code"])


@pytest.fixture
def connected(visma: Visma, tmp_path: Path) -> Iterator[Connected]:
    base = visma.sandbox.base_url
    env = {
        "FAKTURABRO_DATA_DIR": str(tmp_path / "data"),
        "FAKTURABRO_TOKEN_KEY": Fernet.generate_key().decode(),
        "FAKTURABRO_SECRET_KEY": "test-session-secret",
        "VISMA_AUTH_URL": f"{base}/connect/authorize",
        "VISMA_TOKEN_URL": f"{base}/connect/token",
        "VISMA_API_BASE_URL": f"{base}/v2",
    }
    settings = Settings(
        data_dir=tmp_path / "data",
        token_key=env["FAKTURABRO_TOKEN_KEY"],
        secret_key=env["FAKTURABRO_SECRET_KEY"],
        visma_auth_url=env["VISMA_AUTH_URL"],
        visma_token_url=env["VISMA_TOKEN_URL"],
        visma_api_base_url=env["VISMA_API_BASE_URL"],
    )
    container = build(settings)
    upgrade(container.engine)
    company = create_company_with_details(container.db, "Rörmokarna AB")
    now = container.db.clock()
    with container.db.transaction() as session:
        customer = models.Customer(
            company_id=company.id, customer_number="1001", name="Kund AB", created_at=now, updated_at=now
        )
        session.add(customer)
        session.flush()
        customer_id = customer.id
    connect(container, VismaSetup.from_settings(settings), base, company.id)
    token = create_api_token(container.db, company.id, "test").token
    yield Connected(container, Ours(container, company.id, customer_id), token, env)
    container.close()


def paid_in_visma(visma: Visma, ours: Ours) -> int:
    draft = visma.draft()
    number = int(
        visma.sandbox.state.companies[next(iter(visma.sandbox.state.companies))].settings["NextCustomerInvoiceNumber"]
    )
    invoice_id = ours.exported(draft["Id"], Decimal(str(draft["TotalAmount"])), number=number)
    invoice = visma.convert(draft["Id"])
    visma.pay(invoice["Id"], "1250.00", complete=True)
    return invoice_id
