"""Benchmark: Visma calls (and time) of pushing the article register, 5,000 articles by default.

    .venv/bin/python bench/registers_push.py
    FAKTURABRO_BENCH_ARTICLES=1000 .venv/bin/python bench/registers_push.py

Fills a fresh SQLite register from a generated CSV, pushes it to the sandbox (in process over real HTTP, in
memory, rate limit off so the raw time shows), pushes again (nothing to do), changes 100 prices and pushes once
more. Calls are counted twice: by the run (`CountingPacer`) and by the sandbox's request log.
"""

from __future__ import annotations

import os
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
from cryptography.fernet import Fernet

from fakturabro.bootstrap import build
from fakturabro.invoicing.companies import create_company
from fakturabro.registers.files import write_csv
from fakturabro.registers.imports import import_file
from fakturabro.sandbox.testing import FakeClock, live_sandbox
from fakturabro.settings import Settings
from fakturabro.store.migrate import upgrade
from fakturabro.sync.registers.operations import CountingPacer, push_articles
from fakturabro.visma.client import VismaClient
from fakturabro.visma.pacing import VISMA_REQUESTS_PER_MINUTE

ARTICLES = int(os.environ.get("FAKTURABRO_BENCH_ARTICLES", "5000"))
PACED_PER_MINUTE = VISMA_REQUESTS_PER_MINUTE * 0.98  # TokenBucketPacer's default headroom


def register_file(count: int, price: str = "10,00") -> bytes:
    rows = [[f"A{n:05d}", f"Artikel {n}", "st", price, "25"] for n in range(count)]
    return write_csv(["Artikelnummer", "Benämning", "Enhet", "Pris", "Moms"], rows)


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp, live_sandbox(None, clock=FakeClock(datetime.now(UTC))) as sandbox:
        httpx.put(f"{sandbox.base_url}/_sandbox/faults", json={"rate_limit_per_minute": 0}, timeout=10)
        settings = Settings(data_dir=Path(tmp) / "data", token_key=Fernet.generate_key().decode())
        container = build(settings)
        upgrade(container.engine)
        company_id = create_company(container.db, "Benchmark AB").id
        import_file(container.db, company_id, "articles", register_file(ARTICLES), "register.csv")
        http = httpx.Client(timeout=60, headers={"Authorization": f"Bearer {sandbox.token()['access_token']}"})

        def push(label: str) -> None:
            httpx.delete(f"{sandbox.base_url}/_sandbox/requests", timeout=10)
            counter = CountingPacer()
            client = VismaClient(http, sandbox.api_url, pacer=counter)
            started = time.perf_counter()
            outcome = push_articles(container.db, client, company_id, counter=counter)
            elapsed = time.perf_counter() - started
            log = httpx.get(f"{sandbox.base_url}/_sandbox/requests", timeout=10).json()
            paced = log["total"] / PACED_PER_MINUTE
            print(
                f"{label}: written={outcome.written} counts={outcome.preview.counts} calls(counter)={counter.calls} "
                f"calls(sandbox)={log['total']} by endpoint={log['counts']} time={elapsed:.1f}s "
                f"paced at {PACED_PER_MINUTE:.0f}/min ≥ {paced:.1f} min"
            )

        push(f"first push, {ARTICLES} new articles")
        push("second push, nothing changed")
        import_file(container.db, company_id, "articles", register_file(100, "12,00"), "prices.csv")
        push("third push, 100 prices changed")
        http.close()
        container.close()


if __name__ == "__main__":
    main()
