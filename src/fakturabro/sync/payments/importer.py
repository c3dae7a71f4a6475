"""`import_payments`: what customers paid, read from Visma and registered on our invoices once.

Gather → plan → apply, page by page. For each Visma source (bookkept customer invoices, and customer ledger
items when the company has verifikation exports) the run reads what changed since the company's cursor minus a
safety overlap, up to Visma's clock when the listing started (``ServerTimeUtc`` of the first page: the upper
bound, so anything changed while we read is read again next time). Each page is applied in one transaction that
locks the company's cursor row, re-reads our side, plans and registers; the cursor becomes the upper bound only
in the transaction of the source's last page. A run that dies mid-way therefore re-reads from the old cursor,
and the planner, comparing Visma's paid amount with what we already registered, makes the re-read a no-op.

A run costs one call per page of *changed* documents (1000 per page), not one per open invoice.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, TypeVar

import structlog
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from fakturabro.domain.errors import Conflict
from fakturabro.domain.invoice import InvoiceStatus
from fakturabro.domain.money import ZERO
from fakturabro.invoicing.settlement import settle
from fakturabro.store import models
from fakturabro.store.database import Database
from fakturabro.store.export_models import InvoiceExport
from fakturabro.store.payment_sync_models import (
    PaymentImportCursor,
    PaymentImportDeviation,
    PaymentImportDocument,
    PaymentImportLease,
    PaymentImportRun,
)
from fakturabro.sync.payments.plan import (
    VERIFIKATION_MODE,
    Action,
    DeviationKind,
    DocumentKind,
    ExportedInvoice,
    FlagNumberMismatch,
    KnownDeviation,
    RecordUnknown,
    RegisterPayment,
    ReversePayment,
    VismaReceivable,
    credit_settled,
    match,
    plan,
)
from fakturabro.sync.payments.reading import VismaPage, VismaReader

log = structlog.get_logger("fakturabro.sync.payments")

T = TypeVar("T")

DEFAULT_OVERLAP = timedelta(minutes=5)
LEASE = timedelta(minutes=15)
VISMA_SOURCE = "visma"
# The export records a verifikation as document type "voucher" (its mode's name); "ledger_item" is the
# export model's own comment for the same thing. Either way the Visma document is a customer ledger item.
VERIFIKATION_DOCUMENTS = ("voucher", "ledger_item")


class ImportAlreadyRunning(Conflict):
    def __init__(self) -> None:
        super().__init__("En import av betalningar pågår redan för företaget.", "import_running", ())


@dataclass
class ImportResult:
    run_id: int
    paid: int = 0
    partially_paid: int = 0
    deviations: int = 0
    api_calls: int = 0
    registered: int = 0
    reversed: int = 0
    documents: int = 0
    pages: int = 0

    @property
    def message(self) -> str:
        """The seed's message when the sync is done, in Swedish."""
        return f"{self.paid} fakturor betalda, {self.partially_paid} delbetalda, {self.deviations} nya avvikelser"

    def as_json(self) -> dict[str, Any]:
        return {
            "paid": self.paid,
            "partially_paid": self.partially_paid,
            "deviations": self.deviations,
            "api_calls": self.api_calls,
            "run_id": self.run_id,
            "message": self.message,
        }


@dataclass
class _PageOutcome:
    paid: set[int] = field(default_factory=set)
    partially_paid: set[int] = field(default_factory=set)
    deviations: int = 0
    registered: int = 0
    reversed: int = 0


def import_payments(
    db: Database,
    reader: VismaReader,
    company_id: int,
    *,
    trigger: str = "api",
    overlap: timedelta = DEFAULT_OVERLAP,
) -> ImportResult:
    """Import what changed in Visma since the last run. Raises `ImportAlreadyRunning` if one is under way."""
    run_id = _start(db, company_id, trigger)
    result = ImportResult(run_id=run_id)
    paid: set[int] = set()
    partially_paid: set[int] = set()
    try:
        sources = [DocumentKind.INVOICE]
        if _has_verifikation_exports(db, company_id):
            sources.append(DocumentKind.LEDGER_ITEM)
        for source in sources:
            since = _read_from(db, company_id, source)
            for page in reader.pages(source, since):
                outcome = _apply_page(db, company_id, run_id, source, page, overlap)
                result.pages += 1
                result.documents += len(page.receivables)
                result.deviations += outcome.deviations
                result.registered += outcome.registered
                result.reversed += outcome.reversed
                paid |= outcome.paid
                partially_paid |= outcome.partially_paid
    except BaseException as error:
        # What the applied pages registered stays registered (and counted); the cursor has not moved.
        _count(result, paid, partially_paid, reader)
        _finish(db, company_id, result, error=type(error).__name__)
        raise
    _count(result, paid, partially_paid, reader)
    _finish(db, company_id, result, error=None)
    log.info(
        "payments.imported",
        company_id=company_id,
        run_id=run_id,
        paid=result.paid,
        partially_paid=result.partially_paid,
        deviations=result.deviations,
        api_calls=result.api_calls,
    )
    return result


