"""The register operations against Visma: push and pull articles, pull and push customers.

Each is gather → plan → apply. ``preview_*`` stops after the plan. The others record a run (or take the
``run_id`` of one that failed, to resume it), re-plan against both sides as they are now (so whatever an
earlier attempt already wrote is "unchanged", also a create whose answer was lost), and apply in batches:
pulls write our register in database transactions, pushes send one call per article or customer (Visma
has no documented bulk endpoint) and record progress after every batch.

A Visma validation error for one entry is recorded on the run as that entry's problem and the rest go on;
any other error (rate limit beyond the client's retries, Visma down, no connection) stops the run as failed,
to be resumed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from fakturabro.registers import local
from fakturabro.registers.imports import Preview
from fakturabro.registers.local import Progress
from fakturabro.registers.plan import (
    Action,
    CreateArticle,
    CreateCustomer,
    Decision,
    Entry,
    RowProblem,
    UpdateArticle,
    UpdateCustomer,
    plan_articles,
    plan_customers,
)
from fakturabro.registers.records import CustomerRecord
from fakturabro.registers.runs import (
    Operation,
    RunView,
    create_run,
    get_run,
    mark_finished,
    mark_started,
    record_progress,
    run_source,
)
from fakturabro.store.database import Database
from fakturabro.sync.registers.visma_articles import (
    PUSH_UPDATABLE,
    VismaArticles,
    article_to_visma,
    article_update,
    gather_visma_articles,
)
from fakturabro.sync.registers.visma_customers import customer_to_push, customer_update, gather_visma_customers
from fakturabro.visma.client import VismaClient
from fakturabro.visma.errors import VismaConflict, VismaValidationError
from fakturabro.visma.mapping import MappingError
from fakturabro.visma.models import Customer
from fakturabro.visma.pacing import NoPacing, RatePacer

PUSH_BATCH_SIZE = 50
CUSTOMER_PUSH_IDENTITY = ("name", "org_number")  # Visma never gets the personnummer from us


class CountingPacer:
    """Counts the calls a client makes (every attempt asks the pacer first) and paces them with ``inner``."""

    def __init__(self, inner: RatePacer | None = None) -> None:
        self.inner = inner or NoPacing()
        self.calls = 0

    def acquire(self, endpoint_key: str) -> None:
        self.calls += 1
        self.inner.acquire(endpoint_key)


@dataclass(frozen=True)
class SyncOutcome:
    run: RunView
    preview: Preview
    written: int


# --- articles -------------------------------------------------------------------------------------------------


def preview_push_articles(
    db: Database, client: VismaClient, company_id: int, decisions: Mapping[str, Decision] | None = None
) -> Preview:
    return _plan_article_push(db, client, company_id, decisions)[0]


def _plan_article_push(
    db: Database, client: VismaClient, company_id: int, decisions: Mapping[str, Decision] | None
) -> tuple[Preview, VismaArticles]:
    ours = local.our_articles(db, company_id)
    visma = gather_visma_articles(client)
    entries = [Entry(record) for _, record in sorted(ours.items())]
    return Preview(plan_articles(entries, visma.records, decisions=decisions, updatable=PUSH_UPDATABLE)), visma


def push_articles(
    db: Database,
    client: VismaClient,
    company_id: int,
    *,
    run_id: int | None = None,
    decisions: Mapping[str, Decision] | None = None,
    batch_size: int = PUSH_BATCH_SIZE,
    progress: Progress | None = None,
    counter: CountingPacer | None = None,
) -> SyncOutcome:
    """Create and update our articles in Visma; conflicts wait for a decision."""
    run_id, decisions = _run(db, company_id, Operation.ARTICLES_PUSH, run_id, decisions)
    preview, visma = _plan_article_push(db, client, company_id, decisions)

    def send(action: Action) -> None:
        if isinstance(action, CreateArticle):
            client.create_article(article_to_visma(action.record, visma.codings, visma.units))
        elif isinstance(action, UpdateArticle):
            current = visma.by_number[action.record.number][0]
            assert current.id is not None  # Visma always answers with the id
            client.update_article(current.id, article_update(current, action.record, visma.codings, visma.units))

    return _apply_remote(db, company_id, run_id, preview, send, batch_size, progress, counter)


def preview_pull_articles(
    db: Database, client: VismaClient, company_id: int, decisions: Mapping[str, Decision] | None = None
) -> Preview:
    visma = gather_visma_articles(client)
    entries = [Entry(record) for _, record in sorted(visma.records.items())]
    plan = plan_articles(entries, local.our_articles(db, company_id), decisions=decisions, problems=visma.problems)
    return Preview(plan)


def pull_articles(
    db: Database,
    client: VismaClient,
    company_id: int,
    *,
    run_id: int | None = None,
    decisions: Mapping[str, Decision] | None = None,
    batch_size: int = local.DEFAULT_BATCH_SIZE,
    progress: Progress | None = None,
) -> SyncOutcome:
    """Import Visma's articles into our register."""
    run_id, decisions = _run(db, company_id, Operation.ARTICLES_PULL, run_id, decisions)
    preview = preview_pull_articles(db, client, company_id, decisions)
    return _apply_local(db, company_id, run_id, preview, batch_size, progress)


