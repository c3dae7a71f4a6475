"""One invoice's export in two DBOS steps: *prepare* (the attempt begun, the connection checked, and in the steady
state the customer and the articles resolved) and *send and finish* (the document created, Visma's totals checked,
the invoice marked exported).

The seven steps of the first workflow each cost DBOS two writes and us a transaction or three; in the steady state
(customer linked, articles cached, no Visma read due) everything before the POST is one read-and-write of our
tables, and everything after it one more. What is not steady takes the very functions of `steps.py`: a customer or
articles to resolve with Visma are resolved in their own steps (the workflow runs them when `prepare` could not),
and a document recorded or in flight before is reconciled by `steps.send_document`. So every guarantee of that
module holds unchanged: a step that runs again after a crash finds what its earlier run did.

Step outputs are recorded by DBOS in its own tables, so they carry ids and amounts, never the invoice itself
(its rows may hold personnummer): `send_and_finish` reads the invoice again.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from fakturabro.domain.customer import customer_kind
from fakturabro.invoicing.content import stored_content
from fakturabro.store.export_models import InvoiceExport, VismaCompanyCache, VismaCustomerLink
from fakturabro.store.reconciliation_repository import article_fallbacks
from fakturabro.sync.export import steps
from fakturabro.sync.export.planner import customer_type_mismatch
from fakturabro.sync.export.steps import Begun, ExportDeps, ResolvedCustomer
from fakturabro.visma import mapping


@dataclass(frozen=True)
class Prepared:
    begun: Begun
    customer: ResolvedCustomer | None = None  # None: not steady, the workflow resolves in the steps of `steps.py`
    article_ids: tuple[str | None, ...] = ()


def prepare(deps: ExportDeps, company_id: int, invoice_id: int, generation: int, *, counts: bool = True) -> Prepared:
    """Begin the attempt (``counts`` False: go on with an attempt handed over from another lane), check the
    connection and resolve the customer and the articles when that needs nothing but our tables
    (`_steady_resolution`); raises when the company is not connected."""
    mode = deps.mode_for(company_id)
    with deps.db.transaction() as session:
        begun = steps.begin_in(session, deps, company_id, invoice_id, generation, mode, counts=counts)
        steady = _steady_resolution(session, deps, company_id, invoice_id, begun.mode) if begun.proceed else None
    if begun.proceed:
        deps.client_for(company_id)  # the connection: raises when the company is not connected (or must reconnect)
    return Prepared(begun, *steady) if steady is not None else Prepared(begun)


def _steady_resolution(
    session: Session, deps: ExportDeps, company_id: int, invoice_id: int, mode: str
) -> tuple[ResolvedCustomer, tuple[str | None, ...]] | None:
    """The customer and the row articles from our tables alone, when nothing needs Visma: the customer linked with
    no contradiction and its re-check not due; in draft mode the article cache fresh and holding every article the
    rows need. None otherwise (`prepare` then takes the steps of `steps.py`)."""
    invoice = steps.invoice_in(session, company_id, invoice_id)
    link = session.get(VismaCustomerLink, (company_id, invoice.customer_id))
    cache = session.get(VismaCompanyCache, company_id)
    now = deps.db.clock()
    if link is None or link.contradiction or cache is None:
        return None
    if not _fresh(cache.customers_checked_at, now, deps.customer_recheck_seconds):
        return None
    ours = invoice.customer
    mismatch = customer_type_mismatch(ours.customer_number, customer_kind(ours.org_number), link.is_private_person)
    customer = ResolvedCustomer(link.visma_customer_id, link.is_private_person, mismatch)
    if mode == steps.VOUCHER_MODE:
        return customer, ()
    if not cache.codings or cache.refreshed_at is None:
        return None
    if not _fresh(cache.articles_checked_at, now, deps.article_refresh_seconds):
        return None
    content = stored_content(invoice)  # rows only: personnummer stay encrypted
    known = steps.known_articles_in(
        session, company_id, steps.cached_codings(cache.codings), steps.article_numbers_wanted(content)
    )
    for number in article_fallbacks(session, company_id):  # the user chose the fallback over Visma's article
        known.pop(number, None)
    plan = mapping.plan_row_articles(content, known)
    if any(item.fallback is not None and item.fallback.number not in known for item in plan):
        return None
    return customer, tuple(str(known[item.article_number].id) if item.article_number else None for item in plan)


def _fresh(checked: datetime | None, now: datetime, seconds: float) -> bool:
    return checked is not None and steps.aware(now) - steps.aware(checked) < timedelta(seconds=seconds)


def send_and_finish(
    deps: ExportDeps,
    company_id: int,
    invoice_id: int,
    mode: str,
    customer: ResolvedCustomer,
    article_ids: Sequence[str | None],
) -> str | None:
    """Create the invoice's document in Visma (exactly one, as `steps.send_document`) and mark it exported
    (`steps.finish`); returns the totals difference, if any. With the link back off, that is noted too. A draft
    whose öresavrundning differs from the Visma company's raises `steps.RoundingDiffers` and creates nothing."""
    client = deps.client_for(company_id)
    with deps.db.transaction() as session:
        invoice = steps.loaded_invoice(session, deps.db, company_id, invoice_id)
        row = session.get(InvoiceExport, invoice_id)
        assert row is not None
        first_send = row.visma_id is None and row.in_flight_at is None
        # A draft is totalled by Visma with the company's öresavrundning: unless ours as last read agrees and is
        # recent, `send_document` asks Visma and stops the invoice when the two would total it differently.
        steady = first_send and (
            mode != steps.DRAFT_MODE or steps.rounding_agrees_in(session, deps, company_id, invoice)
        )
        if steady:
            steps.mark_in_flight(row, deps, mapping.marker_for(invoice.number), customer.visma_id)
    if steady:
        sent = steps.create_in_flight(deps, client, invoice, mode, customer.visma_id, article_ids)
    else:  # rounding to read, or recorded or in flight before (read back or looked up, never sent twice)
        sent = steps.send_document(deps, company_id, invoice_id, mode, customer.visma_id, article_ids)
    with deps.db.transaction() as session:
        return steps.finish_in(session, deps, company_id, invoice, sent, customer, link_off=not deps.link_back)
