"""Applying one page of the payment import against an in-memory fake of its repository port (`PageRepository`):
the use case's gather → plan → apply and its bookkeeping (cursor, run, lease, deviations, documents), without a
database. The same page against SQLite and the sandbox is in tests/payments."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from fakturabro.domain.invoice import InvoiceStatus, status_after_settlement
from fakturabro.domain.money import ZERO
from fakturabro.store import models
from fakturabro.store.payment_repository import ExportedRow, ImportRow, PaymentImportRepository, PaymentRow
from fakturabro.store.payment_sync_models import (
    PaymentImportCursor,
    PaymentImportDeviation,
    PaymentImportDocument,
    PaymentImportLease,
    PaymentImportRun,
)
from fakturabro.store.repositories import CreditRow
from fakturabro.sync.payments.importer import LEASE, VISMA_SOURCE, PageOutcome, PageRepository, apply_page
from fakturabro.sync.payments.plan import DeviationKind, DocumentKind, VismaReceivable
from fakturabro.sync.payments.reading import VismaPage

COMPANY = 7
RUN = 3
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
VISMA_CLOCK = datetime(2026, 3, 2, 8, 59, tzinfo=UTC)
OVERLAP = timedelta(minutes=5)


@dataclass
class FakeInvoice:
    id: int
    number: int | None
    to_pay: Decimal
    status: str = InvoiceStatus.APPROVED.value
    credits_invoice_id: int | None = None


@dataclass
class FakePages:
    """The payment import's storage for one company, in memory: the same port `PaymentImportRepository` fills."""

    company_id: int = COMPANY
    invoices: dict[int, FakeInvoice] = field(default_factory=dict)
    exports: list[tuple[int, str, str]] = field(default_factory=list)  # (invoice id, Visma id, document type)
    payments: list[models.Payment] = field(default_factory=list)
    cursors: dict[str, PaymentImportCursor] = field(default_factory=dict)
    deviations_found: list[PaymentImportDeviation] = field(default_factory=list)
    documents_seen: dict[str, PaymentImportDocument] = field(default_factory=dict)
    runs: dict[int, PaymentImportRun] = field(default_factory=dict)
    held_lease: PaymentImportLease | None = None
    locked: set[int] = field(default_factory=set)
    with_husavdrag: dict[int, models.Invoice] = field(default_factory=dict)

    def lease(self, *, lock: bool = False) -> PaymentImportLease | None:
        return self.held_lease

    def run(self, run_id: int) -> PaymentImportRun:
        return self.runs[run_id]

    def cursor(self, source: str, *, lock: bool = False) -> PaymentImportCursor | None:
        return self.cursors.get(source)

    def add(self, row: ImportRow) -> None:
        if isinstance(row, PaymentImportCursor):
            self.cursors[row.source] = row
        elif isinstance(row, PaymentImportDeviation):
            self.deviations_found.append(row)
        elif isinstance(row, PaymentImportDocument):
            self.documents_seen[row.visma_id] = row
        elif isinstance(row, PaymentImportLease):
            self.held_lease = row
        else:
            self.runs[row.id] = row

    def exported(
        self, visma_ids: Collection[str], numbers: Collection[int], numbered_types: Collection[str]
    ) -> list[ExportedRow]:
        rows: dict[int, ExportedRow] = {}
        for invoice_id, visma_id, document_type in self.exports:
            invoice = self.invoices[invoice_id]
            by_number = document_type in numbered_types and invoice.number in numbers
            if invoice_id not in rows and (visma_id.lower() in visma_ids or by_number):
                rows[invoice_id] = ExportedRow(
                    invoice_id, invoice.number, invoice.to_pay, invoice.credits_invoice_id, visma_id, document_type
                )
        return list(rows.values())

    def lock_invoices(self, invoice_ids: Collection[int]) -> None:
        self.locked.update(invoice_ids)

    def husavdrag_invoices(self, invoice_ids: Collection[int]) -> list[models.Invoice]:
        return [invoice for key, invoice in self.with_husavdrag.items() if key in invoice_ids]

    def payments_of(self, invoice_ids: Collection[int]) -> list[PaymentRow]:
        return [PaymentRow(p.invoice_id, p.amount, p.source) for p in self.payments if p.invoice_id in invoice_ids]

    def approved_credits_of(self, invoice_ids: Collection[int]) -> list[CreditRow]:
        return [
            CreditRow(credit.id, credit.credits_invoice_id, credit.status, credit.to_pay)
            for credit in self.invoices.values()
            if credit.credits_invoice_id in invoice_ids and credit.status != InvoiceStatus.DRAFT.value
        ]

    def documents_of_invoices(self, invoice_ids: Collection[int]) -> list[PaymentImportDocument]:
        return [row for row in self.documents_seen.values() if row.invoice_id in invoice_ids]

    def documents(self, visma_ids: Collection[str]) -> dict[str, PaymentImportDocument]:
        return {key: row for key, row in self.documents_seen.items() if key in visma_ids}

    def deviations_of(self, visma_ids: Collection[str]) -> list[PaymentImportDeviation]:
        return [row for row in self.deviations_found if row.visma_id in visma_ids]

    def deviation(self, kind: str, visma_id: str) -> PaymentImportDeviation | None:
        return next((d for d in self.deviations_found if (d.kind, d.visma_id) == (kind, visma_id)), None)

    def register_payment(self, payment: models.Payment) -> str:
        if any(p.external_id == payment.external_id for p in self.payments):
            raise AssertionError(f"external id registered twice: {payment.external_id}")
        self.payments.append(payment)
        invoice = self.invoices[payment.invoice_id]
        paid = sum((p.amount for p in self.payments if p.invoice_id == invoice.id), ZERO)
        invoice.status = status_after_settlement(invoice.to_pay, paid, ZERO).value
        return invoice.status


