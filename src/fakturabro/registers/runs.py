"""Run records of bulk register operations (``store.register_models.RegisterRun``): create, read, progress."""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from fakturabro.domain.errors import Conflict, NotFound
from fakturabro.registers.plan import Decision, Plan, RowProblem
from fakturabro.store.database import Database
from fakturabro.store.register_models import RegisterRun
from fakturabro.store.register_repository import RegisterRunRepository
from fakturabro.store.repositories import Transaction

MAX_STORED_PROBLEMS = 1000  # per run; the preview shows all of them, the record keeps enough to act on


class Operation(StrEnum):
    ARTICLES_IMPORT = "articles_import"
    ARTICLES_PUSH = "articles_push"
    ARTICLES_PULL = "articles_pull"
    CUSTOMERS_IMPORT = "customers_import"
    CUSTOMERS_PULL = "customers_pull"
    CUSTOMERS_PUSH = "customers_push"


class RunStatus(StrEnum):
    PREVIEWED = "previewed"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


@dataclass(frozen=True)
class RunView:
    id: int
    operation: str
    status: str
    source_name: str | None
    total: int
    done: int
    api_calls: int
    counts: dict[str, int]
    problems: list[dict[str, object]]
    error: str | None
    created_at: datetime
    finished_at: datetime | None

    @property
    def finished(self) -> bool:
        return self.status in {RunStatus.SUCCEEDED, RunStatus.FAILED}


@dataclass(frozen=True)
class RunSource:
    """What applying a run needs again: the file (if any), the column mapping and the decisions."""

    data: bytes | None
    name: str | None
    columns: dict[str, str] = field(default_factory=dict)
    decisions: dict[str, Decision] = field(default_factory=dict)


def create_run(
    db: Database,
    company_id: int,
    operation: Operation,
    *,
    data: bytes | None = None,
    source_name: str | None = None,
    columns: Mapping[str, str] | None = None,
    decisions: Mapping[str, Decision] | None = None,
) -> int:
    now = db.clock()
    with db.transaction() as session:
        run = RegisterRun(
            company_id=company_id,
            operation=operation.value,
            status=RunStatus.PREVIEWED.value,
            source_name=source_name[:200] if source_name else None,
            source_encrypted=db.cipher.encrypt(base64.b64encode(data).decode()) if data is not None else None,
            columns_json=json.dumps(dict(columns or {})),
            decisions_json=json.dumps({key: value.value for key, value in (decisions or {}).items()}),
            counts_json="{}",
            problems_json="[]",
            total=0,
            done=0,
            api_calls=0,
            created_at=now,
            updated_at=now,
        )
        RegisterRunRepository(session, company_id).add(run)
        return run.id


def set_decisions(db: Database, company_id: int, run_id: int, decisions: Mapping[str, Decision]) -> None:
    with db.transaction() as session:
        run = load_run(session, company_id, run_id)
        merged = json.loads(run.decisions_json) | {key: value.value for key, value in decisions.items()}
        run.decisions_json = json.dumps(merged)
        run.updated_at = db.clock()


def run_source(db: Database, company_id: int, run_id: int, operation: Operation) -> RunSource:
    with db.transaction() as session:
        run = load_run(session, company_id, run_id)
        if run.operation != operation.value:
            raise Conflict(f"Körning {run_id} är inte en {operation.value}.", "wrong_operation", ("run_id",))
        if run.status == RunStatus.SUCCEEDED:
            raise Conflict(f"Körning {run_id} är redan genomförd.", "run_finished", ("run_id",))
        data = base64.b64decode(db.cipher.decrypt(run.source_encrypted)) if run.source_encrypted is not None else None
        decisions = {key: Decision(value) for key, value in json.loads(run.decisions_json).items()}
        return RunSource(data, run.source_name, json.loads(run.columns_json), decisions)


def mark_started(db: Database, company_id: int, run_id: int, plan: Plan) -> None:
    with db.transaction() as session:
        run = load_run(session, company_id, run_id)
        run.status = RunStatus.RUNNING.value
        run.total = len(plan.writes) + run.done  # what remains now, plus what earlier attempts already wrote
        run.counts_json = json.dumps(plan.counts())
        run.problems_json = json.dumps(problems_json(plan.rejected + plan.flags)[:MAX_STORED_PROBLEMS])
        run.error = None
        run.updated_at = db.clock()


def record_progress(
    session: Transaction,
    company_id: int,
    run_id: int,
    written: int,
    api_calls: int,
    now: datetime,
    problems: list[RowProblem] | None = None,
) -> None:
    """Inside the transaction that applied the batch: the counter moves only with the writes it counts.
    ``problems`` are entries the other side refused (a Visma validation error), recorded with the batch."""
    run = load_run(session, company_id, run_id)
    run.done += written
    run.api_calls += api_calls
    run.updated_at = now
    if problems:
        stored = json.loads(run.problems_json) + problems_json(problems)
        run.problems_json = json.dumps(stored[:MAX_STORED_PROBLEMS])


def mark_finished(db: Database, company_id: int, run_id: int, error: str | None = None) -> None:
    with db.transaction() as session:
        run = load_run(session, company_id, run_id)
        run.status = (RunStatus.FAILED if error else RunStatus.SUCCEEDED).value
        run.error = error
        run.finished_at = db.clock()
        run.updated_at = run.finished_at
        if error is None:
            run.source_encrypted = None  # the file is not needed any more, and may hold personal data


def get_run(db: Database, company_id: int, run_id: int) -> RunView:
    with db.transaction() as session:
        return _view(load_run(session, company_id, run_id))


def list_runs(db: Database, company_id: int, limit: int = 20) -> list[RunView]:
    """The newest runs first: what the register pages list, and where a failed run is found to resume."""
    with db.transaction() as session:
        return [_view(run) for run in RegisterRunRepository(session, company_id).newest(limit)]


def _view(run: RegisterRun) -> RunView:
    return RunView(
        id=run.id,
        operation=run.operation,
        status=run.status,
        source_name=run.source_name,
        total=run.total,
        done=run.done,
        api_calls=run.api_calls,
        counts=json.loads(run.counts_json),
        problems=json.loads(run.problems_json),
        error=run.error,
        created_at=run.created_at,
        finished_at=run.finished_at,
    )


def load_run(session: Transaction, company_id: int, run_id: int) -> RegisterRun:
    run = RegisterRunRepository(session, company_id).get(run_id)
    if run is None:
        raise NotFound("Körningen", run_id)
    return run


def problems_json(problems: list[RowProblem]) -> list[dict[str, object]]:
    return [{"row": problem.row, "key": problem.key, "reason": problem.reason} for problem in problems]
