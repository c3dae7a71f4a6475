"""`fakturabro visma reconcile --company NAME`: one run in this process (a DBOS workflow on the reconciliation
queue, which this process alone listens to), then its findings as tables."""

from __future__ import annotations

from typing import Any

from dbos import DBOS
from rich.console import Console
from rich.table import Table

from fakturabro.bootstrap import build
from fakturabro.domain.errors import NotFound
from fakturabro.invoicing.companies import find_company
from fakturabro.sync import connection
from fakturabro.sync.reconciliation import run as reconciliation


def run_and_report(console: Console, company: str) -> int:
    """The exit code: 0 nothing to resolve, 1 findings (or an unknown company), 2 no connection / run failed."""
    from fakturabro.sync import runtime
    from fakturabro.sync.executors import one_shot_executor_id, stop_one_shot

    container = build()
    try:
        try:
            company_id = find_company(container.db, company).id
        except NotFound as missing:
            console.print(f"[red]{missing}[/red]")
            return 1
        if not connection.connection_status(container.db, company_id).connected:
            console.print("[red]Företaget är inte kopplat till Visma eEkonomi. Koppla under Inställningar.[/red]")
            return 2
        executor_id = one_shot_executor_id()
        DBOS(config=runtime.dbos_config(container.settings, executor_id=executor_id))
        DBOS.listen_queues([reconciliation.RECONCILE_QUEUE])  # this run only, never the exports
        runtime.launch(
            container.settings, runtime.production_deps(container), executor_id=executor_id, schedule_pending=False
        )
        try:
            run_id = reconciliation.start_run(container.db, company_id, "cli")
            console.print("Avstämningen mot Visma eEkonomi pågår …")
            reconciliation.wait_for_run(run_id)
        finally:
            stop_one_shot()
        result = reconciliation.latest_result(container.db, company_id)
    finally:
        container.close()
    assert result is not None
    return report(console, result)


def report(console: Console, result: dict[str, Any]) -> int:
    if result["state"] != "done":
        console.print(f"[red]{result['error'] or 'Avstämningen blev inte klar.'}[/red]")
        return 2
    customers, articles = result["customers"], result["articles"]
    console.print(
        f"Kunder: {customers['matched']} stämmer, {len(customers['findings'])} att lösa, "
        f"{customers['only_in_visma']} finns bara i Visma. Artiklar: {articles['matched']} stämmer, "
        f"{len(articles['findings'])} skiljer sig. {result['visma_calls']} anrop till Visma."
    )
    findings = [f for f in customers["findings"] + articles["findings"] if f["resolution"] is None]
    if findings:
        table = Table(title="Att lösa (Inställningar → Visma → Avstämning)")
        table.add_column("Id", no_wrap=True)
        table.add_column("Nummer", no_wrap=True)
        table.add_column("Avvikelse")
        table.add_column("Åtgärder")
        for finding in findings:
            number = finding.get("customer_number") or finding.get("article_number")
            actions = ", ".join(action["action"] for action in finding["actions"])
            table.add_row(finding["id"], str(number), finding["message"], actions)
        console.print(table)
    numbering = result["numbering"]
    mark = "[green]OK[/green]" if numbering["agrees"] else "[red]Åtgärda[/red]"
    console.print(f"{mark} Fakturanummer: nästa här {numbering['ours_next']}, i Visma {numbering['visma_next']}.")
    for item in result["settings"]:
        console.print(f"{'[green]OK[/green]' if item['ok'] else '[red]Åtgärda[/red]'} {item['message']}")
    return 1 if findings else 0