# --- customers ------------------------------------------------------------------------------------------------


def preview_pull_customers(
    db: Database, client: VismaClient, company_id: int, decisions: Mapping[str, Decision] | None = None
) -> Preview:
    found, problems = gather_visma_customers(client)
    entries = [Entry(record) for _, (_, record) in sorted(found.items())]
    plan = plan_customers(entries, local.our_customers(db, company_id), decisions=decisions, problems=problems)
    return Preview(plan)


def pull_customers(
    db: Database,
    client: VismaClient,
    company_id: int,
    *,
    run_id: int | None = None,
    decisions: Mapping[str, Decision] | None = None,
    batch_size: int = local.DEFAULT_BATCH_SIZE,
    progress: Progress | None = None,
) -> SyncOutcome:
    """Import Visma's customer register (all pages); customers whose Visma type contradicts the org-number
    rule are imported by our rule and flagged."""
    run_id, decisions = _run(db, company_id, Operation.CUSTOMERS_PULL, run_id, decisions)
    preview = preview_pull_customers(db, client, company_id, decisions)
    return _apply_local(db, company_id, run_id, preview, batch_size, progress)


def preview_push_customers(
    db: Database, client: VismaClient, company_id: int, decisions: Mapping[str, Decision] | None = None
) -> Preview:
    return _plan_customer_push(db, client, company_id, decisions)[0]


def push_customers(
    db: Database,
    client: VismaClient,
    company_id: int,
    *,
    run_id: int | None = None,
    decisions: Mapping[str, Decision] | None = None,
    batch_size: int = PUSH_BATCH_SIZE,
    progress: Progress | None = None,
    counter: CountingPacer | None = None,
) -> SyncOutcome:
    run_id, decisions = _run(db, company_id, Operation.CUSTOMERS_PUSH, run_id, decisions)
    preview, in_visma = _plan_customer_push(db, client, company_id, decisions)
    creates = any(isinstance(action, CreateCustomer) for action in preview.plan.writes)
    terms_id = client.get_company_settings().terms_of_payment_id if creates else None

    def send(action: Action) -> None:
        if isinstance(action, CreateCustomer):
            if terms_id is None:
                raise MappingError("Visma har inga standardbetalvillkor; ange dem i Visma först.")
            client.create_customer(customer_to_push(action.record, terms_id))
        elif isinstance(action, UpdateCustomer):
            current = in_visma[action.record.customer_number]
            assert current.id is not None  # Visma always answers with the id
            client.update_customer(current.id, customer_update(current, action.record))

    return _apply_remote(db, company_id, run_id, preview, send, batch_size, progress, counter)


