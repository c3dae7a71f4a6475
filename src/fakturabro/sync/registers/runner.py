"""Applying a recorded run, whatever it is: a file import or a Visma push/pull, first time or resumed.

The web app and the API call this from a background task after answering, and poll the run's record.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import structlog

from fakturabro.registers.imports import apply_import
from fakturabro.registers.local import Progress
from fakturabro.registers.plan import Decision
from fakturabro.registers.runs import Operation, RunView, create_run, get_run, mark_finished, set_decisions
from fakturabro.sync.connection import VismaContainer, visma_client_for
from fakturabro.sync.registers import operations
from fakturabro.visma.pacing import TokenBucketPacer

log = structlog.get_logger(__name__)

VISMA_OPERATIONS: dict[Operation, Callable[..., operations.SyncOutcome]] = {
    Operation.ARTICLES_PUSH: operations.push_articles,
    Operation.ARTICLES_PULL: operations.pull_articles,
    Operation.CUSTOMERS_PULL: operations.pull_customers,
    Operation.CUSTOMERS_PUSH: operations.push_customers,
}
PREVIEWS: dict[Operation, Callable[..., operations.Preview]] = {
    Operation.ARTICLES_PUSH: operations.preview_push_articles,
    Operation.ARTICLES_PULL: operations.preview_pull_articles,
    Operation.CUSTOMERS_PULL: operations.preview_pull_customers,
    Operation.CUSTOMERS_PUSH: operations.preview_push_customers,
}


def preview_visma(
    container: VismaContainer, company_id: int, operation: Operation, decisions: Mapping[str, Decision] | None = None
) -> operations.Preview:
    client = visma_client_for(container, company_id, pacer=TokenBucketPacer())
    return PREVIEWS[operation](container.db, client, company_id, decisions)


def start_visma_run(
    container: VismaContainer, company_id: int, operation: Operation, decisions: Mapping[str, Decision] | None = None
) -> int:
    """Record a Visma run to apply; fails now (not in the background) when the company is not connected."""
    visma_client_for(container, company_id)
    return create_run(container.db, company_id, operation, decisions=decisions)


def apply_run(
    container: VismaContainer,
    company_id: int,
    run_id: int,
    decisions: Mapping[str, Decision] | None = None,
    progress: Progress | None = None,
) -> RunView:
    db = container.db
    if decisions:
        set_decisions(db, company_id, run_id, decisions)
    operation = Operation(get_run(db, company_id, run_id).operation)
    if operation is Operation.ARTICLES_IMPORT:
        return apply_import(db, company_id, "articles", run_id, progress=progress).run
    if operation is Operation.CUSTOMERS_IMPORT:
        return apply_import(db, company_id, "customers", run_id, progress=progress).run
    counter = operations.CountingPacer(TokenBucketPacer())
    client = visma_client_for(container, company_id, pacer=counter)
    extra: dict[str, Any] = (
        {"counter": counter} if operation in {Operation.ARTICLES_PUSH, Operation.CUSTOMERS_PUSH} else {}
    )
    outcome = VISMA_OPERATIONS[operation](db, client, company_id, run_id=run_id, progress=progress, **extra)
    return outcome.run


def apply_run_in_background(container: VismaContainer, company_id: int, run_id: int) -> None:
    """For a background task: the failure is already on the run's record (status, error) for the page to show."""
    try:
        apply_run(container, company_id, run_id)
    except Exception as error:  # noqa: BLE001 - nothing waits for a background task: the run's record is the report
        mark_finished(container.db, company_id, run_id, error=f"{type(error).__name__}: avbröts, kan återupptas")
        log.warning("registers.run_failed", company_id=company_id, run_id=run_id, error_type=type(error).__name__)
