"""The steps of one invoice's export, as plain functions of `ExportDeps` (the DBOS workflow calls them as steps).

Each step is safe to run again after a crash or an error at any point:

- customer: found by customer number before it is created, so a create whose answer was lost is found next time;
- articles: the same for the fallback articles, by article number;
- document: "in flight" is committed with our marker before the POST; a step that finds a create in flight
  looks the marker up in Visma first and adopts what it finds, and creates only when nothing is there.
"""

from __future__ import annotations

import dataclasses
import json
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

import structlog
from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from fakturabro.domain.customer import CustomerKind, customer_kind
from fakturabro.domain.customer_identity import describe, numbers_contradict, same_customer
from fakturabro.domain.events import EventType
from fakturabro.domain.invoice import InvoiceContent, RowKind, compute_totals, rounding_mismatch_message
from fakturabro.invoicing.content import stored_content
from fakturabro.store import models
from fakturabro.store.company_rounding import known_company_rounding
from fakturabro.store.database import Database
from fakturabro.store.events import record_invoice_event
from fakturabro.store.export_models import (
    LINK_OFF,
    LINK_PENDING,
    LINK_REFUSED,
    InvoiceExport,
    InvoiceExportLog,
    VismaArticleCache,
    VismaCompanyCache,
    VismaCustomerLink,
)
from fakturabro.store.reconciliation_repository import article_fallbacks, resolved_customer_numbers
from fakturabro.sync.company_settings import remember_settings
from fakturabro.sync.export.planner import (
    CreateCustomer,
    ExportLane,
    RowArticles,
    RowVat,
    choose_lane,
    customer_type_mismatch,
    plan_customer,
    totals_difference,
)
from fakturabro.sync.reconciliation.facts import our_identity, visma_identity
from fakturabro.sync.reconciliation.planner import collision_message
from fakturabro.visma import mapping
from fakturabro.visma.client import VismaClient, odata_string
from fakturabro.visma.errors import (
    VismaConflict,
    VismaError,
    VismaNotFound,
    VismaUnavailable,
    VismaValidationError,
)
from fakturabro.visma.models import (
    ArticleAccountCoding,
    Customer,
    CustomerInvoice,
    CustomerInvoiceDraft,
    CustomerLedgerItem,
    PartnerResourceLink,
)

log = structlog.get_logger("fakturabro.sync.export")

ARTICLE_CURSOR_OVERLAP = timedelta(minutes=5)
LINK_IN_FLIGHT = LINK_PENDING  # in `visma_link_id` while the link's POST may have landed unseen


class ExportState:
    WAITING = "waiting"
    EXPORTING = "exporting"
    EXPORTED = "exported"
    FAILED = "failed"
    NEEDS_RECONNECT = "needs_reconnect"
    NEEDS_ATTENTION = "needs_attention"  # the customer in Visma contradicts ours: waits for the user's resolution


DRAFT_MODE = "draft"
VOUCHER_MODE = "voucher"
INVOICE_DOCUMENT = "invoice"  # our draft, found already converted to a booked invoice in Visma (see _find_by_marker)


@dataclass
class ExportDeps:
    """What an export needs from outside: storage, a Visma client per company and the company's export mode."""

    db: Database
    client_for: Callable[[int], VismaClient]
    mode_for: Callable[[int], str]
    connected: Callable[[int], bool] = lambda _company_id: True
    public_url: str = "http://127.0.0.1:8000"
    fallback_name: str = "fakturabro"
    house_work_fallback_name: str = "fakturabro ROT/RUT"
    article_refresh_seconds: float = 60.0
    link_back: bool = True
    # A create whose answer was lost is looked up by its marker; only after this long (more than the client's
    # read timeout) does "not found" mean "never landed", since Visma may still be committing a slow request.
    in_flight_grace_seconds: float = 90.0
    max_attempts: int = 8
    backoff_base_seconds: float = 1.0
    backoff_cap_seconds: float = 60.0
    accounts: mapping.LedgerAccounts = field(default_factory=mapping.LedgerAccounts)
    # How often an export reads the customers Visma changed, to re-check linked ones against ours.
    customer_recheck_seconds: float = 60.0
    # How long the company's öresavrundning as last read is trusted before an export reads it again.
    settings_max_age_seconds: float = 600.0


# --- reading the invoice ------------------------------------------------------------------------------------


def load_invoice(db: Database, company_id: int, invoice_id: int) -> mapping.InvoiceToExport:
    with db.transaction() as session:
        return loaded_invoice(session, db, company_id, invoice_id)


def loaded_invoice(session: Session, db: Database, company_id: int, invoice_id: int) -> mapping.InvoiceToExport:
    """The invoice as the mapping sends it (personnummer decrypted), read in ``session``."""
    invoice = invoice_in(session, company_id, invoice_id)
    content = stored_content(invoice, db.cipher.decrypt)
    credits_number = None
    if invoice.credits_invoice_id is not None:
        original = session.get(models.Invoice, invoice.credits_invoice_id)
        assert original is not None
        credits_number = original.number
        content = _replace_date(content, original.invoice_date)
    assert invoice.number is not None, "only approved invoices are exported"
    return mapping.InvoiceToExport(
        invoice_id=invoice.id,
        number=invoice.number,
        invoice_date=invoice.invoice_date,
        content=content,
        totals=compute_totals(content),
        due_date=invoice.due_date,
        customer=_customer(invoice.customer),
        your_reference=invoice.your_reference,
        our_reference=invoice.our_reference,
        credits_number=credits_number,
    )


def _replace_date(content: InvoiceContent, day: date) -> InvoiceContent:
    return dataclasses.replace(content, invoice_date=day)


def invoice_in(session: Session, company_id: int, invoice_id: int) -> models.Invoice:
    invoice = session.get(models.Invoice, invoice_id)
    if invoice is None or invoice.company_id != company_id:
        raise LookupError(f"invoice {invoice_id} of company {company_id} does not exist")
    return invoice