def _count(result: ImportResult, paid: set[int], partially_paid: set[int], reader: VismaReader) -> None:
    result.paid = len(paid)
    result.partially_paid = len(partially_paid - paid)  # paid in full by a later page counts once, as paid
    result.api_calls = reader.calls


# --- the run and its lease --------------------------------------------------------------------------------


def _start(db: Database, company_id: int, trigger: str) -> int:
    try:
        return _take_lease(db, company_id, trigger)
    except IntegrityError:  # two first-ever runs inserted the company's lease row at once: the other one won
        raise ImportAlreadyRunning() from None


def _take_lease(db: Database, company_id: int, trigger: str) -> int:
    now = db.clock()
    with db.transaction() as session:
        lease = session.scalar(
            select(PaymentImportLease).where(PaymentImportLease.company_id == company_id).with_for_update()
        )
        if lease is None:
            lease = PaymentImportLease(company_id=company_id)
            session.add(lease)
        elif lease.run_id is not None and lease.expires_at is not None and _aware(lease.expires_at) > now:
            raise ImportAlreadyRunning()
        run = PaymentImportRun(company_id=company_id, trigger=trigger, status="running", started_at=now)
        session.add(run)
        session.flush()
        lease.run_id, lease.expires_at = run.id, now + LEASE
        return run.id


def _finish(db: Database, company_id: int, result: ImportResult, *, error: str | None) -> None:
    with db.transaction() as session:
        run = session.get(PaymentImportRun, result.run_id)
        assert run is not None
        run.status = "failed" if error else "succeeded"
        run.error = error
        run.finished_at = db.clock()
        run.paid, run.partially_paid, run.api_calls = result.paid, result.partially_paid, result.api_calls
        lease = session.get(PaymentImportLease, company_id, with_for_update=True)
        if lease is not None and lease.run_id == result.run_id:
            lease.run_id, lease.expires_at = None, None


def _has_verifikation_exports(db: Database, company_id: int) -> bool:
    with db.transaction() as session:
        found = session.scalar(
            select(InvoiceExport.invoice_id)
            .where(
                InvoiceExport.company_id == company_id,
                InvoiceExport.visma_id.is_not(None),
                InvoiceExport.visma_document_type.in_(VERIFIKATION_DOCUMENTS),
            )
            .limit(1)
        )
        return found is not None


# --- the cursor ---------------------------------------------------------------------------------------------


def _read_from(db: Database, company_id: int, source: DocumentKind) -> datetime | None:
    with db.transaction() as session:
        cursor = session.get(PaymentImportCursor, (company_id, source.value))
        if cursor is None or cursor.cursor_utc is None:
            return None
        return _aware(cursor.cursor_utc) - timedelta(seconds=cursor.overlap_seconds)


def _lock_cursor(
    session: Session, db: Database, company_id: int, source: DocumentKind, overlap: timedelta
) -> PaymentImportCursor:
    cursor = session.scalar(
        select(PaymentImportCursor)
        .where(PaymentImportCursor.company_id == company_id, PaymentImportCursor.source == source.value)
        .with_for_update()
    )
    if cursor is None:
        cursor = PaymentImportCursor(
            company_id=company_id,
            source=source.value,
            overlap_seconds=int(overlap.total_seconds()),
            updated_at=db.clock(),
        )
        session.add(cursor)
    return cursor


# --- applying one page --------------------------------------------------------------------------------------


def _apply_page(
    db: Database, company_id: int, run_id: int, source: DocumentKind, page: VismaPage, overlap: timedelta
) -> _PageOutcome:
    with db.transaction() as session:
        cursor = _lock_cursor(session, db, company_id, source, overlap)
        exported = _exported_invoices(session, company_id, page.receivables)
        known = _known_deviations(session, company_id, page.receivables)
        actions = plan(page.receivables, exported, known)
        outcome = _PageOutcome()
        for action in actions:
            _execute(session, db, company_id, run_id, action, outcome)
        _remember_documents(session, db, company_id, page.receivables, exported)
        if page.is_last:
            cursor.cursor_utc, cursor.upper_bound_utc = page.upper_bound, None
        else:
            cursor.upper_bound_utc = page.upper_bound
        cursor.updated_at = db.clock()
        run = session.get(PaymentImportRun, run_id)
        assert run is not None
        run.pages += 1
        run.documents += len(page.receivables)
        run.registered += outcome.registered
        run.reversed += outcome.reversed
        run.deviations += outcome.deviations
        lease = session.get(PaymentImportLease, company_id)
        if lease is not None and lease.run_id == run_id:
            lease.expires_at = db.clock() + LEASE
        return outcome


