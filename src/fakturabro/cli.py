"""The ``fakturabro`` command: run the app, migrate the database, administer companies, users and tokens."""

from __future__ import annotations

import importlib
import os
import secrets
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import SecretStr
from rich.console import Console

from fakturabro.bootstrap import Container, build
from fakturabro.domain.errors import DomainError
from fakturabro.settings import SANDBOX_MOUNT_PATH, Settings

app = typer.Typer(help="fakturabro: fakturering för hantverkare, kopplad till Visma eEkonomi.", no_args_is_help=True)
db_app = typer.Typer(help="Databasen.", no_args_is_help=True)
company_app = typer.Typer(help="Företag (kunder av fakturabro).", no_args_is_help=True)
user_app = typer.Typer(help="Användare.", no_args_is_help=True)
token_app = typer.Typer(help="API-tokens.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(company_app, name="company")
app.add_typer(user_app, name="user")
app.add_typer(token_app, name="token")

console = Console()

# Modules of later features that add their own commands with ``register(app)``, when they exist.
COMMAND_PLUGINS = (
    "fakturabro.sync.cli",
    "fakturabro.sync.cli_visma",
    "fakturabro.sync.registers.cli",
    "fakturabro.sync.payments.cli",
    "fakturabro.sync.export.cli",
    "fakturabro.ops.cli",
    "fakturabro.cli_company",
)
# Long-running commands: configuration checked first (clear messages, exit 2), then structured logging.
CHECKED_COMMANDS = ("serve", "worker")


@app.callback()
def _before_command(ctx: typer.Context) -> None:
    if ctx.invoked_subcommand in CHECKED_COMMANDS:
        from fakturabro.observability.logging import configure_logging
        from fakturabro.ops.cli import check_or_exit

        check_or_exit()
        configure_logging()
    if ctx.invoked_subcommand == "worker" and os.environ.get("FAKTURABRO_METRICS_PORT"):
        from fakturabro.observability.metrics import serve_worker_metrics

        serve_worker_metrics(int(os.environ["FAKTURABRO_METRICS_PORT"]), _container().db)


def _container() -> Container:
    return build(Settings())


def _fail(error: DomainError) -> typer.Exit:
    console.print(f"[red]{error}[/red]")
    return typer.Exit(1)


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Adress att lyssna på.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port.")] = 8000,
    demo: Annotated[bool, typer.Option("--demo/--no-demo", help="Skapa demoföretaget i en tom databas.")] = True,
    worker: Annotated[
        bool, typer.Option("--worker/--no-worker", help="Kör även bakgrundsarbetet (export till Visma) i processen.")
    ] = True,
) -> None:
    """Start the web app and the REST API (migrates the database first), by default with the background worker."""
    import uvicorn

    from fakturabro.demo import (
        DEMO_COMPANY,
        DEMO_EMAIL,
        DEMO_PASSWORD,
        database_is_empty,
        demo_company_exists,
        seed_demo,
    )
    from fakturabro.store.migrate import upgrade
    from fakturabro.web.app import create_app

    settings = Settings()
    if settings.uses_embedded_sandbox and settings.public_url == "http://127.0.0.1:8000":
        settings = settings.model_copy(update={"public_url": f"http://{host}:{port}"})
    sink = _demo_mail_sink(settings) if settings.uses_embedded_sandbox and settings.smtp_url is None else None
    if sink is not None:
        settings = settings.model_copy(update={"smtp_url": SecretStr(sink.url)})
    container = build(settings)
    if sink is not None:
        container.extras["mail_sink_dir"] = sink.directory
    upgrade(container.engine)
    if demo and database_is_empty(container.db):
        login = seed_demo(container.db)
        console.print(f"[bold green]Demoföretaget {DEMO_COMPANY} är skapat.[/bold green]")
        console.print(f"Logga in på http://{host}:{port}/login med {login.email} / {login.password}")
        console.print(f"API-token (Bearer): {login.api_token}")
    elif demo and demo_company_exists(container.db):
        console.print(f"Demoinloggning (om lösenordet inte ändrats): {DEMO_EMAIL} / {DEMO_PASSWORD}")
    fastapi_app = create_app(container, mount_sandbox=True)
    runtime = _background_runtime() if worker else None
    if runtime is not None:
        from fakturabro.sync.executors import service_executor_id

        runtime.start(container, executor_id=service_executor_id("web"))
        # On SIGTERM uvicorn runs the app's shutdown and then re-raises the signal, so a `finally` here would never
        # run: the DBOS runtime stops with the app instead (its unfinished workflows resume at the next start).
        fastapi_app.router.on_shutdown.append(runtime.shutdown)
    if settings.uses_embedded_sandbox:
        console.print(f"Visma-sandlåda: http://{host}:{port}{SANDBOX_MOUNT_PATH}")
    if sink is not None:
        console.print(f"E-post skickas till en lokal testserver ({sink.url}): http://{host}:{port}/sent-mail")
    console.print(f"fakturabro kör på http://{host}:{port}  (API-dokumentation: /docs)")
    # log_config=None: uvicorn's lines go through our redacting structlog formatter.
    uvicorn.run(fastapi_app, host=host, port=port, log_level="info", log_config=None)