def _customer(customer: models.Customer) -> mapping.CustomerToExport:
    return mapping.CustomerToExport(
        number=customer.customer_number,
        name=customer.name,
        kind=customer_kind(customer.org_number),
        org_number=customer.org_number,
        vat_number=customer.vat_number,
        reverse_charge=customer.reverse_charge,
        address_line1=customer.address_line1,
        address_line2=customer.address_line2,
        postal_code=customer.postal_code,
        city=customer.city,
        country_code=customer.country_code or "SE",
        email=customer.email,
        phone=customer.phone,
        einvoice_address=customer.einvoice_address,
    )


# --- export state ---------------------------------------------------------------------------------------------


def export_row(session: Session, invoice_id: int) -> InvoiceExport | None:
    return session.get(InvoiceExport, invoice_id)


def ensure_export_row(session: Session, company_id: int, invoice_id: int, now: datetime) -> InvoiceExport:
    """The invoice's export row, locked. Two processes may start the same never-exported invoice at once (a worker's
    pick-up and `export pending`): ``FOR UPDATE`` locks no missing row, so the insert yields to a concurrent one
    (no unique violation) and both then read the one row under its lock."""
    row = session.get(InvoiceExport, invoice_id, with_for_update=True)
    if row is not None:
        return row
    values = {
        "invoice_id": invoice_id,
        "company_id": company_id,
        "state": ExportState.WAITING,
        "generation": 1,
        "attempts": 0,
        "updated_at": now,
    }
    session.execute(_insert_unless_present(session).values(**values).on_conflict_do_nothing())
    row = session.get(InvoiceExport, invoice_id, with_for_update=True, populate_existing=True)
    assert row is not None  # inserted just now, or by the concurrent transaction we waited for
    return row


def _insert_unless_present(session: Session) -> postgresql.Insert | sqlite.Insert:
    if session.get_bind().dialect.name == "postgresql":
        return postgresql.insert(InvoiceExport)
    return sqlite.insert(InvoiceExport)


@dataclass(frozen=True)
class Begun:
    proceed: bool
    mode: str
    attempts: int


def begin_attempt(deps: ExportDeps, company_id: int, invoice_id: int, generation: int) -> Begun:
    """Mark the invoice as exporting for this workflow generation; a stale or finished generation stops."""
    mode = deps.mode_for(company_id)
    with deps.db.transaction() as session:
        return begin_in(session, deps, company_id, invoice_id, generation, mode, counts=True)


def begin_in(
    session: Session, deps: ExportDeps, company_id: int, invoice_id: int, generation: int, mode: str, *, counts: bool
) -> Begun:
    """`begin_attempt` in ``session``, with the company's current export ``mode``; an export handed over to another
    lane goes on with the same attempt there (``counts`` False)."""
    row = ensure_export_row(session, company_id, invoice_id, deps.db.clock())
    if row.generation != generation or row.state == ExportState.EXPORTED:
        return Begun(False, row.mode or mode, row.attempts)
    row.state = ExportState.EXPORTING
    row.mode = row.mode if row.visma_id else mode
    row.attempts += 1 if counts else 0
    row.updated_at = deps.db.clock()
    return Begun(True, row.mode or mode, row.attempts)


def record(
    deps: ExportDeps,
    invoice_id: int,
    *,
    state: str,
    step: str,
    outcome: str,
    message: str | None = None,
    error_id: str | None = None,
    http_status: int | None = None,
) -> None:
    """Set the export state and write the log row of this attempt, in one transaction."""
    with deps.db.transaction() as session:
        row = session.get(InvoiceExport, invoice_id)
        assert row is not None
        entered = row.state != state
        row.state = state
        row.error = message if state != ExportState.EXPORTED else row.error
        row.error_id = error_id
        row.updated_at = deps.db.clock()
        session.add(_log_entry(deps, row, step, outcome, message, error_id, http_status))
        if entered and state in STATE_EVENTS:
            # Only on entering the state: a step that runs again after a crash must not record it twice.
            _record_export_event(session, deps, invoice_id, STATE_EVENTS[state], message, error_id)


STATE_EVENTS = {
    ExportState.FAILED: EventType.INVOICE_EXPORT_FAILED,
    ExportState.NEEDS_ATTENTION: EventType.INVOICE_NEEDS_ATTENTION,
}


def _record_export_event(
    session: Session,
    deps: ExportDeps,
    invoice_id: int,
    event_type: EventType,
    message: str | None = None,
    error_id: str | None = None,
    **extra: Any,
) -> None:
    invoice = session.get(models.Invoice, invoice_id)
    assert invoice is not None
    export = {"message": message, "error_id": error_id, **extra}
    record_invoice_event(session, invoice, event_type, deps.db.clock(), export=export)


def _log_entry(
    deps: ExportDeps,
    row: InvoiceExport,
    step: str,
    outcome: str,
    message: str | None,
    error_id: str | None = None,
    http_status: int | None = None,
) -> InvoiceExportLog:
    """One line of the export log, for the attempt and generation the export row is at."""
    return InvoiceExportLog(
        invoice_id=row.invoice_id,
        company_id=row.company_id,
        generation=row.generation,
        attempt=row.attempts,
        step=step,
        outcome=outcome,
        message=message,
        error_id=error_id,
        http_status=http_status,
        at=deps.db.clock(),
    )


# --- customer -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ResolvedCustomer:
    visma_id: str
    is_private_person: bool
    type_mismatch: str | None


class CreateNeeded(Exception):  # noqa: N818 - a hand-over, not a failure
    """An export would have to create something in Visma that its lane does not serialise (see `ExportLane`). It
    creates nothing; the workflow hands it to the lane that does. Only a message argument, so DBOS can pickle it
    into the step's record. (Recorded before the two kinds below, it meant the company's serial lane.)"""