def _execute(
    session: Session, db: Database, company_id: int, run_id: int, action: Action, outcome: _PageOutcome
) -> None:
    if isinstance(action, RegisterPayment | ReversePayment):
        signed = action.amount if isinstance(action, RegisterPayment) else -action.amount
        status = _register(session, db, company_id, action, signed)
        if isinstance(action, RegisterPayment):
            outcome.registered += 1
        else:
            outcome.reversed += 1
        if status is InvoiceStatus.PAID:
            outcome.paid.add(action.invoice_id)
        elif status is InvoiceStatus.PARTIALLY_PAID:
            outcome.partially_paid.add(action.invoice_id)
    elif isinstance(action, FlagNumberMismatch):
        outcome.deviations += _record_deviation(
            session,
            db,
            company_id,
            run_id,
            kind=DeviationKind.NUMBER_MISMATCH,
            visma_id=action.visma_id,
            invoice_id=action.invoice_id,
            visma_number=action.visma_number,
            our_number=action.our_number,
            amount=None,
            detail=f"Visma numrerade fakturan {action.visma_number}, fakturabro {action.our_number}",
        )
    elif isinstance(action, RecordUnknown):
        outcome.deviations += _record_deviation(
            session,
            db,
            company_id,
            run_id,
            kind=DeviationKind.UNKNOWN_INVOICE,
            visma_id=action.visma_id,
            invoice_id=None,
            visma_number=action.visma_number,
            our_number=None,
            amount=action.paid,
            detail=f"Betalning i Visma på faktura {action.visma_number} som fakturabro inte känner till",
        )


def _register(
    session: Session, db: Database, company_id: int, action: RegisterPayment | ReversePayment, signed: Decimal
) -> InvoiceStatus:
    """One payment row (negative for a reversal) and the invoice's status recomputed, in the page's transaction.

    The unique external id per company makes a second registration of the same step impossible even if two
    writers got past the locks.
    """
    invoice = session.scalar(
        select(models.Invoice)
        .where(models.Invoice.company_id == company_id, models.Invoice.id == action.invoice_id)
        .with_for_update(of=models.Invoice)
    )
    assert invoice is not None  # it came from our own export rows in this transaction
    session.add(
        models.Payment(
            company_id=company_id,
            invoice_id=invoice.id,
            amount=signed,
            payment_date=action.payment_date or db.clock().date(),
            source=VISMA_SOURCE,
            external_id=action.external_id,
            created_at=db.clock(),
        )
    )
    settle(session, invoice)
    return InvoiceStatus(invoice.status)


def _record_deviation(
    session: Session,
    db: Database,
    company_id: int,
    run_id: int,
    *,
    kind: DeviationKind,
    visma_id: str,
    invoice_id: int | None,
    visma_number: int | None,
    our_number: int | None,
    amount: Decimal | None,
    detail: str,
) -> int:
    """Insert the deviation, or update the one already listed; returns 1 when it is new."""
    now = db.clock()
    row = session.scalar(
        select(PaymentImportDeviation).where(
            PaymentImportDeviation.company_id == company_id,
            PaymentImportDeviation.kind == kind.value,
            PaymentImportDeviation.visma_id == visma_id,
        )
    )
    if row is not None:
        row.amount, row.visma_invoice_number, row.updated_at = amount, visma_number, now
        return 0
    session.add(
        PaymentImportDeviation(
            company_id=company_id,
            kind=kind.value,
            visma_id=visma_id,
            invoice_id=invoice_id,
            visma_invoice_number=visma_number,
            our_invoice_number=our_number,
            amount=amount,
            detail=detail,
            run_id=run_id,
            created_at=now,
            updated_at=now,
        )
    )
    return 1


# --- our side of a page ---------------------------------------------------------------------------------------


