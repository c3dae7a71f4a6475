"""Run the sandbox standalone over HTTP (`fakturabro sandbox --port 8765`)."""

from __future__ import annotations

from pathlib import Path

import uvicorn
from rich.console import Console

from fakturabro.sandbox.app import create_sandbox_app
from fakturabro.sandbox.seed import (
    DEV_CLIENT_ID,
    DEV_CLIENT_SECRET,
    SEED_COMPANY_ID,
    SEED_USER_EMAIL,
    SEED_USER_PASSWORD,
)


def describe(base_url: str, data_dir: Path | None) -> list[str]:
    """The lines printed at start: base URLs, login, client and where state lives."""
    base = base_url.rstrip("/")
    return [
        "Visma eEkonomi sandbox (test only; not Visma)",
        f"  authorize : {base}/connect/authorize",
        f"  token     : {base}/connect/token",
        f"  API       : {base}/v2",
        f"  control   : {base}/_sandbox",
        f"  login     : {SEED_USER_EMAIL} / {SEED_USER_PASSWORD}",
        f"  client    : {DEV_CLIENT_ID} / {DEV_CLIENT_SECRET} (any http://localhost or 127.0.0.1 redirect URI)",
        f"  company   : {SEED_COMPANY_ID}",
        f"  state     : {data_dir if data_dir is not None else 'in memory (lost on exit)'}",
    ]


def run(host: str, port: int, data_dir: Path | None) -> None:
    app = create_sandbox_app(data_dir)
    console = Console()
    for line in describe(f"http://{host}:{port}", data_dir):
        console.print(line, highlight=False, soft_wrap=True)
    uvicorn.run(app, host=host, port=port, log_level="info")
