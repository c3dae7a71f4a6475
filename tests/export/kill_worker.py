"""A worker process for the kill test: the export runtime against the sandbox, until it is SIGKILLed.

Usage: python kill_worker.py <config.json> <executor id>. The config names our database, the data directory (the
SQLite DBOS system database lives there), the key for personal data, the sandbox URL and the tokens per company.
"""

from __future__ import annotations

import json
import sys
import threading
from pathlib import Path

import httpx

from fakturabro.bootstrap import build
from fakturabro.settings import Settings
from fakturabro.sync import runtime
from fakturabro.sync.export import workflow
from fakturabro.sync.export.steps import ExportDeps
from fakturabro.visma.client import VismaClient
from fakturabro.visma.oauth import NotConnected


def main(config_path: str, executor_id: str) -> None:
    config = json.loads(Path(config_path).read_text())
    settings = Settings(
        data_dir=Path(config["data_dir"]),
        database_url=config["database_url"],
        token_key=config["token_key"],
        secret_key="kill-test",
    )
    container = build(settings)
    tokens: dict[str, str] = config["tokens"]

    def client_for(company_id: int) -> VismaClient:
        token = tokens.get(str(company_id))
        if token is None:
            raise NotConnected()
        http = httpx.Client(headers={"Authorization": f"Bearer {token}"}, timeout=httpx.Timeout(1.0, connect=5.0))
        return VismaClient(http, f"{config['sandbox_url']}/v2", backoff_base=0.05, backoff_cap=0.5, max_retry_after=5)

    deps = ExportDeps(
        db=container.db,
        client_for=client_for,
        mode_for=lambda _company_id: config.get("mode", "draft"),
        backoff_base_seconds=0.05,
        backoff_cap_seconds=0.5,
        max_attempts=60,
        article_refresh_seconds=0,
        in_flight_grace_seconds=2.0,
    )
    runtime.launch(settings, deps, executor_id=executor_id, polling_interval_sec=0.05, schedule_pending=False)
    # What a restarted worker (or the scheduled pick-up) does: enqueue whatever is not exported yet.
    workflow.export_pending()
    print("ready", flush=True)
    threading.Event().wait()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