def _exported_invoices(session: Session, company_id: int, receivables: list[VismaReceivable]) -> list[ExportedInvoice]:
    """Our exported invoices that the page's documents can match: by Visma id, draft id or verifikation number."""
    ids: set[str] = set()
    numbers: set[int] = set()
    for receivable in receivables:
        ids.add(receivable.visma_id.lower())
        if receivable.created_from_draft_id:
            ids.add(receivable.created_from_draft_id.lower())
        if receivable.kind is DocumentKind.LEDGER_ITEM and receivable.invoice_number is not None:
            numbers.add(receivable.invoice_number)
    if not ids and not numbers:
        return []
    rows = list(_export_rows(session, company_id, ids, numbers))
    invoice_ids = [row.invoice_id for row in rows]
    _lock_invoices(session, invoice_ids)
    manual, from_visma, count = _payment_sums(session, invoice_ids)
    credited = _credited(session, invoice_ids)
    exported = [
        ExportedInvoice(
            invoice_id=row.invoice_id,
            number=row.number,
            mode=VERIFIKATION_MODE if row.document_type in VERIFIKATION_DOCUMENTS else "draft",
            visma_ids=frozenset({row.visma_id.lower()}),
            to_pay=row.to_pay or ZERO,
            credited=credited.get(row.invoice_id, ZERO),
            paid_manually=manual.get(row.invoice_id, ZERO),
            paid_from_visma=from_visma.get(row.invoice_id, ZERO),
            visma_payments=count.get(row.invoice_id, 0),
            is_credit=row.credits_invoice_id is not None,
        )
        for row in rows
    ]
    settled = _credit_settled_in_visma(session, company_id, receivables, exported)
    return [replace(ours, credit_settled_in_visma=settled.get(ours.invoice_id, ZERO)) for ours in exported]


def _credit_settled_in_visma(
    session: Session, company_id: int, receivables: list[VismaReceivable], exported: list[ExportedInvoice]
) -> dict[int, Decimal]:
    """Original invoice id → the settled part of its credit invoices' Visma documents: as this page shows them,
    else as the import last saw them."""
    originals = [ours.invoice_id for ours in exported if not ours.is_credit]
    original_of: dict[int, int] = {}
    for chunk in _chunks(originals):
        credits = session.execute(
            select(models.Invoice.id, models.Invoice.credits_invoice_id).where(
                models.Invoice.credits_invoice_id.in_(chunk),
                models.Invoice.status != InvoiceStatus.DRAFT.value,
            )
        ).tuples()
        original_of.update((credit_id, original_id) for credit_id, original_id in credits if original_id is not None)
    if not original_of:
        return {}
    documents: dict[str, tuple[int, Decimal]] = {}  # Visma id → (our credit invoice, settled part)
    for chunk in _chunks(sorted(original_of)):
        stored = session.scalars(
            select(PaymentImportDocument).where(
                PaymentImportDocument.company_id == company_id, PaymentImportDocument.invoice_id.in_(chunk)
            )
        )
        for row in stored:
            documents[row.visma_id] = (row.invoice_id, max(ZERO, row.remaining - row.to_pay) if row.is_credit else ZERO)
    ours_by_document = match(receivables, exported)
    for receivable in receivables:
        credit = ours_by_document.get(receivable.visma_id)
        if credit is not None and credit.invoice_id in original_of:
            documents[receivable.visma_id] = (credit.invoice_id, credit_settled(receivable))
    settled: dict[int, Decimal] = {}
    for credit_id, amount in documents.values():
        original_id = original_of[credit_id]
        settled[original_id] = settled.get(original_id, ZERO) + amount
    return settled


def _remember_documents(
    session: Session,
    db: Database,
    company_id: int,
    receivables: list[VismaReceivable],
    exported: list[ExportedInvoice],
) -> None:
    """Keep the last state of each of our documents in this page (see `PaymentImportDocument`)."""
    ours_by_document = match(receivables, exported)
    existing: dict[str, PaymentImportDocument] = {}
    for chunk in _chunks(sorted(ours_by_document)):
        rows = session.scalars(
            select(PaymentImportDocument).where(
                PaymentImportDocument.company_id == company_id, PaymentImportDocument.visma_id.in_(chunk)
            )
        )
        existing.update((row.visma_id, row) for row in rows)
    for receivable in receivables:
        ours = ours_by_document.get(receivable.visma_id)
        if ours is None:
            continue
        row = existing.get(receivable.visma_id)
        if row is None:
            row = PaymentImportDocument(company_id=company_id, visma_id=receivable.visma_id)
            session.add(row)
        row.invoice_id, row.kind, row.is_credit = ours.invoice_id, receivable.kind.value, receivable.is_credit
        row.visma_invoice_number = receivable.invoice_number
        row.to_pay, row.remaining, row.seen_at = receivable.to_pay, receivable.remaining, db.clock()