class CustomerToCreate(CreateNeeded):
    """The invoice's customer is not linked: only the customer's lane may look it up and create it."""


class ArticlesToCreate(CreateNeeded):
    """A fallback article the rows need is not cached: only the company's serial lane may create it."""


class NeedsAttention(Exception):  # noqa: N818 - a state the user resolves, not a failure
    """The Visma customer the export would book on contradicts ours (another identity under our number, or a
    linked customer Visma changed since). The invoice stops as ``needs_attention`` with this Swedish message
    (identity numbers masked); the company's other invoices go on. Only a message argument, so DBOS can pickle it."""


RESOLVE_HINT = "Lös det under Inställningar → Visma → Avstämning (/settings/integrations/visma/reconciliation)."


def resolve_customer(
    deps: ExportDeps, company_id: int, invoice_id: int, *, may_create: bool = True
) -> ResolvedCustomer:
    """The Visma customer of the invoice's customer: linked before (no call), found by number, or created.

    A customer found by number is used only when its identity agrees with ours (`same_customer`); a link is used
    unless Visma changed the linked customer into someone else since (`recheck_linked_customers`). Either
    contradiction raises `NeedsAttention`: nothing is booked on a customer that may be another person.

    Without ``may_create`` (any lane but the customer's) only the link is used: an unlinked customer raises
    `CustomerToCreate` before any call, so the lookup, the create and the new link row happen in the customer's
    lane alone."""
    with deps.db.transaction() as session:
        customer = invoice_in(session, company_id, invoice_id).customer
        customer_id = customer.id
        linked = session.get(VismaCustomerLink, (company_id, customer_id)) is not None
    if linked:
        recheck_linked_customers(deps, company_id)
        with deps.db.transaction() as session:
            link = session.get(VismaCustomerLink, (company_id, customer_id))
            if link is not None:  # the steady state: at most the throttled re-check above
                if link.contradiction:
                    raise NeedsAttention(f"{link.contradiction} {RESOLVE_HINT}")
                ours = _customer(link_customer(session, customer_id))
                mismatch = customer_type_mismatch(ours.number, ours.kind, link.is_private_person)
                return ResolvedCustomer(link.visma_customer_id, link.is_private_person, mismatch)
    if not may_create:
        raise CustomerToCreate(f"customer {customer_id} of company {company_id} is not linked to Visma")
    ours = load_invoice(deps.db, company_id, invoice_id).customer
    client = deps.client_for(company_id)
    found = client.find_customer_by_number(ours.number)
    if found is not None:
        _check_identity(deps, customer_id, found)
    action = plan_customer(
        ours.number,
        ours.kind,
        str(found.id) if found and found.id else None,
        found.is_private_person if found else None,
    )
    if isinstance(action, CreateCustomer):
        terms = _company_cache(deps, company_id, client).terms_of_payment_id
        assert terms is not None
        try:
            created = client.create_customer(mapping.customer_to_visma(ours, UUID(terms)))
        except (VismaValidationError, VismaConflict):
            # Another export of the same customer may have created it a moment ago: use that one if so.
            created_meanwhile = client.find_customer_by_number(ours.number)
            if created_meanwhile is None:
                raise
            _check_identity(deps, customer_id, created_meanwhile)
            created = created_meanwhile
        assert created.id is not None
        resolved = ResolvedCustomer(
            str(created.id),
            created.is_private_person,
            customer_type_mismatch(ours.number, ours.kind, created.is_private_person),
        )
    else:
        resolved = ResolvedCustomer(action.visma_id, action.is_private_person, action.type_mismatch)
    with deps.db.transaction() as session:
        if session.get(VismaCustomerLink, (company_id, customer_id)) is None:
            session.add(
                VismaCustomerLink(
                    company_id=company_id,
                    customer_id=customer_id,
                    visma_customer_id=resolved.visma_id,
                    is_private_person=resolved.is_private_person,
                    linked_at=deps.db.clock(),
                )
            )
    return resolved


def link_customer(session: Session, customer_id: int) -> models.Customer:
    customer = session.get(models.Customer, customer_id)
    assert customer is not None
    return customer


def _check_identity(deps: ExportDeps, customer_id: int, found: Customer) -> None:
    """Stop unless the Visma customer found under our number is the same customer as ours."""
    with deps.db.transaction() as session:
        ours = our_identity(link_customer(session, customer_id), deps.db.cipher.decrypt)
    theirs = visma_identity(found)
    if not same_customer(ours, theirs):
        log.warning("export.customer_contradicts", customer_number=ours.number, visma_id=str(found.id))
        raise NeedsAttention(f"{collision_message(ours, theirs)} {RESOLVE_HINT}")


def recheck_linked_customers(deps: ExportDeps, company_id: int) -> None:
    """Compare the linked customers Visma changed since the company's cursor with ours again, at most every
    ``customer_recheck_seconds``; a link whose Visma customer now contradicts ours gets the contradiction's message
    (the export then stops on it). The first time, every customer is read: links made before this check existed
    were made by number alone. Visma's clock at the start of the listing becomes the cursor (minus an overlap)."""
    now = deps.db.clock()
    with deps.db.transaction() as session:
        cache = session.get(VismaCompanyCache, company_id)
        cursor = cache.customers_cursor if cache else None
        checked = cache.customers_checked_at if cache else None
    if checked is not None and aware(now) - aware(checked) < timedelta(seconds=deps.customer_recheck_seconds):
        return
    client = deps.client_for(company_id)
    since = aware(cursor) - ARTICLE_CURSOR_OVERLAP if cursor else None
    server_time: datetime | None = None
    for page in client.customer_pages(changed_since=since):
        server_time = server_time or page.meta.server_time_utc
        _recheck_page(deps, company_id, page.items)
    with deps.db.transaction() as session:
        cache = _locked_company_cache(session, company_id)
        cache.customers_cursor = server_time or cache.customers_cursor
        cache.customers_checked_at = now


