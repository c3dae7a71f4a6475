"""A reconciliation run: gather both sides, plan the findings (`planner.py`), store the result. A DBOS workflow.

One workflow per run (``reconcile-<run id>``) on its own queue, one run at a time per company. Its steps are the
sections: settings (company settings, terms of payment, numbering), customers, articles; each writes its section
into the run's row when it ends, so a run cut by a crash resumes at the first section not done (DBOS replays the
recorded steps). Visma is read page by page through the company's paced client (the same token buckets as the
export); each page is planned as it arrives and dropped, so memory follows our register, not Visma's.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import structlog
from dbos import DBOS
from dbos._enqueue_options import EnqueueOptions
from dbos._error import DBOSException
from sqlalchemy import select

from fakturabro.domain.errors import Conflict
from fakturabro.store import models
from fakturabro.store.database import Database
from fakturabro.store.export_models import VismaCustomerLink
from fakturabro.store.reconciliation_models import VismaReconciliationRun
from fakturabro.store.reconciliation_repository import (
    ARTICLE,
    CUSTOMER,
    latest_run,
    resolutions,
    run_of,
)
from fakturabro.sync import preflight
from fakturabro.sync.company_settings import remember_settings
from fakturabro.sync.export.workflow import ConnectionMissing, _guarded, current_deps
from fakturabro.sync.reconciliation import planner
from fakturabro.sync.reconciliation.facts import our_identity, visma_identity
from fakturabro.visma import mapping
from fakturabro.visma.client import VismaClient
from fakturabro.visma.errors import VismaError
from fakturabro.visma.models import Article

log = structlog.get_logger("fakturabro.sync.reconciliation")

RECONCILE_QUEUE = "fakturabro-reconciliation"
RECONCILE_WORKFLOW = "fakturabro.reconcile_visma"
RUNNING, DONE, FAILED = "running", "done", "failed"
_GREEN_FROM_VISMA = {number: kind for kind, number in mapping.VISMA_GREEN_TECHNOLOGY_TYPE.items()}


def register(polling_interval_sec: float = 1.0) -> None:
    """The run's queue: one run at a time per company (called by `runtime.launch` after DBOS is launched)."""
    DBOS.register_queue(
        RECONCILE_QUEUE,
        worker_concurrency=4,
        partition_concurrency=1,
        polling_interval_sec=polling_interval_sec,
        on_conflict="always_update",
    )


def workflow_id(run_id: int) -> str:
    return f"reconcile-{run_id}"


# --- starting and reading ------------------------------------------------------------------------------------


def start_run(db: Database, company_id: int, trigger: str = "manual") -> int:
    """Start a run (or return the one running): its id. The row is written before the workflow is enqueued, so
    the API can answer with it at once."""
    with db.transaction() as session:
        running = latest_run(session, company_id)
        if running is not None and running.state == RUNNING:
            return running.id
        run = VismaReconciliationRun(
            company_id=company_id, state=RUNNING, trigger=trigger, started_at=db.clock(), visma_calls=0
        )
        session.add(run)
        session.flush()
        run_id = run.id
    options = EnqueueOptions(
        workflow_name=RECONCILE_WORKFLOW,
        queue_name=RECONCILE_QUEUE,
        workflow_id=workflow_id(run_id),
        queue_partition_key=str(company_id),
    )
    DBOS.enqueue_workflow_with_options(options, company_id, run_id)
    log.info("visma.reconciliation.started", company_id=company_id, run_id=run_id, trigger=trigger)
    return run_id


def run_json(run: VismaReconciliationRun) -> dict[str, Any]:
    """The run as the API's contract has it (docs/RECONCILIATION.md)."""

    def section(raw: str | None, empty: Any) -> Any:
        return json.loads(raw) if raw else empty

    return {
        "id": run.id,
        "state": run.state,
        "trigger": run.trigger,
        "started_at": run.started_at.isoformat(),
        "finished_at": run.finished_at.isoformat() if run.finished_at else None,
        "visma_calls": run.visma_calls,
        "customers": section(run.customers, {"matched": 0, "only_in_visma": 0, "findings": []}),
        "articles": section(run.articles, {"matched": 0, "findings": []}),
        "numbering": section(run.numbering, {"ours_next": None, "visma_next": None, "agrees": False}),
        "settings": section(run.settings, []),
        "error": run.error,
    }


def latest_result(db: Database, company_id: int) -> dict[str, Any] | None:
    with db.transaction() as session:
        run = latest_run(session, company_id)
        return run_json(run) if run is not None else None


def wait_for_run(run_id: int) -> None:
    DBOS.retrieve_workflow(workflow_id(run_id)).get_result()


# --- the workflow ----------------------------------------------------------------------------------------------


@DBOS.step(name="reconcile.settings")
def _settings_step(company_id: int, run_id: int) -> int:
    return _guarded(
        lambda: reconcile_settings(current_deps().db, current_deps().client_for(company_id), company_id, run_id)
    )