def _plan_customer_push(
    db: Database, client: VismaClient, company_id: int, decisions: Mapping[str, Decision] | None
) -> tuple[Preview, dict[str, Customer]]:
    found, problems = gather_visma_customers(client)
    ours = local.our_customers(db, company_id)
    entries = [Entry(record) for record in sorted(ours, key=lambda record: record.customer_number)]
    visma_records = [record for _, record in found.values()]
    plan = plan_customers(
        entries, visma_records, decisions=decisions, problems=problems, identity=CUSTOMER_PUSH_IDENTITY
    )
    plan.flags.extend(_visma_type_flags(visma_records))
    return Preview(plan), {number: customer for number, (customer, _) in found.items()}


def _visma_type_flags(records: Sequence[CustomerRecord]) -> list[RowProblem]:
    flagged = plan_customers([Entry(record) for record in records if record.type_disagrees], []).flags
    return [RowProblem(None, flag.key, "I Visma: " + flag.reason) for flag in flagged]


# --- applying --------------------------------------------------------------------------------------------------


def _run(
    db: Database,
    company_id: int,
    operation: Operation,
    run_id: int | None,
    decisions: Mapping[str, Decision] | None,
) -> tuple[int, dict[str, Decision]]:
    if run_id is None:
        return create_run(db, company_id, operation, decisions=decisions), dict(decisions or {})
    stored = run_source(db, company_id, run_id, operation).decisions
    return run_id, stored | dict(decisions or {})


def _apply_local(
    db: Database, company_id: int, run_id: int, preview: Preview, batch_size: int, progress: Progress | None
) -> SyncOutcome:
    mark_started(db, company_id, run_id, preview.plan)
    try:
        written = local.apply_to_register(
            db, company_id, run_id, preview.plan.writes, batch_size=batch_size, progress=progress
        )
    except Exception as error:
        mark_finished(db, company_id, run_id, error=f"{type(error).__name__}: avbröts, kan återupptas")
        raise
    mark_finished(db, company_id, run_id)
    return SyncOutcome(get_run(db, company_id, run_id), preview, written)


def _apply_remote(
    db: Database,
    company_id: int,
    run_id: int,
    preview: Preview,
    send: Callable[[Action], None],
    batch_size: int,
    progress: Progress | None,
    counter: CountingPacer | None,
) -> SyncOutcome:
    writes = preview.plan.writes
    mark_started(db, company_id, run_id, preview.plan)
    written = 0
    calls_before = counter.calls if counter else 0
    try:
        for start in range(0, len(writes), batch_size):
            batch = writes[start : start + batch_size]
            refused = [problem for action in batch if (problem := _send_one(send, action)) is not None]
            calls = counter.calls - calls_before if counter else 0
            calls_before += calls
            with db.transaction() as session:
                record_progress(session, company_id, run_id, len(batch) - len(refused), calls, db.clock(), refused)
            written += len(batch) - len(refused)
            if progress is not None:
                progress(start + len(batch), len(writes))
    except Exception as error:
        mark_finished(db, company_id, run_id, error=f"{type(error).__name__}: avbröts, kan återupptas")
        raise
    mark_finished(db, company_id, run_id)
    return SyncOutcome(get_run(db, company_id, run_id), preview, written)


def _send_one(send: Callable[[Action], None], action: Action) -> RowProblem | None:
    """One call; Visma refusing this entry (or our mapping refusing it first) is the entry's problem."""
    key = action.record.number if isinstance(action, CreateArticle | UpdateArticle) else _customer_key(action)
    try:
        send(action)
    except MappingError as error:
        return RowProblem(None, key, str(error))
    except (VismaValidationError, VismaConflict) as error:
        return RowProblem(None, key, f"Visma tog inte emot den: {error.developer_message or error}")
    return None


def _customer_key(action: Action) -> str | None:
    return action.record.customer_number if isinstance(action, CreateCustomer | UpdateCustomer) else None