def _demo_mail_sink(settings: Settings) -> Any:
    """With the embedded sandbox and no SMTP server configured, invoice e-mails go to a local SMTP sink whose
    messages the "Skickad e-post" page shows, so sending works end to end without any account."""
    from fakturabro.mail.sink import MailSink

    sink = MailSink(settings.data_dir / "sent-mail")
    sink.start()
    return sink


def _background_runtime() -> Any:
    """The DBOS runtime of the Visma export (``fakturabro.sync.runtime``), or None before it exists."""
    try:
        return importlib.import_module("fakturabro.sync.runtime")
    except ModuleNotFoundError as error:
        if error.name not in ("fakturabro.sync.runtime", "fakturabro.sync"):
            raise
        return None


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Bring the database to the newest schema."""
    from fakturabro.store.migrate import upgrade

    container = _container()
    upgrade(container.engine)
    console.print("Databasen är uppdaterad.")


@company_app.command("create")
def company_create(name: Annotated[str, typer.Argument(help="Företagets namn.")]) -> None:
    """Create a company (a tenant)."""
    from fakturabro.invoicing.companies import create_company

    try:
        company = create_company(_container().db, name)
    except DomainError as error:
        raise _fail(error) from error
    console.print(f"Företaget {company.name} skapat med id {company.id}.")


@user_app.command("create")
def user_create(
    company: Annotated[str, typer.Option(help="Företagets namn eller id.")],
    email: Annotated[str, typer.Option(help="E-postadress (inloggning).")],
    password: Annotated[str | None, typer.Option(help="Lösenord; utelämna för att få ett genererat.")] = None,
) -> None:
    """Create a user who can log in to a company."""
    from fakturabro.invoicing.companies import create_user, find_company

    container = _container()
    chosen = password or secrets.token_urlsafe(12)
    try:
        found = find_company(container.db, company)
        create_user(container.db, found.id, email, chosen)
    except DomainError as error:
        raise _fail(error) from error
    console.print(f"Användaren {email} skapad för {found.name}.")
    if password is None:
        console.print(f"Lösenord: {chosen}")


@user_app.command("logout")
def user_logout(
    email: Annotated[str | None, typer.Option(help="Avsluta denna användares sessioner.")] = None,
    everyone: Annotated[bool, typer.Option("--all", help="Avsluta alla användares sessioner.")] = False,
) -> None:
    """End login sessions at once (a lost laptop, a leaving employee): the browsers must log in again."""
    from fakturabro.invoicing.sessions import end_all_sessions, end_sessions_of

    if (email is None) == (not everyone):
        console.print("[red]Ange antingen --email eller --all.[/red]")
        raise typer.Exit(2)
    db = _container().db
    try:
        ended = end_all_sessions(db) if everyone else end_sessions_of(db, email or "")
    except DomainError as error:
        raise _fail(error) from error
    console.print(f"{ended} session(er) avslutade.")


@user_app.command("password")
def user_password(
    email: Annotated[str, typer.Option(help="Användarens e-postadress.")],
    password: Annotated[str | None, typer.Option(help="Nytt lösenord; utelämna för att få ett genererat.")] = None,
) -> None:
    """Set a user's password; every session of the user ends at once."""
    from fakturabro.invoicing.sessions import change_password

    chosen = password or secrets.token_urlsafe(12)
    try:
        ended = change_password(_container().db, email, chosen)
    except DomainError as error:
        raise _fail(error) from error
    console.print(f"Lösenordet är bytt; {ended} session(er) avslutade.")
    if password is None:
        console.print(f"Lösenord: {chosen}")


