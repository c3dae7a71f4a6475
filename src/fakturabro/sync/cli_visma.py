"""`fakturabro visma status` and `fakturabro visma check`: the Visma connection from the command line."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from fakturabro.bootstrap import build
from fakturabro.domain.errors import NotFound
from fakturabro.invoicing.companies import find_company
from fakturabro.sync import connection, preflight
from fakturabro.visma.errors import VismaError

app = typer.Typer(help="Visma eEkonomi: kopplingens status och kontroll av inställningarna.", no_args_is_help=True)

CompanyOption = Annotated[str, typer.Option("--company", "-c", help="Företagets id eller exakta namn.")]

STATE_LABELS = {
    connection.ConnectionState.INACTIVE: "[dim]Inte aktiverad[/dim]",
    connection.ConnectionState.NOT_CONNECTED: "[yellow]Aktiverad, inte kopplad[/yellow]",
    connection.ConnectionState.CONNECTED: "[green]Kopplad[/green]",
    connection.ConnectionState.NEEDS_RECONNECT: "[red]Behöver kopplas igen[/red]",
}
MODE_LABELS = {connection.ExportMode.VOUCHER: "Verifikationer", connection.ExportMode.DRAFT: "Fakturautkast"}


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="visma")


def _checklist(result: preflight.CheckResult) -> Table:
    table = Table(title=f"Kontroll av Visma-inställningarna ({result.checked_at:%Y-%m-%d %H:%M} UTC)")
    table.add_column("", no_wrap=True)
    table.add_column("Kontroll", no_wrap=True)
    table.add_column("Resultat")
    table.add_column("Så här åtgärdar du")
    for item in result.items:
        mark = "[green]OK[/green]" if item.ok else "[red]Åtgärda[/red]"
        table.add_row(mark, item.key, item.message, item.fix or "")
    return table


@app.command("status")
def status_command(company: CompanyOption) -> None:
    """The connection's state, export mode, Visma company and the last settings check."""
    console = Console()
    container = build()
    try:
        company_id = find_company(container.db, company).id
        status = connection.connection_status(container.db, company_id)
        latest = preflight.latest_check(container.db, company_id)
    except NotFound as missing:
        console.print(f"[red]{missing}[/red]")
        raise typer.Exit(1) from None
    finally:
        container.close()
    table = Table(title="Visma eEkonomi", show_header=False)
    table.add_row("Status", STATE_LABELS[status.state])
    table.add_row("Exportläge", MODE_LABELS[status.mode])
    if status.visma_company is not None:
        org = f" ({status.visma_company.org_number})" if status.visma_company.org_number else ""
        table.add_row("Visma-företag", f"{status.visma_company.name or 'okänt'}{org}")
    if status.connected_at is not None:
        table.add_row("Kopplad", f"{status.connected_at:%Y-%m-%d %H:%M} UTC")
    if status.last_error_code:
        table.add_row("Senaste fel", status.last_error_code)
    console.print(table)
    if latest is None:
        console.print("Inställningarna har inte kontrollerats ännu: kör [bold]fakturabro visma check[/bold].")
    else:
        console.print(_checklist(latest))


@app.command("check")
def check_command(company: CompanyOption) -> None:
    """Check Visma's settings now and store the result. Exit code 0: all OK, 1: something to fix, 2: no
    working connection or Visma unreachable."""
    console = Console()
    container = build()
    try:
        company_id = find_company(container.db, company).id
        result = preflight.run_check(container, company_id, "manual")
    except NotFound as missing:
        console.print(f"[red]{missing}[/red]")
        raise typer.Exit(1) from None
    except connection.NotConnected:
        console.print("[red]Företaget är inte kopplat till Visma eEkonomi. Koppla under Inställningar.[/red]")
        raise typer.Exit(2) from None
    except connection.NeedsReconnect:
        console.print("[red]Kopplingen till Visma eEkonomi har gått ut. Koppla igen under Inställningar.[/red]")
        raise typer.Exit(2) from None
    except VismaError as error:
        console.print(f"[red]Visma eEkonomi svarade inte som väntat ({type(error).__name__}); försök igen.[/red]")
        raise typer.Exit(2) from None
    finally:
        container.close()
    console.print(_checklist(result))
    if not result.ok:
        raise typer.Exit(1)
    console.print("[green]Allt är klart för export till Visma eEkonomi.[/green]")


@app.command("reconcile")
def reconcile_command(company: CompanyOption) -> None:
    """Reconcile with the Visma company's books now (customers, articles, numbering, settings) and show the
    findings. Exit code 0: nothing to resolve, 1: findings to resolve (on the page or through the API), 2: no working
    connection or Visma unreachable."""
    from fakturabro.sync.reconciliation.cli import run_and_report

    raise typer.Exit(run_and_report(Console(), company))