@DBOS.step(name="reconcile.customers")
def _customers_step(company_id: int, run_id: int) -> int:
    return _guarded(
        lambda: reconcile_customers(current_deps().db, current_deps().client_for(company_id), company_id, run_id)
    )


@DBOS.step(name="reconcile.articles")
def _articles_step(company_id: int, run_id: int) -> int:
    return _guarded(
        lambda: reconcile_articles(current_deps().db, current_deps().client_for(company_id), company_id, run_id)
    )


@DBOS.step(name="reconcile.finish")
def _finish_step(company_id: int, run_id: int, calls: int, error: str | None) -> None:
    finish_run(current_deps().db, company_id, run_id, calls, error)


@DBOS.workflow(name=RECONCILE_WORKFLOW)
def reconcile_company(company_id: int, run_id: int) -> str:
    """Settings, customers, articles, each a step; a failure ends the run as ``failed`` with a Swedish message."""
    calls = 0
    try:
        calls += _settings_step(company_id, run_id)
        calls += _customers_step(company_id, run_id)
        calls += _articles_step(company_id, run_id)
    except DBOSException:
        raise
    except Exception as error:  # noqa: BLE001 - recorded on the run; a bug is logged loudly
        _finish_step(company_id, run_id, calls, failure_message(error))
        return FAILED
    _finish_step(company_id, run_id, calls, None)
    return DONE


def failure_message(error: Exception) -> str:
    if isinstance(error, ConnectionMissing):
        if error.kind == "not_connected":
            return "Företaget är inte kopplat till Visma eEkonomi. Koppla först och kör avstämningen igen."
        return "Kopplingen till Visma eEkonomi har gått ut. Koppla igen och kör avstämningen igen."
    if isinstance(error, VismaError):
        return "Visma eEkonomi svarade inte som väntat, så avstämningen avbröts. Försök igen om en stund."
    log.exception("visma.reconciliation.unexpected_error")
    return f"Oväntat fel i avstämningen ({type(error).__name__}). Kontakta supporten."


def finish_run(db: Database, company_id: int, run_id: int, calls: int, error: str | None) -> None:
    with db.transaction() as session:
        run = run_of(session, company_id, run_id, lock=True)
        assert run is not None
        run.state = FAILED if error else DONE
        run.error = error
        run.visma_calls = calls
        run.finished_at = db.clock()
    log.info("visma.reconciliation.finished", company_id=company_id, run_id=run_id, calls=calls, failed=bool(error))


# --- the sections (plain functions of a database and a client: the benchmark and tests call them too) ----------


def _store_section(db: Database, company_id: int, run_id: int, **sections: Any) -> None:
    with db.transaction() as session:
        run = run_of(session, company_id, run_id, lock=True)
        assert run is not None
        for name, value in sections.items():
            setattr(run, name, json.dumps(value, ensure_ascii=False))


def reconcile_settings(db: Database, client: VismaClient, company_id: int, run_id: int) -> int:
    """Company settings, terms of payment and the next invoice number; returns the calls made."""
    settings = client.get_company_settings()
    remember_settings(db, company_id, settings)
    terms = client.list_terms_of_payments()
    with db.transaction() as session:
        ours = preflight.gather_ours(session, company_id)
    rot_rut = settings.company_rot_rut_settings
    facts = planner.SettingsFacts(
        rounding=settings.domestic_currency_rounding,
        uses_house_work=settings.uses_rot_reduced_invoicing,
        uses_green_technology=settings.uses_green_technology,
        reverse_charge=settings.uses_reverse_construction_vat,
        prices_excl_vat_for_private=settings.show_prices_excl_vat_pc,
        rot_percent=rot_rut.rot_reduced_invoicing_percent if rot_rut else None,
        rut_percent=rot_rut.rut_reduced_invoicing_percent if rot_rut else None,
        terms_of_payment_known=any(t.id == settings.terms_of_payment_id for t in terms if t.id is not None),
        ours_reverse_charge=ours.reverse_charge,
        ours_house_work=ours.rot_rut,
        ours_green_technology=ours.green_technology,
        ours_private_customers=ours.private_customers,
    )
    numbering = planner.numbering(ours.next_invoice_number, settings.next_customer_invoice_number)
    numbering["visma_next_customer_number"] = settings.next_customer_number
    _store_section(
        db, company_id, run_id, numbering=numbering, settings=planner.settings_findings(facts, db.clock().date())
    )
    return 2


