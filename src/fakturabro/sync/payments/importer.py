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

from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, Protocol

import structlog

from fakturabro.domain.errors import Conflict
from fakturabro.domain.husavdrag import rate_change_notice
from fakturabro.domain.invoice import InvoiceContent, InvoiceStatus
from fakturabro.domain.money import ZERO
from fakturabro.domain.swedish_format import plural
from fakturabro.husavdrag.state import VismaClaimRead, record_visma_states
from fakturabro.invoicing.content import stored_content
from fakturabro.invoicing.settlement import settle
from fakturabro.store import models
from fakturabro.store.database import ConstraintViolated, Database
from fakturabro.store.payment_repository import ExportedRow, ImportRow, PaymentImportRepository, PaymentRow
from fakturabro.store.payment_sync_models import (
    PaymentImportCursor,
    PaymentImportDeviation,
    PaymentImportDocument,
    PaymentImportLease,
    PaymentImportRun,
)
from fakturabro.store.repositories import CreditRow
from fakturabro.sync.payments.plan import (
    VERIFIKATION_MODE,
    Action,
    DeviationKind,
    DocumentKind,
    ExportedInvoice,
    FlagHusavdragAtPayment,
    FlagNumberMismatch,
    KnownDeviation,
    RecordRounding,
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

DEFAULT_OVERLAP = timedelta(minutes=5)
LEASE = timedelta(minutes=15)
VISMA_SOURCE = "visma"
ROUNDING_SOURCE = "rounding"  # an öre difference Visma settled (plan.RecordRounding), not money paid
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
        paid = plural(self.paid, "faktura betald", "fakturor betalda")
        partly = plural(self.partially_paid, "delbetald", "delbetalda")
        return f"{paid}, {partly}, {plural(self.deviations, 'ny avvikelse', 'nya avvikelser')}"

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
class PageOutcome:
    """What applying one page did: invoices now paid or partially paid, and counts."""

    paid: set[int] = field(default_factory=set)
    partially_paid: set[int] = field(default_factory=set)
    deviations: int = 0
    registered: int = 0
    reversed: int = 0
    claim_reads: list[VismaClaimRead] = field(default_factory=list)  # Visma's husavdrag claim states in the page


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
    except ConstraintViolated:  # two first-ever runs inserted the company's lease row at once: the other one won
        raise ImportAlreadyRunning() from None


def _take_lease(db: Database, company_id: int, trigger: str) -> int:
    now = db.clock()
    with db.transaction() as session:
        imports = PaymentImportRepository(session, company_id)
        lease = imports.lease(lock=True)
        if lease is None:
            lease = PaymentImportLease(company_id=company_id)
            imports.add(lease)
        elif lease.run_id is not None and lease.expires_at is not None and _aware(lease.expires_at) > now:
            raise ImportAlreadyRunning()
        run = PaymentImportRun(company_id=company_id, trigger=trigger, status="running", started_at=now)
        imports.add(run)
        lease.run_id, lease.expires_at = run.id, now + LEASE
        return run.id


def _finish(db: Database, company_id: int, result: ImportResult, *, error: str | None) -> None:
    with db.transaction() as session:
        imports = PaymentImportRepository(session, company_id)
        run = imports.run(result.run_id)
        run.status = "failed" if error else "succeeded"
        run.error = error
        run.finished_at = db.clock()
        run.paid, run.partially_paid, run.api_calls = result.paid, result.partially_paid, result.api_calls
        lease = imports.lease(lock=True)
        if lease is not None and lease.run_id == result.run_id:
            lease.run_id, lease.expires_at = None, None


def _has_verifikation_exports(db: Database, company_id: int) -> bool:
    with db.transaction() as session:
        return PaymentImportRepository(session, company_id).has_exports_of_type(VERIFIKATION_DOCUMENTS)


# --- the cursor ---------------------------------------------------------------------------------------------


def _read_from(db: Database, company_id: int, source: DocumentKind) -> datetime | None:
    with db.transaction() as session:
        cursor = PaymentImportRepository(session, company_id).cursor(source.value)
        if cursor is None or cursor.cursor_utc is None:
            return None
        return _aware(cursor.cursor_utc) - timedelta(seconds=cursor.overlap_seconds)


def _lock_cursor(
    pages: PageRepository, clock: Callable[[], datetime], source: DocumentKind, overlap: timedelta
) -> PaymentImportCursor:
    cursor = pages.cursor(source.value, lock=True)
    if cursor is None:
        cursor = PaymentImportCursor(
            company_id=pages.company_id,
            source=source.value,
            overlap_seconds=int(overlap.total_seconds()),
            updated_at=clock(),
        )
        pages.add(cursor)
    return cursor


# --- applying one page --------------------------------------------------------------------------------------


class PageRepository(Protocol):
    """What applying one page needs from storage, inside the page's transaction (`PaymentImportRepository`)."""

    @property
    def company_id(self) -> int: ...

    def lease(self, *, lock: bool = False) -> PaymentImportLease | None: ...

    def run(self, run_id: int) -> PaymentImportRun: ...

    def cursor(self, source: str, *, lock: bool = False) -> PaymentImportCursor | None: ...

    def add(self, row: ImportRow) -> None: ...

    def exported(
        self, visma_ids: Collection[str], numbers: Collection[int], numbered_types: Collection[str]
    ) -> list[ExportedRow]: ...

    def lock_invoices(self, invoice_ids: Collection[int]) -> None: ...

    def husavdrag_invoices(self, invoice_ids: Collection[int]) -> list[models.Invoice]: ...

    def payments_of(self, invoice_ids: Collection[int]) -> list[PaymentRow]: ...

    def approved_credits_of(self, invoice_ids: Collection[int]) -> list[CreditRow]: ...

    def documents_of_invoices(self, invoice_ids: Collection[int]) -> list[PaymentImportDocument]: ...

    def documents(self, visma_ids: Collection[str]) -> dict[str, PaymentImportDocument]: ...

    def deviations_of(self, visma_ids: Collection[str]) -> list[PaymentImportDeviation]: ...

    def deviation(self, kind: str, visma_id: str) -> PaymentImportDeviation | None: ...

    def register_payment(self, payment: models.Payment) -> str: ...


def _apply_page(
    db: Database, company_id: int, run_id: int, source: DocumentKind, page: VismaPage, overlap: timedelta
) -> PageOutcome:
    with db.transaction() as session:
        pages = PaymentImportRepository(session, company_id, settle=settle)
        outcome = apply_page(pages, db.clock, run_id, source, page, overlap)
        # The claim states come with the same page: no call of their own, committed with the page's payments.
        record_visma_states(session, company_id, outcome.claim_reads, db.clock())
        return outcome


def apply_page(
    pages: PageRepository,
    clock: Callable[[], datetime],
    run_id: int,
    source: DocumentKind,
    page: VismaPage,
    overlap: timedelta,
) -> PageOutcome:
    """Lock the source's cursor, re-read our side, plan and register, and move the cursor: all in the caller's
    transaction, so the cursor moves only with the page it covers."""
    cursor = _lock_cursor(pages, clock, source, overlap)
    exported = _exported_invoices(pages, page.receivables)
    known = _known_deviations(pages, page.receivables)
    actions = plan(page.receivables, exported, known, today=clock().date())
    outcome = PageOutcome()
    for action in actions:
        _execute(pages, clock, run_id, action, outcome)
    _remember_documents(pages, clock, page.receivables, exported)
    outcome.claim_reads = claim_reads(page.receivables, exported)
    if page.is_last:
        cursor.cursor_utc, cursor.upper_bound_utc = page.upper_bound, None
    else:
        cursor.upper_bound_utc = page.upper_bound
    cursor.updated_at = clock()
    run = pages.run(run_id)
    run.pages += 1
    run.documents += len(page.receivables)
    run.registered += outcome.registered
    run.reversed += outcome.reversed
    run.deviations += outcome.deviations
    lease = pages.lease()
    if lease is not None and lease.run_id == run_id:
        lease.expires_at = clock() + LEASE
    return outcome


def _execute(
    pages: PageRepository, clock: Callable[[], datetime], run_id: int, action: Action, outcome: PageOutcome
) -> None:
    if isinstance(action, RegisterPayment | ReversePayment):
        signed = action.amount if isinstance(action, RegisterPayment) else -action.amount
        status = _register(pages, clock, action, signed)
        if isinstance(action, RegisterPayment):
            outcome.registered += 1
        else:
            outcome.reversed += 1
        if status is InvoiceStatus.PAID:
            outcome.paid.add(action.invoice_id)
        elif status is InvoiceStatus.PARTIALLY_PAID:
            outcome.partially_paid.add(action.invoice_id)
    elif isinstance(action, RecordRounding):
        if _register(pages, clock, action, action.amount, source=ROUNDING_SOURCE) is InvoiceStatus.PAID:
            outcome.paid.add(action.invoice_id)
            outcome.partially_paid.discard(action.invoice_id)
    elif isinstance(action, FlagNumberMismatch):
        outcome.deviations += _record_deviation(
            pages,
            clock(),
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
            pages,
            clock(),
            run_id,
            kind=DeviationKind.UNKNOWN_INVOICE,
            visma_id=action.visma_id,
            invoice_id=None,
            visma_number=action.visma_number,
            our_number=None,
            amount=action.paid,
            detail=f"Betalning i Visma på faktura {action.visma_number} som fakturabro inte känner till",
        )
    elif isinstance(action, FlagHusavdragAtPayment):
        outcome.deviations += _record_deviation(
            pages,
            clock(),
            run_id,
            kind=DeviationKind.HUSAVDRAG_AT_PAYMENT,
            visma_id=action.visma_id,
            invoice_id=action.invoice_id,
            visma_number=None,
            our_number=action.our_number,
            amount=action.check.difference,
            detail=rate_change_notice(action.our_number, action.check),
        )


def _register(
    pages: PageRepository,
    clock: Callable[[], datetime],
    action: RegisterPayment | ReversePayment | RecordRounding,
    signed: Decimal,
    source: str = VISMA_SOURCE,
) -> InvoiceStatus:
    """One payment row (negative for a reversal) and the invoice's status recomputed, in the page's transaction.

    The unique external id per company makes a second registration of the same step impossible even if two
    writers got past the locks.
    """
    payment = models.Payment(
        company_id=pages.company_id,
        invoice_id=action.invoice_id,
        amount=signed,
        payment_date=action.payment_date or clock().date(),
        source=source,
        external_id=action.external_id,
        created_at=clock(),
    )
    return InvoiceStatus(pages.register_payment(payment))


def _record_deviation(
    pages: PageRepository,
    now: datetime,
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
    row = pages.deviation(kind.value, visma_id)
    if row is not None:
        row.amount, row.visma_invoice_number, row.updated_at = amount, visma_number, now
        return 0
    pages.add(
        PaymentImportDeviation(
            company_id=pages.company_id,
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


def _exported_invoices(pages: PageRepository, receivables: list[VismaReceivable]) -> list[ExportedInvoice]:
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
    # Only the columns the planner needs (an `Invoice` entity would load its rows and customer too).
    rows = pages.exported(ids, numbers, VERIFIKATION_DOCUMENTS)
    invoice_ids = [row.invoice_id for row in rows]
    # Lock the page's invoices before their payments are summed, as `register_payment` locks its invoice: a
    # payment registered by hand meanwhile waits for this page (PostgreSQL; SQLite serialises writers anyway).
    pages.lock_invoices(invoice_ids)
    manual, from_visma, count = _payment_sums(pages.payments_of(invoice_ids))
    credited = _credited(pages.approved_credits_of(invoice_ids))
    husavdrag = _husavdrag_contents(pages, invoice_ids)
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
            husavdrag=husavdrag.get(row.invoice_id),
        )
        for row in rows
    ]
    settled = _credit_settled_in_visma(pages, receivables, exported)
    return [replace(ours, credit_settled_in_visma=settled.get(ours.invoice_id, ZERO)) for ours in exported]


def _husavdrag_contents(pages: PageRepository, invoice_ids: Collection[int]) -> dict[int, InvoiceContent]:
    """The content of the invoices with husavdrag (personnummer stay encrypted: only the shares are used)."""
    return {invoice.id: stored_content(invoice) for invoice in pages.husavdrag_invoices(invoice_ids)}


def _credit_settled_in_visma(
    pages: PageRepository, receivables: list[VismaReceivable], exported: list[ExportedInvoice]
) -> dict[int, Decimal]:
    """Original invoice id → the settled part of its credit invoices' Visma documents: as this page shows them,
    else as the import last saw them."""
    originals = [ours.invoice_id for ours in exported if not ours.is_credit]
    original_of = {credit.id: credit.original_id for credit in pages.approved_credits_of(originals)}
    if not original_of:
        return {}
    documents: dict[str, tuple[int, Decimal]] = {}  # Visma id → (our credit invoice, settled part)
    for row in pages.documents_of_invoices(original_of):
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
    pages: PageRepository,
    clock: Callable[[], datetime],
    receivables: list[VismaReceivable],
    exported: list[ExportedInvoice],
) -> None:
    """Keep the last state of each of our documents in this page (see `PaymentImportDocument`)."""
    ours_by_document = match(receivables, exported)
    existing = pages.documents(ours_by_document)
    for receivable in receivables:
        ours = ours_by_document.get(receivable.visma_id)
        if ours is None:
            continue
        row = existing.get(receivable.visma_id)
        if row is None:
            row = PaymentImportDocument(company_id=pages.company_id, visma_id=receivable.visma_id)
            pages.add(row)
        row.invoice_id, row.kind, row.is_credit = ours.invoice_id, receivable.kind.value, receivable.is_credit
        row.visma_invoice_number = receivable.invoice_number
        row.to_pay, row.remaining, row.seen_at = receivable.to_pay, receivable.remaining, clock()


def claim_reads(receivables: list[VismaReceivable], exported: list[ExportedInvoice]) -> list[VismaClaimRead]:
    """Visma's husavdrag claim state of our exported invoices among ``receivables`` (credit invoices have none)."""
    ours_by_document = match(receivables, exported)
    reads = []
    for receivable in receivables:
        ours = ours_by_document.get(receivable.visma_id)
        if ours is None or ours.is_credit or receivable.claim_state is None or receivable.claim_status is None:
            continue
        reads.append(
            VismaClaimRead(ours.invoice_id, receivable.claim_state, receivable.claim_status, receivable.reduction)
        )
    return reads


def _payment_sums(payments: list[PaymentRow]) -> tuple[dict[int, Decimal], dict[int, Decimal], dict[int, int]]:
    manual: dict[int, Decimal] = {}
    from_visma: dict[int, Decimal] = {}
    count: dict[int, int] = {}
    for payment in payments:
        invoice_id, amount = payment.invoice_id, payment.amount
        if payment.source == VISMA_SOURCE:
            from_visma[invoice_id] = from_visma.get(invoice_id, ZERO) + amount
            count[invoice_id] = count.get(invoice_id, 0) + 1
        else:
            manual[invoice_id] = manual.get(invoice_id, ZERO) + amount
    return manual, from_visma, count


def _credited(credits: list[CreditRow]) -> dict[int, Decimal]:
    """What approved credit invoices take off each invoice (positive), as `settlement.credited_amount` counts."""
    credited: dict[int, Decimal] = {}
    for credit in credits:
        if credit.to_pay is not None:
            credited[credit.original_id] = credited.get(credit.original_id, ZERO) - credit.to_pay
    return credited


def _known_deviations(pages: PageRepository, receivables: Iterable[VismaReceivable]) -> list[KnownDeviation]:
    rows = pages.deviations_of({receivable.visma_id for receivable in receivables})
    return [KnownDeviation(DeviationKind(row.kind), row.visma_id, row.amount) for row in rows]


def _aware(moment: datetime) -> datetime:
    # SQLite hands back naive datetimes; everything we store is UTC.
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment
