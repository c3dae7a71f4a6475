"""`fakturabro keys …` and `fakturabro config …`: the operator's commands (a command plugin of ``cli.py``)."""

from __future__ import annotations

import os
import sys
from datetime import UTC, datetime
from typing import Annotated

import typer
from cryptography.fernet import Fernet
from rich.console import Console

console = Console(stderr=True)
keys_app = typer.Typer(help="Nyckeln som krypterar Visma-tokens och personnummer.", no_args_is_help=True)
config_app = typer.Typer(help="Konfigurationen.", no_args_is_help=True)
NEW_KEY_ENV = "FAKTURABRO_NEW_TOKEN_KEY"


def register(app: typer.Typer) -> None:
    app.add_typer(keys_app, name="keys")
    app.add_typer(config_app, name="config")


@keys_app.command("generate")
def keys_generate() -> None:
    """Print a new Fernet key (for FAKTURABRO_TOKEN_KEY)."""
    print(Fernet.generate_key().decode())


@keys_app.command("rotate")
def keys_rotate(
    new_key: Annotated[
        str | None, typer.Option(envvar=NEW_KEY_ENV, help=f"Den nya nyckeln (helst via {NEW_KEY_ENV}).")
    ] = None,
) -> None:
    """Re-encrypt every token and personnummer under a new key. Stop web and workers first; start them with
    the new key afterwards. With the key in the data directory (no FAKTURABRO_TOKEN_KEY) the file is replaced."""
    from fakturabro.ops.keys import rotate
    from fakturabro.ops.startup import TOKEN_KEY_FILE
    from fakturabro.settings import Settings
    from fakturabro.store.database import make_engine

    settings = Settings()
    chosen = (new_key or Fernet.generate_key().decode()).strip()
    try:
        Fernet(chosen.encode())
    except ValueError as error:
        console.print("[red]Den nya nyckeln är ingen giltig Fernet-nyckel (`fakturabro keys generate`).[/red]")
        raise typer.Exit(2) from error
    key_file = settings.data_dir / TOKEN_KEY_FILE
    from_file = settings.token_key is None
    if from_file and not key_file.exists():
        console.print(f"[red]Ingen nyckel att rotera: varken FAKTURABRO_TOKEN_KEY eller {key_file} finns.[/red]")
        raise typer.Exit(2)
    engine = make_engine(settings.resolved_database_url)
    try:
        result = rotate(engine, [settings.fernet_key()], chosen.encode())
    except RuntimeError as error:
        console.print(f"[red]{error}[/red]")
        raise typer.Exit(1) from error
    finally:
        engine.dispose()
    console.print(f"{result.values} krypterade värden har nu den nya nyckeln ({', '.join(result.columns)}).")
    if from_file:
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        key_file.rename(key_file.with_name(f"{TOKEN_KEY_FILE}.replaced-{stamp}"))
        descriptor = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            handle.write(chosen + "\n")
        console.print(f"Nyckelfilen {key_file} är ersatt (den gamla sparad bredvid; radera den när allt fungerar).")
    elif new_key is None:
        console.print("Sätt FAKTURABRO_TOKEN_KEY till den nya nyckeln (nedan) i alla processer och starta om:")
        print(chosen)
    else:
        console.print("Sätt FAKTURABRO_TOKEN_KEY till den nya nyckeln i alla processer och starta om dem.")


@config_app.command("check")
def config_check() -> None:
    """Check the configuration (keys, database, Visma) the way `serve` and `worker` do at start."""
    report = check_or_exit()
    console.print("[green]Konfigurationen är i ordning.[/green]" if report else "")


@config_app.command("reference")
def config_reference() -> None:
    """Print the configuration reference (the table in docs/DEPLOYMENT.md)."""
    from fakturabro.ops.reference import render

    print(render())


def check_or_exit() -> bool:
    """Validate the configuration; print warnings, and errors followed by exit code 2."""
    from fakturabro.ops.startup import check, load_settings

    settings, report = load_settings()
    if settings is not None:
        report = check(settings)
    for warning in report.warnings:
        console.print(f"[yellow]Varning:[/yellow] {warning}")
    if not report.ok:
        for error in report.errors:
            console.print(f"[red]Fel i konfigurationen:[/red] {error}")
        sys.stderr.flush()
        raise typer.Exit(2)
    return True