@token_app.command("create")
def token_create(
    company: Annotated[str, typer.Option(help="Företagets namn eller id.")],
    name: Annotated[str, typer.Option(help="Vad token används till.")] = "",
    scope: Annotated[list[str] | None, typer.Option(help="Behörighet: read eller write (ange flera gånger).")] = None,
    expires: Annotated[str | None, typer.Option(help="Utgår vid denna tid, ISO 8601 med tidszon.")] = None,
) -> None:
    """Create an API token; the token is the last line of the output."""
    from datetime import datetime

    from fakturabro.invoicing.companies import create_api_token, find_company

    container = _container()
    try:
        found = find_company(container.db, company)
        expires_at = datetime.fromisoformat(expires) if expires else None
        created = create_api_token(container.db, found.id, name, scope or ("read", "write"), expires_at)
    except ValueError as error:
        console.print(f"[red]Ogiltig tid för --expires: {error}[/red]")
        raise typer.Exit(1) from error
    except DomainError as error:
        raise _fail(error) from error
    console.print(f"API-token för {found.name} (visas bara nu):")
    print(created.token)  # plain print: no wrapping or styling of the secret


@token_app.command("list")
def token_list(company: Annotated[str, typer.Option(help="Företagets namn eller id.")]) -> None:
    """The company's API tokens: prefix, scopes, state, expiry and last use (never the token itself)."""
    from rich.table import Table

    from fakturabro.invoicing.companies import find_company
    from fakturabro.invoicing.tokens import list_tokens

    container = _container()
    try:
        found = find_company(container.db, company)
    except DomainError as error:
        raise _fail(error) from error
    table = Table("Id", "Namn", "Början", "Behörighet", "Status", "Utgår", "Senast använd")
    for token in list_tokens(container.db, found.id):
        table.add_row(
            str(token.id),
            token.name,
            token.prefix + "…",
            " ".join(token.scopes),
            {"active": "aktiv", "revoked": "återkallad", "expired": "utgången"}[token.state],
            _moment(token.expires_at),
            _moment(token.last_used_at),
        )
    console.print(table)


@token_app.command("revoke")
def token_revoke(
    token_id: Annotated[int, typer.Argument(help="Tokens id (se `fakturabro token list`).")],
    company: Annotated[str, typer.Option(help="Företagets namn eller id.")],
) -> None:
    """Revoke an API token: its next request answers 401, in every process."""
    from fakturabro.invoicing.companies import find_company
    from fakturabro.invoicing.tokens import revoke_token

    container = _container()
    try:
        found = find_company(container.db, company)
        revoked = revoke_token(container.db, found.id, token_id)
    except DomainError as error:
        raise _fail(error) from error
    console.print(f"API-token {revoked.prefix}… för {found.name} är återkallad.")


def _moment(value: Any) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC") if value else "–"


@app.command()
def sandbox(
    host: Annotated[str, typer.Option(help="Adress att lyssna på.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port.")] = 8765,
    data_dir: Annotated[Path | None, typer.Option(help="Var sandlådan sparar sitt tillstånd.")] = None,
) -> None:
    """Run the Visma eAccounting sandbox on its own."""
    from fakturabro.sandbox.server import run

    run(host, port, data_dir)


def _register_plugins() -> None:
    for module_name in COMMAND_PLUGINS:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as error:
            if error.name != module_name:
                raise
            continue
        module.register(app)


_register_plugins()


if __name__ == "__main__":
    app()