def _recheck_page(deps: ExportDeps, company_id: int, changed: Sequence[Customer]) -> None:
    by_id = {str(customer.id): customer for customer in changed if customer.id is not None}
    if not by_id:
        return
    with deps.db.transaction() as session:
        links = session.scalars(
            select(VismaCustomerLink).where(
                VismaCustomerLink.company_id == company_id, VismaCustomerLink.visma_customer_id.in_(sorted(by_id))
            )
        ).all()
        confirmed = resolved_customer_numbers(session, company_id)
        for link in links:
            ours = our_identity(link_customer(session, link.customer_id), deps.db.cipher.decrypt)
            theirs = visma_identity(by_id[link.visma_customer_id])
            link.is_private_person = theirs.kind is CustomerKind.PRIVATE
            if ours.number in confirmed:
                contradicts = numbers_contradict(ours, theirs)  # the user said these are the same customer
            else:
                contradicts = not same_customer(ours, theirs)
            if contradicts and not link.contradiction:
                log.warning(
                    "export.linked_customer_changed", customer_number=ours.number, visma_id=link.visma_customer_id
                )
                link.contradiction = (
                    f"Kunden {ours.number} är kopplad till Vismas kund {theirs.number}, som har ändrats i Visma och "
                    f"inte längre stämmer: {describe(theirs)} där, {describe(ours)} här. Fakturor till kunden "
                    "exporteras inte förrän du har valt vad som gäller."
                )


# --- company reference data and articles ------------------------------------------------------------------------


@dataclass(frozen=True)
class CompanyReference:
    terms_of_payment_id: str | None
    unit_id: str | None
    codings: list[ArticleAccountCoding]


def _company_cache(deps: ExportDeps, company_id: int, client: VismaClient) -> CompanyReference:
    """Terms of payment, a unit and the article codings: read from Visma once per company, then from our table.

    A company's first exports run side by side (one per new customer), so the read is made under a lock per
    company in this process: the others wait for it and take it from the table instead of reading it again."""
    cached = _cached_company_reference(deps, company_id)
    if cached is not None:
        return cached
    with _company_reference_lock(company_id):
        return _cached_company_reference(deps, company_id) or _read_company_reference(deps, company_id, client)


def _cached_company_reference(deps: ExportDeps, company_id: int) -> CompanyReference | None:
    with deps.db.transaction() as session:
        cache = session.get(VismaCompanyCache, company_id)
        if cache is not None and cache.refreshed_at is not None and cache.codings:
            return CompanyReference(cache.terms_of_payment_id, cache.unit_id, cached_codings(cache.codings))
    return None


_company_reference_locks: dict[int, threading.Lock] = {}
_company_reference_locks_guard = threading.Lock()


def _company_reference_lock(company_id: int) -> threading.Lock:
    with _company_reference_locks_guard:
        return _company_reference_locks.setdefault(company_id, threading.Lock())


def _read_company_reference(deps: ExportDeps, company_id: int, client: VismaClient) -> CompanyReference:
    settings = client.get_company_settings()
    remember_settings(deps.db, company_id, settings)
    units = client.list_units()
    codings = client.list_article_account_codings()
    unit = next((u for u in units if (u.abbreviation or "").lower() == "st" or (u.code or "").upper() == "ST"), None)
    unit = unit or (units[0] if units else None)
    reference = CompanyReference(
        str(settings.terms_of_payment_id) if settings.terms_of_payment_id else None,
        str(unit.id) if unit and unit.id else None,
        codings,
    )
    with deps.db.transaction() as session:
        cache = _locked_company_cache(session, company_id)
        cache.terms_of_payment_id = reference.terms_of_payment_id
        cache.unit_id = reference.unit_id
        cache.codings = json.dumps([c.model_dump(mode="json", by_alias=True) for c in codings])
        cache.refreshed_at = deps.db.clock()
    return reference


def _locked_company_cache(session: Session, company_id: int) -> VismaCompanyCache:
    """The company's cache row, created when missing and locked until the transaction ends.

    Every write to the company's caches takes it first, so exports of one company running at once (the lanes,
    several workers) never insert the same article number or cache row twice. PostgreSQL locks the row (``FOR
    UPDATE``); SQLite's ``BEGIN IMMEDIATE`` serialises every writer already."""
    cache = session.get(VismaCompanyCache, company_id, with_for_update=True)
    if cache is None:
        insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
        session.execute(insert(VismaCompanyCache).values(company_id=company_id).on_conflict_do_nothing())
        cache = session.get(VismaCompanyCache, company_id, with_for_update=True, populate_existing=True)
        assert cache is not None
    return cache


def cached_codings(raw: str) -> list[ArticleAccountCoding]:
    return [ArticleAccountCoding.model_validate(item) for item in json.loads(raw)]


def refresh_articles(deps: ExportDeps, company_id: int, client: VismaClient, *, force: bool = False) -> None:
    """Bring the article cache up to date: everything the first time, then only what changed since the cursor.

    The cursor is Visma's clock when the listing started, moved back by an overlap, so an article changed while
    we read is read again next time. Called at most every ``article_refresh_seconds`` per company.
    """
    now = deps.db.clock()
    with deps.db.transaction() as session:
        cache = session.get(VismaCompanyCache, company_id)
        cursor = cache.articles_cursor if cache else None
        checked = cache.articles_checked_at if cache else None
    if (
        not force
        and checked is not None
        and aware(now) - aware(checked) < timedelta(seconds=deps.article_refresh_seconds)
    ):
        return
    since = aware(cursor) - ARTICLE_CURSOR_OVERLAP if cursor else None
    listing = client.list_articles(changed_since=since)
    with deps.db.transaction() as session:
        cache = _locked_company_cache(session, company_id)
        cached = {
            row.number: row
            for row in session.scalars(select(VismaArticleCache).where(VismaArticleCache.company_id == company_id))
        }
        for article in listing.items:
            if article.id is None:
                continue
            row = cached.get(article.number)
            if row is None:
                row = VismaArticleCache(company_id=company_id, number=article.number)
                session.add(row)
                cached[article.number] = row
            row.visma_id = str(article.id)
            row.name = article.name[:200]
            row.coding_id = str(article.coding_id)
            row.is_active = article.is_active
        cache.articles_cursor = listing.server_time_utc
        cache.articles_checked_at = now


def aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _known_articles(
    deps: ExportDeps, company_id: int, codings: Sequence[ArticleAccountCoding], numbers: set[str]
) -> dict[str, mapping.VismaArticleRef]:
    with deps.db.transaction() as session:
        return known_articles_in(session, company_id, codings, numbers)


def known_articles_in(
    session: Session, company_id: int, codings: Sequence[ArticleAccountCoding], numbers: set[str]
) -> dict[str, mapping.VismaArticleRef]:
    """The cached active articles among ``numbers`` (a company may have thousands; an invoice names a few)."""
    vat_by_coding = {str(c.id): mapping.coding_vat_percent(c) for c in codings}
    service_by_coding = {str(c.id): c.type == "Service" for c in codings}
    rows = session.scalars(
        select(VismaArticleCache).where(
            VismaArticleCache.company_id == company_id,
            VismaArticleCache.is_active,
            VismaArticleCache.number.in_(sorted(numbers)),
        )
    ).all()
    return {
        row.number: mapping.VismaArticleRef(
            UUID(row.visma_id),
            row.number,
            vat_by_coding.get(row.coding_id or ""),
            service_by_coding.get(row.coding_id or "", False),
        )
        for row in rows
    }


def resolve_articles(
    deps: ExportDeps, company_id: int, invoice_id: int, *, may_create: bool = True
) -> list[str | None]:
    """The Visma article id of every row (None for text rows); fallback articles are created when missing.

    Without ``may_create`` (any lane but the company's serial one) a fallback missing from the cache raises
    `ArticlesToCreate` instead: the lookup and the create happen in the serial lane alone."""
    invoice = load_invoice(deps.db, company_id, invoice_id)
    client = deps.client_for(company_id)
    reference = _company_cache(deps, company_id, client)
    refresh_articles(deps, company_id, client)
    known = _known_articles(deps, company_id, reference.codings, article_numbers_wanted(invoice.content))
    with deps.db.transaction() as session:
        for number in article_fallbacks(session, company_id):  # the user chose the fallback over Visma's article
            known.pop(number, None)
    plan = mapping.plan_row_articles(invoice.content, known)
    for item in plan:
        if item.fallback is not None and item.fallback.number not in known:
            if not may_create:
                raise ArticlesToCreate(f"fallback article {item.fallback.number} of company {company_id} is not cached")
            known[item.fallback.number] = _ensure_fallback(deps, company_id, client, reference, item.fallback)
    return [str(known[item.article_number].id) if item.article_number else None for item in plan]


def article_numbers_wanted(content: InvoiceContent) -> set[str]:
    """Every number `mapping.plan_row_articles` may look up for these rows: their own and their fallbacks'."""
    return {number for row in _row_articles(content) for number in (row.own, row.fallback) if number}


def _row_articles(content: InvoiceContent) -> list[RowArticles]:
    husavdrag = content.husavdrag is not None
    return [
        RowArticles(row.article_number or None, mapping.fallback_article_for(row.vat_rate, husavdrag=husavdrag).number)
        for row in content.rows
        if row.kind is not RowKind.TEXT
    ]


def _ensure_fallback(
    deps: ExportDeps,
    company_id: int,
    client: VismaClient,
    reference: CompanyReference,
    fallback: mapping.FallbackArticle,
) -> mapping.VismaArticleRef:
    named = mapping.fallback_article_for(
        fallback.vat_percent,
        husavdrag=fallback.service,
        name=deps.fallback_name,
        husavdrag_name=deps.house_work_fallback_name,
    )
    article = client.find_article_by_number(named.number)
    if article is None:
        coding_id = mapping.choose_coding(reference.codings, named.vat_percent, service=named.service)
        assert reference.unit_id is not None
        try:
            article = client.create_article(mapping.fallback_to_visma(named, coding_id, UUID(reference.unit_id)))
        except (VismaValidationError, VismaConflict):
            # Created a moment ago by a concurrent export of this company: use that one if so.
            article = client.find_article_by_number(named.number)
            if article is None:
                raise
    assert article.id is not None
    with deps.db.transaction() as session:
        _locked_company_cache(session, company_id)
        existing = session.scalars(
            select(VismaArticleCache).where(
                VismaArticleCache.company_id == company_id, VismaArticleCache.number == article.number
            )
        ).first()
        if existing is None:
            session.add(
                VismaArticleCache(
                    company_id=company_id,
                    number=article.number,
                    visma_id=str(article.id),
                    name=article.name[:200],
                    coding_id=str(article.coding_id),
                    is_active=True,
                )
            )
    return mapping.VismaArticleRef(article.id, article.number, named.vat_percent, named.service)


# --- routing ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ExportRoute:
    lane: ExportLane
    customer_id: int  # the customer's lane is keyed by it


def export_lane(deps: ExportDeps, company_id: int, invoice_id: int) -> ExportRoute:
    """The lane an export starts in, from one read transaction on our tables (no Visma call): parallel when its
    customer is linked and every article its rows need is cached (`planner.choose_lane`)."""
    voucher = deps.mode_for(company_id) == VOUCHER_MODE  # verifikation sends no articles
    with deps.db.transaction() as session:
        invoice = invoice_in(session, company_id, invoice_id)
        linked = session.get(VismaCustomerLink, (company_id, invoice.customer_id)) is not None
        rows = [] if voucher else _row_articles(stored_content(invoice))  # personnummer stay encrypted
        numbers = sorted({number for row in rows for number in (row.own, row.fallback) if number})
        cached = set(
            session.scalars(
                select(VismaArticleCache.number).where(
                    VismaArticleCache.company_id == company_id,
                    VismaArticleCache.is_active,
                    VismaArticleCache.number.in_(numbers),
                )
            )
            if linked and numbers
            else ()
        )
        return ExportRoute(choose_lane(linked, rows, cached), invoice.customer_id)


