"""`fakturabro articles push|pull|import|export` and `fakturabro customers pull|import|push`.

Every command previews first: with ``--dry-run`` it stops there and prints each row's fate; without it, it
applies and shows a rich progress bar. Conflicts are listed with the ``--decide`` option that settles them.
A run that stopped midway (exit code 1, run id printed) continues with ``--resume RUN_ID``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, TypeVar

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from fakturabro.bootstrap import Container, build
from fakturabro.domain.errors import DomainError
from fakturabro.invoicing.companies import find_company
from fakturabro.registers.columns import MissingColumns
from fakturabro.registers.files import UnreadableFile
from fakturabro.registers.imports import Kind, Preview, apply_import, export_articles, preview_import, start_import
from fakturabro.registers.plan import Decision
from fakturabro.registers.runs import RunView, list_runs, set_decisions
from fakturabro.store.database import Database
from fakturabro.sync.connection import visma_client_for
from fakturabro.sync.registers import operations
from fakturabro.visma.client import VismaClient
from fakturabro.visma.errors import VismaError
from fakturabro.visma.pacing import TokenBucketPacer

articles_app = typer.Typer(help="Artikelregistret: till och från Visma, och som fil (CSV/XLSX).", no_args_is_help=True)
customers_app = typer.Typer(help="Kundregistret: från Visma och från Vismas exportfil.", no_args_is_help=True)
console = Console()
T = TypeVar("T")

CompanyOption = Annotated[str, typer.Option("--company", "-c", help="Företagets id eller exakta namn.")]
DryRun = Annotated[bool, typer.Option("--dry-run", help="Visa vad som skulle hända, ändra ingenting.")]
Decide = Annotated[
    list[str] | None,
    typer.Option(
        "--decide", help="Beslut för en konflikt: NUMMER=use_incoming (skriv över) eller NUMMER=keep_existing."
    ),
]
Columns = Annotated[
    list[str] | None, typer.Option("--column", help='Kolumnens rubrik och fält, t.ex. "Lev. benämning=name".')
]
Resume = Annotated[int | None, typer.Option("--resume", help="Fortsätt en avbruten körning (dess id).")]
FileArgument = Annotated[Path, typer.Argument(help="CSV- eller XLSX-fil.", exists=True, dir_okay=False)]


def register(root: typer.Typer) -> None:
    root.add_typer(articles_app, name="articles")
    root.add_typer(customers_app, name="customers")


# --- files ------------------------------------------------------------------------------------------------


@articles_app.command("import")
def articles_import(
    file: FileArgument,
    company: CompanyOption,
    dry_run: DryRun = False,
    decide: Decide = None,
    column: Columns = None,
    resume: Resume = None,
) -> None:
    """Import articles from a file (our export, Visma's export or a wholesaler's price list)."""
    _import_file("articles", file, company, dry_run, decide, column, resume)


@customers_app.command("import")
def customers_import(
    file: FileArgument,
    company: CompanyOption,
    dry_run: DryRun = False,
    decide: Decide = None,
    column: Columns = None,
    resume: Resume = None,
) -> None:
    """Import customers from Visma's customer export (CSV or XLSX)."""
    _import_file("customers", file, company, dry_run, decide, column, resume)


@articles_app.command("export")
def articles_export(
    file: Annotated[Path, typer.Argument(help="Filen att skriva: .csv eller .xlsx.", dir_okay=False)],
    company: CompanyOption,
) -> None:
    """Write the article register to a CSV (semicolon, decimal comma, UTF-8 with BOM) or XLSX file."""
    with _company(company) as (container, company_id):
        data = export_articles(container.db, company_id, "xlsx" if file.suffix.lower() == ".xlsx" else "csv")
    file.write_bytes(data)
    console.print(f"Artikelregistret är skrivet till {file}.")


def _import_file(
    kind: Kind,
    file: Path,
    company: str,
    dry_run: bool,
    decide: list[str] | None,
    column: list[str] | None,
    resume: int | None,
) -> None:
    decisions = _decisions(decide)
    columns = _pairs(column, "--column")
    data = file.read_bytes()
    with _company(company) as (container, company_id):
        db = container.db
        if dry_run:
            _show_preview(preview_import(db, company_id, kind, data, file.name, columns=columns, decisions=decisions))
            return
        if resume is None:
            run_id, preview = start_import(db, company_id, kind, data, file.name, columns=columns, decisions=decisions)
            _show_preview(preview, only_problems=True)
        else:
            run_id = resume
            set_decisions(db, company_id, run_id, decisions)
        with _progress(f"Importerar ({file.name})") as progress:
            outcome = _stopped_run(
                db, company_id, lambda: apply_import(db, company_id, kind, run_id, progress=progress)
            )
        _show_done(outcome.run, outcome.preview)


# --- Visma ------------------------------------------------------------------------------------------------


@articles_app.command("push")
def articles_push(
    company: CompanyOption, dry_run: DryRun = False, decide: Decide = None, resume: Resume = None
) -> None:
    """Create and update our articles in Visma (number, name, unit, price, coding by VAT and kind, ROT/RUT)."""
    _visma("push_articles", company, dry_run, decide, resume)


@articles_app.command("pull")
def articles_pull(
    company: CompanyOption, dry_run: DryRun = False, decide: Decide = None, resume: Resume = None
) -> None:
    """Import Visma's articles into our register."""
    _visma("pull_articles", company, dry_run, decide, resume)


@customers_app.command("pull")
def customers_pull(
    company: CompanyOption, dry_run: DryRun = False, decide: Decide = None, resume: Resume = None
) -> None:
    """Import Visma's customer register; customers whose type disagrees with the org number are flagged."""
    _visma("pull_customers", company, dry_run, decide, resume)


@customers_app.command("push")
def customers_push(
    company: CompanyOption, dry_run: DryRun = False, decide: Decide = None, resume: Resume = None
) -> None:
    """Create our customers that Visma lacks (and update changed addresses)."""
    _visma("push_customers", company, dry_run, decide, resume)


def _visma(name: str, company: str, dry_run: bool, decide: list[str] | None, resume: int | None) -> None:
    decisions = _decisions(decide)
    with _company(company) as (container, company_id):
        counter = operations.CountingPacer(TokenBucketPacer())
        client: VismaClient = visma_client_for(container, company_id, pacer=counter)
        db = container.db
        if dry_run:
            preview: Preview = getattr(operations, f"preview_{name}")(db, client, company_id, decisions)
            _show_preview(preview)
            return
        operation = getattr(operations, name)
        extra = {"counter": counter} if name.startswith("push") else {}
        with _progress("Synkar med Visma") as progress:
            outcome = _stopped_run(
                db,
                company_id,
                lambda: operation(
                    db, client, company_id, run_id=resume, decisions=decisions, progress=progress, **extra
                ),
            )
        _show_done(outcome.run, outcome.preview)


# --- shared -----------------------------------------------------------------------------------------------


@contextmanager
def _company(company: str) -> Iterator[tuple[Container, int]]:
    container = build()
    try:
        yield container, find_company(container.db, company).id
    except (DomainError, UnreadableFile, MissingColumns, VismaError) as error:
        console.print(f"[red]{error}[/red]")
        raise typer.Exit(1) from None
    finally:
        container.close()


def _stopped_run(db: Database, company_id: int, apply: Callable[[], T]) -> T:
    """Apply; when it stops midway, say which run to resume."""
    try:
        return apply()
    except (DomainError, VismaError):
        raise
    except Exception:
        latest = list_runs(db, company_id, limit=1)
        if latest:
            console.print(f"[red]Körningen avbröts. Fortsätt med --resume {latest[0].id}.[/red]")
        raise


@contextmanager
def _progress(title: str) -> Iterator[Callable[[int, int], None]]:
    with Progress(TextColumn(title), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(), console=console) as bar:
        task = bar.add_task(title, total=None)

        def update(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield update


FATE_LABELS = {
    "create": "[green]läggs till[/green]",
    "update": "[cyan]ändras[/cyan]",
    "unchanged": "oförändrad",
    "linked": "finns redan",
    "conflict": "[yellow]konflikt[/yellow]",
    "rejected": "[red]avvisad[/red]",
}


def _show_preview(preview: Preview, *, only_problems: bool = False) -> None:
    counts = preview.counts
    summary = ", ".join(f"{counts[fate]} {FATE_LABELS[fate]}" for fate in FATE_LABELS if counts.get(fate))
    console.print(f"Förhandsgranskning: {summary or 'inget att göra'}; {counts.get('flagged', 0)} flaggade.")
    rows = [row for row in preview.rows() if not only_problems or row.fate in {"conflict", "rejected"} or row.detail]
    rows = [row for row in rows if row.fate != "unchanged" or row.detail != "Redan likadan."]
    if rows:
        table = Table("Rad", "Nummer", "Utfall", "Orsak")
        for row in rows[:200]:
            table.add_row(str(row.row or ""), row.key or "", FATE_LABELS[row.fate], row.detail)
        console.print(table)
        if len(rows) > 200:
            console.print(f"… och {len(rows) - 200} rader till.")
    if preview.plan.conflicts:
        example = preview.plan.conflicts[0].key
        console.print(
            f"[yellow]{len(preview.plan.conflicts)} konflikter väntar på beslut[/yellow], t.ex. "
            f"--decide {example}=use_incoming (skriv över) eller --decide {example}=keep_existing."
        )


def _show_done(run: RunView, preview: Preview) -> None:
    console.print(
        f"Klar (körning {run.id}): {run.done} skrivna, {preview.counts.get('unchanged', 0)} oförändrade, "
        f"{len(preview.plan.conflicts)} konflikter, {len(run.problems)} problem"
        + (f", {run.api_calls} anrop till Visma." if run.api_calls else ".")
    )
    for problem in run.problems[:50]:
        console.print(f"  rad {problem['row'] or '-'} {problem['key'] or ''}: {problem['reason']}")


def _decisions(values: list[str] | None) -> dict[str, Decision]:
    pairs = _pairs(values, "--decide")
    try:
        return {key: Decision(value) for key, value in pairs.items()}
    except ValueError:
        console.print("[red]--decide tar NUMMER=use_incoming eller NUMMER=keep_existing.[/red]")
        raise typer.Exit(2) from None


def _pairs(values: list[str] | None, option: str) -> dict[str, str]:
    pairs: dict[str, str] = {}
    for value in values or []:
        key, sep, rest = value.rpartition("=")
        if not sep or not key:
            console.print(f"[red]{option} tar formen NAMN=VÄRDE.[/red]")
            raise typer.Exit(2)
        pairs[key.strip()] = rest.strip()
    return pairs
