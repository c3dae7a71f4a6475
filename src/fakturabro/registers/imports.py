"""The register file use cases: preview (a dry run that reports every row's fate), import, resume, export.

``import_*`` records a run, then applies it; ``apply_import`` applies a previewed or crashed run again from
the file it keeps. Every apply re-plans against the register as it is now, so rows an earlier attempt wrote
are "unchanged" and nothing is written twice.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from dataclasses import fields as fields_of
from typing import Literal

from fakturabro.registers import local
from fakturabro.registers.columns import ARTICLE_COLUMNS
from fakturabro.registers.files import DEFAULT_MAX_ROWS, looks_like_formula, read_table, write_csv, write_xlsx
from fakturabro.registers.local import DEFAULT_BATCH_SIZE, Progress
from fakturabro.registers.plan import (
    Conflict,
    CreateArticle,
    CreateCustomer,
    Decision,
    Entry,
    LinkExisting,
    Plan,
    Rejected,
    RowProblem,
    SkipUnchanged,
    UpdateArticle,
    UpdateCustomer,
    plan_articles,
    plan_customers,
)
from fakturabro.registers.records import ArticleRecord, CustomerRecord
from fakturabro.registers.rows import parse_articles, parse_customers
from fakturabro.registers.runs import Operation, RunView, create_run, get_run, mark_finished, mark_started, run_source
from fakturabro.store.database import Database

FIELD_LABELS = {
    "name": "namn",
    "vat_rate": "moms",
    "unit": "enhet",
    "unit_price": "pris",
    "kind": "typ",
    "is_service": "tjänst/vara",
    "house_work_type": "husarbete",
    "org_number": "organisationsnummer",
    "personal_number": "personnummer",
    "number": "artikelnummer",
    "customer_number": "kundnummer",
    "email": "e-postadress",
    "phone": "telefon",
    "address_line1": "adress",
    "address_line2": "adress rad 2",
    "postal_code": "postnummer",
    "city": "ort",
}


@dataclass(frozen=True)
class RowResult:
    """One row's fate, as the dry run reports it: ``fate`` is create, update, unchanged, linked, conflict or
    rejected; ``detail`` says why in Swedish."""

    row: int | None
    key: str | None
    fate: str
    detail: str = ""


@dataclass(frozen=True)
class Preview:
    plan: Plan
    encoding: str | None = None
    separator: str | None = None

    @property
    def counts(self) -> dict[str, int]:
        return self.plan.counts()

    def rows(self) -> list[RowResult]:
        results = [row_result(action) for action in self.plan.actions]
        flagged: dict[tuple[int | None, str | None], str] = {}
        for flag in self.plan.flags:
            place = (flag.row, flag.key)
            flagged[place] = "; ".join(filter(None, [flagged.get(place, ""), flag.reason]))
        results = [
            RowResult(r.row, r.key, r.fate, "; ".join(filter(None, [r.detail, flagged.get((r.row, r.key), "")])))
            for r in results
        ]
        return sorted(results, key=lambda result: (result.row is None, result.row or 0, result.key or ""))


@dataclass(frozen=True)
class ImportOutcome:
    run: RunView
    preview: Preview
    written: int
    conflicts: list[Conflict] = field(default_factory=list)


Kind = Literal["articles", "customers"]
_OPERATIONS: Mapping[Kind, Operation] = {"articles": Operation.ARTICLES_IMPORT, "customers": Operation.CUSTOMERS_IMPORT}


def preview_import(
    db: Database,
    company_id: int,
    kind: Kind,
    data: bytes,
    filename: str = "",
    *,
    columns: Mapping[str, str] | None = None,
    decisions: Mapping[str, Decision] | None = None,
    max_rows: int | None = DEFAULT_MAX_ROWS,
) -> Preview:
    """The dry run: reads the file (``max_rows`` rows at most) and both registers, writes nothing."""
    table = read_table(data, filename, max_rows=max_rows)
    entries: Sequence[Entry[ArticleRecord] | Entry[CustomerRecord]]
    if kind == "articles":
        entries, problems = parse_articles(table, columns)
        plan = plan_articles(entries, local.our_articles(db, company_id), decisions=decisions, problems=problems)
    else:
        entries, problems = parse_customers(table, columns)
        plan = plan_customers(entries, local.our_customers(db, company_id), decisions=decisions, problems=problems)
    plan.flags.extend(formula_flags(entries))
    return Preview(plan, table.encoding, table.separator)


def formula_flags(entries: Sequence[Entry[ArticleRecord] | Entry[CustomerRecord]]) -> list[RowProblem]:
    """A warning per row with a text Excel would run as a formula: it is kept as text, and our exports write it
    so that Excel shows it rather than runs it; the user should still look at where it came from."""
    flags = []
    for entry in entries:
        found = [
            FIELD_LABELS.get(name, name)
            for name in (item.name for item in fields_of(entry.record))
            if isinstance(value := getattr(entry.record, name), str) and looks_like_formula(value)
        ]
        if found:
            reason = f"{', '.join(found).capitalize()} börjar som en Excel-formel; sparas som text."
            flags.append(RowProblem(entry.row, entry.key, reason))
    return flags


def start_import(
    db: Database,
    company_id: int,
    kind: Kind,
    data: bytes,
    filename: str = "",
    *,
    columns: Mapping[str, str] | None = None,
    decisions: Mapping[str, Decision] | None = None,
    max_rows: int | None = DEFAULT_MAX_ROWS,
) -> tuple[int, Preview]:
    """Check the file (a file that cannot be read raises before any run exists) and record a run to apply."""
    preview = preview_import(
        db, company_id, kind, data, filename, columns=columns, decisions=decisions, max_rows=max_rows
    )
    run_id = create_run(
        db, company_id, _OPERATIONS[kind], data=data, source_name=filename, columns=columns, decisions=decisions
    )
    return run_id, preview


def apply_import(
    db: Database,
    company_id: int,
    kind: Kind,
    run_id: int,
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
    progress: Progress | None = None,
) -> ImportOutcome:
    """Apply (or resume) a recorded import run."""
    source = run_source(db, company_id, run_id, _OPERATIONS[kind])
    assert source.data is not None  # an import run always keeps its file until it succeeds
    # The file passed the row cap when it was previewed; a lowered cap does not strand a recorded run.
    preview = preview_import(
        db,
        company_id,
        kind,
        source.data,
        source.name or "",
        columns=source.columns,
        decisions=source.decisions,
        max_rows=None,
    )
    plan = preview.plan
    mark_started(db, company_id, run_id, plan)
    try:
        written = local.apply_to_register(db, company_id, run_id, plan.writes, batch_size=batch_size, progress=progress)
    except Exception as error:
        mark_finished(db, company_id, run_id, error=f"{type(error).__name__}: avbröts, kan återupptas")
        raise
    mark_finished(db, company_id, run_id)
    return ImportOutcome(get_run(db, company_id, run_id), preview, written, plan.conflicts)


def import_file(
    db: Database,
    company_id: int,
    kind: Kind,
    data: bytes,
    filename: str = "",
    *,
    columns: Mapping[str, str] | None = None,
    decisions: Mapping[str, Decision] | None = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
    progress: Progress | None = None,
) -> ImportOutcome:
    run_id, _ = start_import(db, company_id, kind, data, filename, columns=columns, decisions=decisions)
    return apply_import(db, company_id, kind, run_id, batch_size=batch_size, progress=progress)


# --- export ---------------------------------------------------------------------------------------------------

ARTICLE_EXPORT_FIELDS = ("number", "name", "unit", "unit_price", "vat_rate", "kind", "house_work_type")


def export_articles(db: Database, company_id: int, file_format: Literal["csv", "xlsx"] = "csv") -> bytes:
    """The article register in the columns the import reads back (the first name of each column)."""
    header = [ARTICLE_COLUMNS[name][0] for name in ARTICLE_EXPORT_FIELDS]
    records = sorted(local.our_articles(db, company_id).values(), key=lambda record: record.number)
    rows = [
        [
            record.number,
            record.name,
            record.unit,
            record.unit_price,
            record.vat_rate,
            _KIND_LABELS[record.kind.value],
            record.house_work_type.value if record.house_work_type else "",
        ]
        for record in records
    ]
    writer: Callable[..., bytes] = write_xlsx if file_format == "xlsx" else write_csv
    return writer(header, rows)


_KIND_LABELS = {"labour": "Arbete", "material": "Material", "other": "Övrigt"}


# --- row fates ----------------------------------------------------------------------------------------------


def row_result(action: object) -> RowResult:
    if isinstance(action, CreateArticle | CreateCustomer):
        key = action.record.number if isinstance(action, CreateArticle) else action.record.customer_number
        return RowResult(action.row, key, "create", "Läggs till.")
    if isinstance(action, UpdateArticle | UpdateCustomer):
        key = action.record.number if isinstance(action, UpdateArticle) else action.record.customer_number
        return RowResult(action.row, key, "update", "Ändras: " + _labels(action.changed) + ".")
    if isinstance(action, SkipUnchanged):
        return RowResult(action.row, action.key, "unchanged", "Redan likadan.")
    if isinstance(action, LinkExisting):
        return RowResult(action.row, action.key, "linked", f"Finns redan som kund {action.existing_key}.")
    if isinstance(action, Conflict):
        detail = f"Samma nummer men annat {_labels(action.fields)}: {_both_sides(action)}. Välj vilken som gäller."
        return RowResult(action.row, action.key, "conflict", detail)
    if isinstance(action, Rejected):
        return RowResult(action.problem.row, action.problem.key, "rejected", action.problem.reason)
    raise TypeError(f"unknown action {action!r}")


def _both_sides(conflict: Conflict) -> str:
    """What is here and what comes in, per clashing field, so the user can choose; a personnummer is never
    shown, only that it differs."""

    def shown(record: object, name: str) -> str:
        value = getattr(record, name)
        if name == "personal_number":
            return "(ett annat)" if value else "(inget)"
        return "(tomt)" if value in (None, "") else f"”{value}”"

    def side(name: str) -> str:
        return f"här {shown(conflict.existing, name)}, nytt {shown(conflict.incoming, name)}"

    if len(conflict.fields) == 1:
        return side(conflict.fields[0])
    return "; ".join(f"{FIELD_LABELS.get(name, name)} {side(name)}" for name in conflict.fields)


def _labels(names: tuple[str, ...]) -> str:
    return ", ".join(FIELD_LABELS.get(name, name) for name in names)