def customer_of(deps: ExportDeps, company_id: int, invoice_id: int) -> int:
    """The id of the invoice's customer (fixed since its approval)."""
    with deps.db.transaction() as session:
        return invoice_in(session, company_id, invoice_id).customer_id


# --- the document ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SentDocument:
    visma_id: str
    document_type: str
    invoice_number: int | None
    totals: mapping.DocumentTotals
    row_article_ids: tuple[str | None, ...]
    adopted: bool = False


def send_document(
    deps: ExportDeps,
    company_id: int,
    invoice_id: int,
    mode: str,
    customer_id: str,
    article_ids: Sequence[str | None],
) -> SentDocument:
    """Reconcile or create the invoice's document in Visma; exactly one per invoice whatever failed before."""
    invoice = load_invoice(deps.db, company_id, invoice_id)
    client = deps.client_for(company_id)
    marker = mapping.marker_for(invoice.number)
    with deps.db.transaction() as session:
        row = session.get(InvoiceExport, invoice_id)
        assert row is not None
        known_id, document_type, in_flight_at = row.visma_id, row.visma_document_type, row.in_flight_at
    if known_id is not None:
        return _recorded_document(deps, client, invoice, mode, known_id, document_type or DRAFT_MODE)
    if in_flight_at is not None:
        found = _find_by_marker(client, mode, invoice.number, marker)
        if found is not None:
            _record_document(deps, invoice_id, found)
            return SentDocument(**{**found.__dict__, "adopted": True})
        age = (aware(deps.db.clock()) - aware(in_flight_at)).total_seconds()
        if age < deps.in_flight_grace_seconds:
            raise DocumentMayStillLand(
                f"the create of {marker} may still be committing in Visma ({age:.0f} s ago); looking again later"
            )
    if mode == DRAFT_MODE:  # Visma prices a draft itself; a verifikation books our amounts as they are
        check_rounding(deps, company_id, client, invoice)
    with deps.db.transaction() as session:
        row = session.get(InvoiceExport, invoice_id)
        assert row is not None
        mark_in_flight(row, deps, marker, customer_id)
    sent = create_in_flight(deps, client, invoice, mode, customer_id, article_ids)
    _record_document(deps, invoice_id, sent)
    return sent


def check_rounding(deps: ExportDeps, company_id: int, client: VismaClient, invoice: mapping.InvoiceToExport) -> None:
    """Stop before creating a draft Visma would total differently: the invoice was priced with another
    öresavrundning than the company has now (changed in Visma after approval, or never read before). The stored
    setting is trusted when it agrees and is recent (one read per company and ``settings_max_age_seconds``, not
    one per invoice); otherwise Visma is asked, so a setting just corrected lets the invoice through."""
    with deps.db.transaction() as session:
        if rounding_agrees_in(session, deps, company_id, invoice):
            return
    visma = remember_settings(deps.db, company_id, client.get_company_settings())
    if visma is None or visma == invoice.content.whole_krona_rounding:
        return
    raise RoundingDiffers(rounding_mismatch_message(invoice.content, visma_whole_kronor=visma))


def rounding_agrees_in(session: Session, deps: ExportDeps, company_id: int, invoice: mapping.InvoiceToExport) -> bool:
    """Whether the company's öresavrundning as last read agrees with the invoice's and is recent enough to trust
    without asking Visma (`check_rounding` asks when not)."""
    known, read_at = known_company_rounding(session, company_id)
    if read_at is None or known != invoice.content.whole_krona_rounding:
        return False
    return (aware(deps.db.clock()) - aware(read_at)).total_seconds() < deps.settings_max_age_seconds


class RoundingDiffers(mapping.MappingError):
    """The invoice was totalled with another öresavrundning than the Visma company's: the export stops as
    ``failed`` with the Swedish message, nothing is created, and "Exportera igen" after the fix sends it."""


def mark_in_flight(row: InvoiceExport, deps: ExportDeps, marker: str, customer_id: str) -> None:
    """Note the create about to be sent, with its marker (committed before the POST: see the module's docstring)."""
    row.marker = marker
    row.in_flight_at = deps.db.clock()
    row.visma_customer_id = customer_id


def create_in_flight(
    deps: ExportDeps,
    client: VismaClient,
    invoice: mapping.InvoiceToExport,
    mode: str,
    customer_id: str,
    article_ids: Sequence[str | None],
) -> SentDocument:
    """Create the document marked in flight; a create that provably never landed is unmarked again."""
    try:
        return _create(client, deps, invoice, mode, customer_id, article_ids, mapping.marker_for(invoice.number))
    except VismaError as error:
        if not error.may_have_executed:  # refused or never sent: provably nothing landed, nothing to look up
            _clear_in_flight(deps, invoice.invoice_id)
        raise


def _recorded_document(
    deps: ExportDeps, client: VismaClient, invoice: mapping.InvoiceToExport, mode: str, visma_id: str, kind: str
) -> SentDocument:
    """The document recorded by an earlier run, read back. A recorded draft the user has since converted in Visma
    (which deletes the draft) is found by our marker among the booked invoices and recorded instead. A document
    that is simply gone (deleted by the user in Visma) is forgotten and reported: never created again behind the
    user's back, but the user's "export again" then creates it anew."""
    try:
        return _read_back(client, visma_id, kind)
    except VismaNotFound:
        found = _find_by_marker(client, mode, invoice.number, mapping.marker_for(invoice.number))
        if found is None:
            _forget_document(deps, invoice.invoice_id)
            raise
    _record_document(deps, invoice.invoice_id, found)
    return found