@dataclass(frozen=True)
class _ExportRow:
    invoice_id: int
    number: int | None
    to_pay: Decimal | None
    credits_invoice_id: int | None
    visma_id: str
    document_type: str | None


def _export_rows(session: Session, company_id: int, ids: set[str], numbers: set[int]) -> Iterator[_ExportRow]:
    """Only the columns the planner needs (an `Invoice` entity would load its rows and customer too)."""
    base = (
        select(
            models.Invoice.id,
            models.Invoice.number,
            models.Invoice.to_pay,
            models.Invoice.credits_invoice_id,
            InvoiceExport.visma_id,
            InvoiceExport.visma_document_type,
        )
        .join(models.Invoice, models.Invoice.id == InvoiceExport.invoice_id)
        .where(InvoiceExport.company_id == company_id, InvoiceExport.visma_id.is_not(None))
    )
    queries = [
        # Visma writes uuids in lower case, and so do we; `func.lower` keeps a mixed-case one matching anyway.
        base.where(func.lower(InvoiceExport.visma_id).in_(chunk))
        for chunk in _chunks(sorted(ids))
    ] + [
        base.where(
            InvoiceExport.visma_document_type.in_(VERIFIKATION_DOCUMENTS), models.Invoice.number.in_(number_chunk)
        )
        for number_chunk in _chunks(sorted(numbers))
    ]
    seen: set[int] = set()
    for query in queries:
        for invoice_id, number, to_pay, credits_invoice_id, visma_id, document_type in session.execute(query):
            if invoice_id not in seen and visma_id is not None:
                seen.add(invoice_id)
                yield _ExportRow(invoice_id, number, to_pay, credits_invoice_id, visma_id, document_type)


def _lock_invoices(session: Session, invoice_ids: list[int]) -> None:
    """Lock the page's invoices before their payments are summed, as `register_payment` locks its invoice: a
    payment registered by hand meanwhile waits for this page (PostgreSQL; SQLite serialises writers anyway)."""
    for chunk in _chunks(sorted(invoice_ids)):
        session.execute(
            select(models.Invoice.id).where(models.Invoice.id.in_(chunk)).with_for_update(of=models.Invoice)
        )


def _payment_sums(
    session: Session, invoice_ids: list[int]
) -> tuple[dict[int, Decimal], dict[int, Decimal], dict[int, int]]:
    manual: dict[int, Decimal] = {}
    from_visma: dict[int, Decimal] = {}
    count: dict[int, int] = {}
    for chunk in _chunks(invoice_ids):
        payments = session.execute(
            select(models.Payment.invoice_id, models.Payment.amount, models.Payment.source).where(
                models.Payment.invoice_id.in_(chunk)
            )
        ).tuples()
        for invoice_id, amount, source in payments:
            if source == VISMA_SOURCE:
                from_visma[invoice_id] = from_visma.get(invoice_id, ZERO) + amount
                count[invoice_id] = count.get(invoice_id, 0) + 1
            else:
                manual[invoice_id] = manual.get(invoice_id, ZERO) + amount
    return manual, from_visma, count


def _credited(session: Session, invoice_ids: list[int]) -> dict[int, Decimal]:
    """What approved credit invoices take off each invoice (positive), as `settlement.credited_amount` counts."""
    credited: dict[int, Decimal] = {}
    for chunk in _chunks(invoice_ids):
        rows = session.execute(
            select(models.Invoice.credits_invoice_id, models.Invoice.to_pay).where(
                models.Invoice.credits_invoice_id.in_(chunk),
                models.Invoice.status != InvoiceStatus.DRAFT.value,
            )
        ).tuples()
        for original_id, to_pay in rows:
            if original_id is not None and to_pay is not None:
                credited[original_id] = credited.get(original_id, ZERO) - to_pay
    return credited


def _known_deviations(
    session: Session, company_id: int, receivables: Iterable[VismaReceivable]
) -> list[KnownDeviation]:
    ids = sorted({receivable.visma_id for receivable in receivables})
    known: list[KnownDeviation] = []
    for chunk in _chunks(ids):
        rows = session.scalars(
            select(PaymentImportDeviation).where(
                PaymentImportDeviation.company_id == company_id, PaymentImportDeviation.visma_id.in_(chunk)
            )
        )
        known.extend(KnownDeviation(DeviationKind(row.kind), row.visma_id, row.amount) for row in rows)
    return known


def _chunks(values: list[T], size: int = 500) -> Iterator[list[T]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _aware(moment: datetime) -> datetime:
    # SQLite hands back naive datetimes; everything we store is UTC.
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment
