"""`fakturabro payments …`: the payment import from the command line (a command plugin of `fakturabro.cli`)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from fakturabro.bootstrap import build
from fakturabro.domain.errors import Conflict, NotFound
from fakturabro.invoicing.companies import find_company
from fakturabro.sync.payments import service
from fakturabro.sync.payments.plan import DeviationKind
from fakturabro.visma.errors import VismaError

app = typer.Typer(help="Betalningar: importera från Visma eEkonomi.", no_args_is_help=True)

CompanyOption = Annotated[str, typer.Option("--company", "-c", help="Företagets id eller exakta namn.")]


@app.command("import")
def import_command(company: CompanyOption) -> None:
    """Import payments from Visma now: what changed since the last import, registered once."""
    console = Console()
    container = build()
    try:
        company_id = find_company(container.db, company).id
        result = service.import_payments_for(container, company_id, trigger="cli")
    except (Conflict, NotFound) as refused:
        console.print(f"[red]{refused}[/red]")
        raise typer.Exit(1) from None
    except VismaError as error:
        console.print(f"[red]Visma eEkonomi svarade inte som väntat ({type(error).__name__}); försök igen.[/red]")
        raise typer.Exit(2) from None
    finally:
        container.close()
    table = Table(title="Import av betalningar från Visma")
    table.add_column("Betalda", justify="right")
    table.add_column("Delbetalda", justify="right")
    table.add_column("Nya avvikelser", justify="right")
    table.add_column("Anrop till Visma", justify="right")
    table.add_row(str(result.paid), str(result.partially_paid), str(result.deviations), str(result.api_calls))
    console.print(table)
    console.print(result.message)


@app.command("deviations")
def deviations_command(company: CompanyOption) -> None:
    """List what the imports found for a person to look at."""
    console = Console()
    container = build()
    try:
        company_id = find_company(container.db, company).id
        found = service.list_deviations(container.db, company_id)
    except NotFound as missing:
        console.print(f"[red]{missing}[/red]")
        raise typer.Exit(1) from None
    finally:
        container.close()
    table = Table(title="Avvikelser från importen")
    for column in ("Typ", "Visma-nr", "Vårt nr", "Belopp", "Beskrivning"):
        table.add_column(column)
    for row in found:
        table.add_row(
            _kind_label(row.kind),
            str(row.visma_invoice_number or ""),
            str(row.our_invoice_number or ""),
            str(row.amount or ""),
            row.detail,
        )
    console.print(table)


def _kind_label(kind: str) -> str:
    try:
        return DeviationKind(kind).label
    except ValueError:  # a kind written by a newer version
        return kind


def register(root: typer.Typer) -> None:
    """Called by `fakturabro.cli` (its COMMAND_PLUGINS): `fakturabro payments …`."""
    root.add_typer(app, name="payments")