def _forget_document(deps: ExportDeps, invoice_id: int) -> None:
    with deps.db.transaction() as session:
        row = session.get(InvoiceExport, invoice_id)
        assert row is not None
        row.visma_id = row.visma_document_type = row.visma_invoice_number = row.visma_link_id = None
        row.in_flight_at = None


def _clear_in_flight(deps: ExportDeps, invoice_id: int) -> None:
    with deps.db.transaction() as session:
        row = session.get(InvoiceExport, invoice_id)
        assert row is not None
        row.in_flight_at = None


class DocumentMayStillLand(VismaUnavailable):
    """A create in flight was not found yet but is too recent to rule out: retried (after a pause), never re-sent."""


def _create(
    client: VismaClient,
    deps: ExportDeps,
    invoice: mapping.InvoiceToExport,
    mode: str,
    customer_id: str,
    article_ids: Sequence[str | None],
    marker: str,
) -> SentDocument:
    if mode == VOUCHER_MODE:
        item = mapping.invoice_to_ledger_item(invoice, UUID(customer_id), deps.accounts)
        try:
            created = client.create_customer_ledger_item_with_voucher(item)
        except VismaConflict:
            # The number is taken: ours if an earlier create landed unseen (adopt it), else a real conflict.
            found = _find_by_marker(client, mode, invoice.number, marker)
            if found is None:
                raise
            return found
        return _ledger_sent(created)
    ids = [UUID(value) if value else None for value in article_ids]
    draft = mapping.invoice_to_draft(invoice, UUID(customer_id), ids)
    created_draft = client.create_customer_invoice_draft(draft)
    return _draft_sent(created_draft, article_ids)


def _draft_sent(draft: CustomerInvoiceDraft, article_ids: Sequence[str | None] = ()) -> SentDocument:
    assert draft.id is not None
    ids = tuple(str(row.article_id) if row.article_id else None for row in draft.rows or [] if not row.is_text_row)
    return SentDocument(str(draft.id), DRAFT_MODE, None, mapping.draft_totals(draft), ids)


def _ledger_sent(item: CustomerLedgerItem) -> SentDocument:
    assert item.id is not None
    totals = mapping.DocumentTotals(
        total=item.total_amount_invoice_currency,
        vat=item.vat_amount_invoice_currency or Decimal(0),
        rounding=item.roundings_amount_invoice_currency or Decimal(0),
        husavdrag=item.total_amount_invoice_currency - item.remaining_amount_invoice_currency,
    )
    return SentDocument(str(item.id), VOUCHER_MODE, item.invoice_number, totals, ())


def _find_by_marker(client: VismaClient, mode: str, number: int, marker: str) -> SentDocument | None:
    """The document a lost create may have made, by our marker; a draft is looked for among the booked invoices too,
    since the user may have converted it in Visma (which deletes the draft) before we looked."""
    if mode == VOUCHER_MODE:
        listing = client.list_all(
            "/customerledgeritems", CustomerLedgerItem, params={"$filter": f"InvoiceNumber eq {number}"}
        )
        item = next((i for i in listing.items if i.invoice_number == number), None)
        return _ledger_sent(item) if item is not None else None
    by_marker = f"ContractNumber eq {odata_string(marker)}"
    drafts = client.list_customer_invoice_drafts(odata_filter=by_marker)
    draft = next((d for d in drafts.items if d.contract_number == marker), None)
    if draft is not None:
        return _draft_sent(draft)
    booked = client.list_customer_invoices(odata_filter=by_marker)
    invoice = next((i for i in booked.items if i.contract_number == marker), None)
    return _invoice_sent(invoice) if invoice is not None else None


def _invoice_sent(invoice: CustomerInvoice) -> SentDocument:
    """A booked invoice converted from our draft: its id, the number Visma gave it and its totals."""
    assert invoice.id is not None
    ids = tuple(str(row.article_id) if row.article_id else None for row in invoice.rows if not row.is_text_row)
    return SentDocument(str(invoice.id), INVOICE_DOCUMENT, invoice.invoice_number, mapping.invoice_totals(invoice), ids)


def _read_back(client: VismaClient, visma_id: str, document_type: str) -> SentDocument:
    if document_type == VOUCHER_MODE:
        raw = client.request("GET", "/customerledgeritems/{item_id}", path_params={"item_id": visma_id})
        return _ledger_sent(CustomerLedgerItem.model_validate(raw))
    if document_type == INVOICE_DOCUMENT:
        return _invoice_sent(client.get_customer_invoice(UUID(visma_id)))
    return _draft_sent(client.get_customer_invoice_draft(UUID(visma_id)))


def _record_document(deps: ExportDeps, invoice_id: int, sent: SentDocument) -> None:
    with deps.db.transaction() as session:
        row = session.get(InvoiceExport, invoice_id)
        assert row is not None
        _set_document(row, sent)
        row.updated_at = deps.db.clock()


def _set_document(row: InvoiceExport, sent: SentDocument) -> None:
    row.visma_id = sent.visma_id
    row.visma_document_type = sent.document_type
    row.visma_invoice_number = sent.invoice_number


# --- link back and the check ----------------------------------------------------------------------------------


_LINK_RESOURCE_TYPES = {
    DRAFT_MODE: PartnerResourceLink.CUSTOMER_INVOICE_DRAFT,
    INVOICE_DOCUMENT: PartnerResourceLink.CUSTOMER_INVOICE,
}