def _port(pages: FakePages) -> PageRepository:
    return pages  # typed as the port: `mypy tests/unit/test_payment_page.py` checks the fake's signatures


def pages_with(*invoices: tuple[int, int, str, str]) -> FakePages:
    """Invoices (id, number, amount to pay, Visma id) exported as drafts, a run holding the lease."""
    pages = FakePages()
    for invoice_id, number, to_pay, visma_id in invoices:
        pages.invoices[invoice_id] = FakeInvoice(invoice_id, number, Decimal(to_pay))
        pages.exports.append((invoice_id, visma_id, "draft"))
    pages.runs[RUN] = PaymentImportRun(
        id=RUN, company_id=COMPANY, pages=0, documents=0, registered=0, reversed=0, deviations=0
    )
    pages.held_lease = PaymentImportLease(company_id=COMPANY, run_id=RUN, expires_at=NOW)
    return pages


def receivable(visma_id: str, number: int, to_pay: str, remaining: str) -> VismaReceivable:
    return VismaReceivable(
        DocumentKind.INVOICE, visma_id, number, Decimal(to_pay), Decimal(remaining), payment_date=date(2026, 3, 1)
    )


def apply(pages: FakePages, *receivables: VismaReceivable, last: bool = True) -> PageOutcome:
    page = VismaPage(list(receivables), upper_bound=VISMA_CLOCK, is_last=last)
    return apply_page(_port(pages), lambda: NOW, RUN, DocumentKind.INVOICE, page, OVERLAP)


def test_a_paid_and_a_partly_paid_invoice_are_registered_and_the_last_page_moves_the_cursor() -> None:
    pages = pages_with((1, 1001, "1250.00", "aaa"), (2, 1002, "500.00", "bbb"))

    outcome = apply(pages, receivable("AAA", 1001, "1250.00", "0.00"), receivable("bbb", 1002, "500.00", "200.00"))

    assert (outcome.paid, outcome.partially_paid, outcome.registered) == ({1}, {2}, 2)
    assert [(p.invoice_id, p.amount, p.source, p.external_id) for p in pages.payments] == [
        (1, Decimal("1250.00"), VISMA_SOURCE, "visma:aaa:1"),
        (2, Decimal("300.00"), VISMA_SOURCE, "visma:bbb:1"),
    ]
    assert [p.payment_date for p in pages.payments] == [date(2026, 3, 1)] * 2
    assert pages.invoices[1].status == InvoiceStatus.PAID.value
    assert pages.locked == {1, 2}
    cursor = pages.cursors[DocumentKind.INVOICE.value]
    assert (cursor.cursor_utc, cursor.upper_bound_utc, cursor.overlap_seconds) == (VISMA_CLOCK, None, 300)
    run = pages.runs[RUN]
    assert (run.pages, run.documents, run.registered, run.deviations) == (1, 2, 2, 0)
    assert pages.held_lease is not None
    assert pages.held_lease.expires_at == NOW + LEASE
    seen = pages.documents_seen["bbb"]
    assert (seen.invoice_id, seen.to_pay, seen.remaining, seen.seen_at) == (2, Decimal(500), Decimal(200), NOW)


def test_a_page_that_is_not_the_last_keeps_the_cursor_and_records_the_upper_bound() -> None:
    pages = pages_with((1, 1001, "100.00", "aaa"))
    pages.cursors["invoice"] = PaymentImportCursor(
        company_id=COMPANY, source="invoice", cursor_utc=NOW - timedelta(days=1), overlap_seconds=300
    )

    apply(pages, receivable("aaa", 1001, "100.00", "0.00"), last=False)

    cursor = pages.cursors["invoice"]
    assert (cursor.cursor_utc, cursor.upper_bound_utc) == (NOW - timedelta(days=1), VISMA_CLOCK)


def test_the_same_page_applied_again_registers_nothing() -> None:
    pages = pages_with((1, 1001, "800.00", "aaa"))
    page = (receivable("aaa", 1001, "800.00", "300.00"),)
    apply(pages, *page)

    again = apply(pages, *page)

    assert (again.registered, again.reversed, again.partially_paid) == (0, 0, set())
    assert [p.amount for p in pages.payments] == [Decimal("500.00")]
    assert pages.runs[RUN].pages == 2


