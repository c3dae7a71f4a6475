"""`fakturabro worker` and `fakturabro export pending`: the background export from the command line."""

from __future__ import annotations

import signal
import threading
from typing import Annotated

import typer
from rich.console import Console

console = Console()
export_app = typer.Typer(help="Export till Visma eEkonomi.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.command("worker")(worker)
    app.add_typer(export_app, name="export")


def worker(
    executor_id: Annotated[
        str | None,
        typer.Option(
            help="Arbetarens namn: unikt per process och detsamma efter omstart "
            "(standard: FAKTURABRO_EXECUTOR_ID, annars <värdnamn>-worker)."
        ),
    ] = None,
) -> None:
    """Run exports (and other background work) until stopped; start as many as you like, on any machine."""
    from fakturabro.bootstrap import build
    from fakturabro.store.migrate import upgrade
    from fakturabro.sync import runtime
    from fakturabro.sync.executors import service_executor_id

    # The handler goes in first: a SIGTERM while the worker is still starting (recovering work can take a while)
    # must also end in a clean shutdown, not in the default action that kills the process mid-step.
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    container = build()
    upgrade(container.engine)
    runtime.start(container, executor_id=executor_id or service_executor_id("worker"))
    console.print("[green]fakturabro worker kör. Avsluta med Ctrl+C.[/green]")
    try:
        stop.wait()
    except KeyboardInterrupt:
        pass
    finally:
        runtime.shutdown()
        container.close()


@export_app.command("pending")
def pending(
    company: Annotated[int | None, typer.Option(help="Bara detta företags id.")] = None,
    include_failed: Annotated[bool, typer.Option("--include-failed/--no-failed", help="Även misslyckade.")] = True,
) -> None:
    """Export every approved invoice that is not in Visma yet (waiting, needs reconnect, failed)."""
    from fakturabro.bootstrap import build
    from fakturabro.sync.executors import launch_one_shot, stop_one_shot
    from fakturabro.sync.export import workflow

    container = build()
    launch_one_shot(container)  # only enqueues: the workers (or `serve`) run the exports
    try:
        started = workflow.export_pending([company] if company else None, include_failed=include_failed)
        console.print(f"{len(started)} fakturor köade för export till Visma.")
    finally:
        stop_one_shot()
        container.close()