def link_back(deps: ExportDeps, company_id: int, invoice_id: int) -> str | None:
    """A partner resource link from the Visma document to our invoice, once it is exported (the link workflow runs
    this after the export; see link_workflow.py). Drafts and converted invoices only: the spec's resource types
    have no ledger item. Reconciled like the document: a link in flight is looked up by resource before posting
    again. Returns the link's id, or None when there is nothing to link (or it was refused before)."""
    with deps.db.transaction() as session:
        row = session.get(InvoiceExport, invoice_id)
        assert row is not None
        resource_type = _LINK_RESOURCE_TYPES.get(row.visma_document_type or "")
        if resource_type is None or not row.visma_id or row.visma_link_id in (LINK_REFUSED, LINK_OFF):
            return None
        if row.visma_link_id not in (None, LINK_IN_FLIGHT):
            return row.visma_link_id
        visma_id, in_flight = row.visma_id, row.visma_link_id == LINK_IN_FLIGHT
        row.visma_link_id = LINK_IN_FLIGHT  # committed before the POST below, as the document's in-flight mark
        company = session.get(models.Company, company_id)
        partner_company = company.name if company else "fakturabro"
    client = deps.client_for(company_id)
    link_id = _find_link(client, visma_id) if in_flight else None
    if link_id is None:
        created = client.create_partner_resource_link(
            PartnerResourceLink(
                resource_id=UUID(visma_id),
                resource_type=resource_type,
                href=f"{deps.public_url.rstrip('/')}/invoices/{invoice_id}",
                partner_company_name=partner_company[:100],
                partner_system_name="fakturabro",
            )
        )
        link_id = str(created.id)
    record_link(deps, invoice_id, outcome="linked", link_id=link_id)
    return link_id


def _find_link(client: VismaClient, visma_id: str) -> str | None:
    listing = client.list_partner_resource_links(odata_filter=f"ResourceId eq {odata_string(visma_id)}")
    return next((str(link.id) for link in listing.items if str(link.resource_id) == visma_id), None)


def turn_link_off(deps: ExportDeps, invoice_id: int) -> None:
    """The link back is off (FAKTURABRO_VISMA_LINK_BACK=0): say so on the export, unless it was linked already."""
    with deps.db.transaction() as session:
        row = session.get(InvoiceExport, invoice_id)
        assert row is not None
        if row.visma_link_id in (None, LINK_IN_FLIGHT):
            row.visma_link_id = LINK_OFF


def record_link(
    deps: ExportDeps,
    invoice_id: int,
    *,
    outcome: str,
    message: str | None = None,
    refused: bool = False,
    link_id: str | None = None,
    error_id: str | None = None,
    http_status: int | None = None,
) -> None:
    """Log one outcome of the link back, with the link's id or refusal; the export's own state is not touched (the
    invoice stays exported)."""
    with deps.db.transaction() as session:
        row = session.get(InvoiceExport, invoice_id)
        assert row is not None
        if refused or link_id is not None:
            row.visma_link_id = LINK_REFUSED if refused else link_id
        session.add(_log_entry(deps, row, "link_back", outcome, message, error_id, http_status))


def finish(
    deps: ExportDeps, company_id: int, invoice_id: int, sent: SentDocument, customer: ResolvedCustomer
) -> str | None:
    """Compare Visma's totals with ours and mark the invoice exported; returns the difference, if any."""
    with deps.db.transaction() as session:
        invoice = loaded_invoice(session, deps.db, company_id, invoice_id)
    with deps.db.transaction() as session:
        return finish_in(session, deps, company_id, invoice, sent, customer)


def finish_in(
    session: Session,
    deps: ExportDeps,
    company_id: int,
    invoice: mapping.InvoiceToExport,
    sent: SentDocument,
    customer: ResolvedCustomer,
    *,
    link_off: bool = False,
) -> str | None:
    """`finish` in ``session``: the document recorded (again: the same values), Visma's totals compared with ours,
    the invoice marked exported with its log line and event; with ``link_off`` the link back marked off too."""
    known = _article_numbers_by_id(session, company_id, {i for i in sent.row_article_ids if i})
    priced = [row for row in invoice.content.rows if row.kind is not RowKind.TEXT]
    visma_rates = list(sent.totals.row_vat_percent) + [None] * (len(priced) - len(sent.totals.row_vat_percent))
    ids = list(sent.row_article_ids) + [None] * (len(priced) - len(sent.row_article_ids))
    rows = [
        RowVat(row.vat_rate.normalize(), rate, known.get(article_id or ""))
        for row, rate, article_id in zip(priced, visma_rates, ids, strict=False)
    ]
    difference = totals_difference(
        invoice.totals,
        sent.totals,
        type_mismatch=customer.type_mismatch,
        rows=rows,
        reverse_charge=invoice.content.reverse_charge,
    )
    warning = difference or customer.type_mismatch
    row = session.get(InvoiceExport, invoice.invoice_id)
    assert row is not None
    _set_document(row, sent)
    row.totals_difference = difference
    entered = row.state != ExportState.EXPORTED
    row.state = ExportState.EXPORTED
    row.error = warning
    row.error_id = None
    row.exported_at = row.updated_at = deps.db.clock()
    if link_off and row.visma_link_id in (None, LINK_IN_FLIGHT):
        row.visma_link_id = LINK_OFF
    session.add(_log_entry(deps, row, "finish", "exported" if difference is None else "totals_differ", warning))
    if entered:
        _record_export_event(
            session,
            deps,
            invoice.invoice_id,
            EventType.INVOICE_EXPORTED,
            warning,
            visma_id=row.visma_id,
            mode=row.mode,
            totals_difference=difference,
        )
    return difference


def _article_numbers_by_id(session: Session, company_id: int, visma_ids: set[str]) -> dict[str, str]:
    if not visma_ids:
        return {}
    rows = session.scalars(
        select(VismaArticleCache).where(
            VismaArticleCache.company_id == company_id, VismaArticleCache.visma_id.in_(sorted(visma_ids))
        )
    ).all()
    return {row.visma_id: row.number for row in rows}