def test_a_payment_undone_in_visma_is_reversed_with_the_next_external_id() -> None:
    pages = pages_with((1, 1001, "800.00", "aaa"))
    apply(pages, receivable("aaa", 1001, "800.00", "0.00"))

    outcome = apply(pages, receivable("aaa", 1001, "800.00", "800.00"))

    assert (outcome.reversed, outcome.paid) == (1, set())
    assert [(p.amount, p.external_id) for p in pages.payments] == [
        (Decimal("800.00"), "visma:aaa:1"),
        (Decimal("-800.00"), "visma:aaa:2"),
    ]
    assert pages.invoices[1].status == InvoiceStatus.APPROVED.value


def test_money_on_an_unknown_invoice_and_a_renumbered_one_are_listed_once() -> None:
    pages = pages_with((1, 1001, "100.00", "aaa"))
    page = (receivable("aaa", 2001, "100.00", "100.00"), receivable("zzz", 77, "90.00", "40.00"))

    first = apply(pages, *page)
    second = apply(pages, receivable("aaa", 2001, "100.00", "100.00"), receivable("zzz", 77, "90.00", "0.00"))

    assert (first.deviations, second.deviations) == (2, 0)
    found = {(d.kind, d.visma_id): d for d in pages.deviations_found}
    assert set(found) == {(DeviationKind.NUMBER_MISMATCH.value, "aaa"), (DeviationKind.UNKNOWN_INVOICE.value, "zzz")}
    mismatch = found[(DeviationKind.NUMBER_MISMATCH.value, "aaa")]
    assert (mismatch.invoice_id, mismatch.visma_invoice_number, mismatch.our_invoice_number) == (1, 2001, 1001)
    unknown = found[(DeviationKind.UNKNOWN_INVOICE.value, "zzz")]
    assert (unknown.invoice_id, unknown.amount, unknown.run_id) == (None, Decimal("90.00"), RUN)
    assert pages.payments == []
    assert pages.runs[RUN].deviations == 2


def rot_invoice(invoice_id: int, invoice_date: date) -> models.Invoice:
    """41 000 kr labour incl. VAT with ROT, two buyers sharing it: 20 500 kr at 50 %, 12 300 kr at 30 %."""
    labour = models.InvoiceRow(
        position=0,
        kind="labour",
        text="Snickeri",
        quantity=Decimal(328),
        unit="tim",
        unit_price=Decimal(100),
        vat_rate=Decimal(25),
        discount_percent=ZERO,
        house_work_type="bygg",
    )
    buyers = [
        models.HouseWorkPerson(position=n, personal_number_encrypted=f"encrypted-{n}", share=Decimal(50))
        for n in range(2)
    ]
    return models.Invoice(
        id=invoice_id,
        invoice_date=invoice_date,
        reverse_charge=False,
        house_work_kind="rot",
        property_designation="EXEMPELBY 1:23",
        rows=[labour],
        house_work_persons=buyers,
    )


def test_a_rot_invoice_paid_after_new_year_is_listed_with_what_to_invoice_the_buyer() -> None:
    pages = pages_with((1, 1042, "31000.00", "aaa"), (2, 1043, "31000.00", "bbb"))  # 51 250 total − 20 250
    pages.with_husavdrag = {1: rot_invoice(1, date(2025, 12, 20)), 2: rot_invoice(2, date(2026, 1, 2))}
    paid_in_january = [
        VismaReceivable(
            DocumentKind.INVOICE, visma_id, number, Decimal("31000.00"), ZERO, payment_date=date(2026, 1, 8)
        )
        for visma_id, number in (("aaa", 1042), ("bbb", 1043))
    ]

    first = apply(pages, *paid_in_january)
    again = apply(pages, *paid_in_january)

    assert (first.paid, first.deviations, again.deviations) == ({1, 2}, 1, 0)
    [deviation] = pages.deviations_found
    assert (deviation.kind, deviation.visma_id, deviation.invoice_id) == ("husavdrag_rate", "aaa", 1)
    assert (deviation.our_invoice_number, deviation.amount) == (1042, Decimal(8200))
    assert deviation.detail.startswith("Faktura 1042 betalades 2026-01-08, då ROT-avdraget är 30")
    assert "mellanskillnaden 8\u00a0200\u00a0kr" in deviation.detail
    assert "encrypted" not in deviation.detail


def test_a_payment_without_a_date_from_visma_is_priced_at_the_day_of_the_import() -> None:
    pages = pages_with((1, 1042, "20500.00", "aaa"))
    pages.with_husavdrag = {1: rot_invoice(1, date(2025, 12, 20))}

    apply(pages, VismaReceivable(DocumentKind.INVOICE, "aaa", 1042, Decimal("20500.00"), ZERO))

    assert [p.payment_date for p in pages.payments] == [NOW.date()]
    [deviation] = pages.deviations_found
    assert f"betalades {NOW.date().isoformat()}" in deviation.detail


def test_the_fake_and_the_production_repository_both_implement_the_whole_port() -> None:
    port = {name for name in vars(PageRepository) if not name.startswith("_")}
    assert port
    assert port <= set(dir(FakePages))
    assert port - {"company_id"} <= set(dir(PaymentImportRepository))  # a dataclass field, set per instance