def reconcile_customers(db: Database, client: VismaClient, company_id: int, run_id: int) -> int:
    """Our customers against Visma's, streamed page by page; returns the calls made (one per page)."""
    with db.transaction() as session:
        ours = [
            planner.OurCustomer(customer.id, our_identity(customer, db.cipher.decrypt))
            for customer in session.scalars(select(models.Customer).where(models.Customer.company_id == company_id))
        ]
        clean_links = set(
            session.scalars(
                select(VismaCustomerLink.customer_id).where(
                    VismaCustomerLink.company_id == company_id, VismaCustomerLink.contradiction.is_(None)
                )
            )
        )
        by_id = {customer.customer_id: customer.identity.number for customer in ours}
        resolved = frozenset(
            r.number for r in resolutions(session, company_id, CUSTOMER) if r.number in set(by_id.values())
        )
        linked_numbers = {by_id[customer_id] for customer_id in clean_links if customer_id in by_id}
    matcher = planner.CustomerMatcher(ours, resolved=resolved & linked_numbers)
    calls = 0
    for page in client.customer_pages():
        calls += 1
        for customer in page.items:
            if customer.id is not None and customer.customer_number:
                matcher.see(planner.VismaCustomerFacts(str(customer.id), visma_identity(customer)))
    matched, findings = matcher.result(run_id)
    section = {"matched": matched, "only_in_visma": matcher.only_in_visma, "findings": findings}
    _store_section(db, company_id, run_id, customers=section)
    return calls


def reconcile_articles(db: Database, client: VismaClient, company_id: int, run_id: int) -> int:
    """Our articles against Visma's by number; returns the calls made (the codings, then one per page)."""
    codings = {str(c.id): mapping.coding_vat_percent(c) for c in client.list_article_account_codings()}
    with db.transaction() as session:
        ours = [
            planner.ArticleFacts(a.number, a.name, a.unit, a.vat_rate.normalize(), a.house_work_type)
            for a in session.scalars(select(models.Article).where(models.Article.company_id == company_id))
        ]
        resolved = frozenset(r.number for r in resolutions(session, company_id, ARTICLE))
    matcher = planner.ArticleMatcher(ours, resolved=resolved)
    calls = 1
    for page in client.article_pages():
        calls += 1
        for article in page.items:
            matcher.see(visma_article(article, codings))
    matched, findings = matcher.result(run_id)
    _store_section(db, company_id, run_id, articles={"matched": matched, "findings": findings})
    return calls


def visma_article(article: Article, vat_by_coding: dict[str, Any]) -> planner.ArticleFacts:
    house_work = None
    if article.house_work_type is not None and article.house_work_type in mapping.HOUSE_WORK_TYPE_FROM_VISMA:
        house_work = mapping.HOUSE_WORK_TYPE_FROM_VISMA[article.house_work_type].value
    elif article.green_technology_type is not None and article.green_technology_type in _GREEN_FROM_VISMA:
        house_work = _GREEN_FROM_VISMA[article.green_technology_type].value
    return planner.ArticleFacts(
        number=article.number,
        name=article.name,
        unit=article.unit_abbreviation or article.unit_name or "",
        vat_percent=vat_by_coding.get(str(article.coding_id)),
        house_work_type=house_work,
        visma_id=str(article.id) if article.id else None,
    )


@dataclass(frozen=True)
class CurrentFinding:
    run_id: int
    section: str  # "customers" | "articles"
    finding: dict[str, Any]


def current_finding(db: Database, company_id: int, finding_id: str) -> CurrentFinding:
    """The finding of the company's latest finished run; `Conflict` when it is of an older run or resolved."""
    with db.transaction() as session:
        run = latest_run(session, company_id)
        if run is None or run.state != DONE:
            raise Conflict(
                "Det finns ingen avslutad avstämning att lösa avvikelser i. Kör avstämningen först.",
                "no_reconciliation",
                ("finding",),
            )
        result = run_json(run)
        older = _run_id_of(finding_id)
        for section in ("customers", "articles"):
            for finding in result[section]["findings"]:
                if finding["id"] == finding_id:
                    if finding["resolution"] is not None:
                        raise Conflict("Avvikelsen är redan löst.", "finding_resolved", ("finding",))
                    return CurrentFinding(run.id, section, finding)
        if older is not None and older != run.id and run_of(session, company_id, older) is not None:
            raise Conflict(
                "Avvikelsen gäller inte längre: en nyare avstämning har körts. Ladda om sidan.",
                "finding_not_current",
                ("finding",),
            )
    raise LookupError(finding_id)


def _run_id_of(finding_id: str) -> int | None:
    head = finding_id.split("-", 1)[0]
    return int(head[1:]) if head.startswith("r") and head[1:].isdigit() else None


def mark_resolved(db: Database, company_id: int, current: CurrentFinding, resolution: dict[str, Any]) -> None:
    with db.transaction() as session:
        run = run_of(session, company_id, current.run_id, lock=True)
        assert run is not None
        section = json.loads(getattr(run, current.section))
        for finding in section["findings"]:
            if finding["id"] == current.finding["id"]:
                finding["resolution"] = resolution
        setattr(run, current.section, json.dumps(section, ensure_ascii=False))
