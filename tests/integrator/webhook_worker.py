"""A worker process for the webhook tests: the DBOS runtime with webhook delivery (short retry delays), until it
is stopped. Usage: python webhook_worker.py <config.json> <executor id>."""

from __future__ import annotations

import json
import sys
import threading
from pathlib import Path

import httpx

from fakturabro.bootstrap import build
from fakturabro.settings import Settings
from fakturabro.sync import runtime
from fakturabro.sync.export.steps import ExportDeps
from fakturabro.sync.webhooks import delivery
from fakturabro.visma.client import VismaClient
from fakturabro.visma.oauth import NotConnected


def main(config_path: str, executor_id: str) -> None:
    config = json.loads(Path(config_path).read_text())
    settings = Settings(
        data_dir=Path(config["data_dir"]),
        database_url=config["database_url"],
        token_key=config["token_key"],
        secret_key="webhook-test",
    )
    container = build(settings)

    def not_connected(_company_id: int) -> VismaClient:
        raise NotConnected()

    deps = ExportDeps(db=container.db, client_for=not_connected, mode_for=lambda _company_id: "draft")
    webhook_deps = delivery.WebhookDeps(
        db=container.db,
        http=httpx.Client(),
        allow_loopback=True,
        retry_delays=tuple(config["retry_delays"]),
    )
    runtime.launch(
        settings,
        deps,
        executor_id=executor_id,
        polling_interval_sec=0.05,
        schedule_pending=False,
        webhook_deps=webhook_deps,
    )
    delivery.schedule_dispatch()
    print("ready", flush=True)
    threading.Event().wait()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
