"""Run in a subprocess by test_dbos_schedule.py: launch DBOS as a worker does, fire one tick, print the outcome.

A separate process because DBOS is one instance per process and the export tests keep theirs for the session.
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime

from dbos import DBOS

from fakturabro.bootstrap import build
from fakturabro.sync import runtime
from fakturabro.sync.connection import visma_client_for
from fakturabro.sync.export.steps import ExportDeps
from fakturabro.sync.payments import schedule


def main() -> None:
    company_id = int(sys.argv[1])
    container = build()
    deps = ExportDeps(
        db=container.db,
        client_for=lambda company: visma_client_for(container, company),
        mode_for=lambda _company: "draft",
    )
    runtime.launch(container.settings, deps, schedule_pending=True)
    try:
        created = DBOS.get_schedule(schedule.SCHEDULE_NAME)
        tick = datetime(2026, 3, 2, 9, 15, tzinfo=UTC)
        outcomes = []
        for _ in range(2):  # the same tick twice, as two workers would: the company's import runs once
            DBOS.start_workflow(schedule.import_payments_scheduled, tick, None).get_result()
            handle = DBOS.retrieve_workflow(schedule.workflow_id(company_id, tick))
            outcomes.append(handle.get_result())
        print(json.dumps({"cron": created["schedule"] if created else None, "outcomes": outcomes}))
    finally:
        runtime.shutdown()
        container.close()


if __name__ == "__main__":
    main()
