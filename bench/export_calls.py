"""Benchmark: Visma calls per exported invoice (first export and steady state), throughput and CPU per invoice.

    .venv/bin/python bench/export_calls.py                       # 100 invoices × 5 rows over 20 customers
    FAKTURABRO_BENCH_INVOICES=1000 FAKTURABRO_BENCH_CUSTOMERS=200 .venv/bin/python bench/export_calls.py
    FAKTURABRO_BENCH_LINK_BACK=0 ...                             # without the partner resource link
    FAKTURABRO_BENCH_SANDBOX=process ...                         # sandbox in its own process (our CPU apart)
    FAKTURABRO_BENCH_PROFILE=export.prof ...                     # cProfile of every thread, both rounds

Two rounds of N invoices against the sandbox over real HTTP (zero latency, rate limit off), SQLite, one DBOS
executor in process: round 1 meets new customers (first-export cost), round 2 the same customers again with
the article cache warm (steady state). Calls are counted by the sandbox's request log (`/_sandbox/requests`),
per endpoint: the export's calls and the link's (`/partnerresourcelinks`, its own lane after the export) apart;
throughput is to "exported", and a round ends once its links are made too.
Set DATABASE_URL to a PostgreSQL URL to measure on PostgreSQL (DBOS then uses it too).

With ``FAKTURABRO_BENCH_SANDBOX=process`` the sandbox runs as `fakturabro sandbox` in a child process on a
loopback port, so "CPU per invoice" is this process's own (``getrusage(RUSAGE_SELF)``) and the sandbox's CPU
(read from /proc) is reported apart. ``FAKTURABRO_BENCH_RATE_LIMIT`` (default 0 = off) turns the sandbox's
per-endpoint limit on, for the bulk-export-under-the-real-limit figure.

The Visma client paces its calls like production (`sync.pacing_db.pacer_for`: 582 a minute per endpoint);
``FAKTURABRO_BENCH_PACING=0`` turns that off to measure our own overhead alone. ``FAKTURABRO_BENCH_ROUND_LATENCY_MS``
gives every sandbox answer that latency during both rounds (Visma answers in 100–300 ms), and
``FAKTURABRO_EXPORT_PER_COMPANY_CONCURRENCY`` (default 8) sets the parallel lane. Each round says how many exports
ran in which lane (routed at enqueue time; "handed over" = an export that had to create something its lane may not).

    FAKTURABRO_BENCH_INVOICES=1000 FAKTURABRO_BENCH_CUSTOMERS=200 FAKTURABRO_BENCH_SANDBOX=process \
    FAKTURABRO_BENCH_RATE_LIMIT=600 FAKTURABRO_BENCH_LINK_BACK=0 FAKTURABRO_BENCH_ROUND_LATENCY_MS=100 \
    .venv/bin/python bench/export_calls.py                       # bulk export at Visma's ceiling (issue 5)
"""

from __future__ import annotations

import cProfile
import os
import pstats
import resource
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from decimal import Decimal
from pathlib import Path

import httpx
from cryptography.fernet import Fernet
from dbos import DBOS
from sqlalchemy import func, or_, select

from fakturabro.bootstrap import build
from fakturabro.invoicing import customers, invoices
from fakturabro.invoicing.companies import create_company
from fakturabro.invoicing.inputs import CustomerInput, InvoiceInput, RowInput
from fakturabro.sandbox.testing import free_port, live_sandbox
from fakturabro.settings import Settings
from fakturabro.store.export_models import InvoiceExport, InvoiceExportLog
from fakturabro.store.migrate import upgrade
from fakturabro.sync import runtime
from fakturabro.sync.export import workflow
from fakturabro.sync.export.steps import ExportDeps
from fakturabro.sync.pacing_db import pacer_for
from fakturabro.visma.client import VismaClient

INVOICES = int(os.environ.get("FAKTURABRO_BENCH_INVOICES", "100"))
CUSTOMERS = int(os.environ.get("FAKTURABRO_BENCH_CUSTOMERS", "20"))
LINK_BACK = os.environ.get("FAKTURABRO_BENCH_LINK_BACK", "1") != "0"
LATENCY_MS = int(os.environ.get("FAKTURABRO_BENCH_LATENCY_MS", "0"))  # > 0: measure approval → exported latency
SEPARATE_SANDBOX = os.environ.get("FAKTURABRO_BENCH_SANDBOX", "thread") == "process"
RATE_LIMIT = int(os.environ.get("FAKTURABRO_BENCH_RATE_LIMIT", "0"))
PROFILE = os.environ.get("FAKTURABRO_BENCH_PROFILE")
PACING = os.environ.get("FAKTURABRO_BENCH_PACING", "1") != "0"
ROUND_LATENCY_MS = int(os.environ.get("FAKTURABRO_BENCH_ROUND_LATENCY_MS", "0"))
POLLING_SECONDS = float(os.environ.get("FAKTURABRO_BENCH_POLLING_S", "0.05"))  # DBOS queue polling (production 0.2)


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


class Sandbox:
    """Where the sandbox runs: its base URL and (in a child process) its process id for its CPU time."""

    def __init__(self, base_url: str, pid: int | None) -> None:
        self.base_url, self.pid = base_url, pid

    def cpu_seconds(self) -> float | None:
        if self.pid is None:
            return None
        fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


@contextmanager
def profiled(path: str | None) -> Iterator[None]:
    """cProfile (CPU time of each thread) in every thread started from here on (DBOS's workers) and this one; one
    merged file at the end."""
    if not path:
        yield
        return
    profilers: list[cProfile.Profile] = []

    def start_in_thread(*_args: object) -> None:  # the first event in a new thread: profile it from here on
        profiler = cProfile.Profile(time.thread_time)
        profilers.append(profiler)
        profiler.enable()

    threading.setprofile(start_in_thread)
    main_profiler = cProfile.Profile(time.thread_time)
    main_profiler.enable()
    try:
        yield
    finally:
        threading.setprofile(None)
        main_profiler.disable()
        stats = pstats.Stats(main_profiler)
        for profiler in profilers:
            profiler.create_stats()
            stats.add(profiler)
        stats.dump_stats(path)


@contextmanager
def sandbox_server() -> Iterator[Sandbox]:
    if not SEPARATE_SANDBOX:
        with live_sandbox(None, rate_limit_per_minute=RATE_LIMIT) as sandbox:
            yield Sandbox(sandbox.base_url, None)
        return
    port = free_port()
    command = [sys.executable, "-m", "fakturabro.cli", "sandbox", "--host", "127.0.0.1", "--port", str(port)]
    child = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # noqa: S603
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(f"{base_url}/_sandbox/faults", timeout=1).raise_for_status()
                break
            except httpx.HTTPError:
                if time.monotonic() > deadline or child.poll() is not None:
                    raise RuntimeError("the sandbox process did not start") from None
                time.sleep(0.1)
        httpx.put(f"{base_url}/_sandbox/faults", json={"rate_limit_per_minute": RATE_LIMIT}, timeout=5)
        yield Sandbox(base_url, child.pid)
    finally:
        child.terminate()
        child.wait(timeout=10)


def main() -> None:
    with tempfile.TemporaryDirectory() as data_dir, sandbox_server() as sandbox, profiled(PROFILE):
        control = httpx.Client(base_url=f"{sandbox.base_url}/_sandbox", timeout=30)
        token = control.post("/token", json={}).json()["access_token"]
        settings = Settings(
            data_dir=Path(data_dir),
            database_url=os.environ.get("DATABASE_URL"),
            token_key=Fernet.generate_key().decode(),
            secret_key="bench",
        )
        container = build(settings)
        upgrade(container.engine)
        company_id = create_company(container.db, f"Bench {time.time()}").id

        # One client for the run, as `runtime.production_deps` keeps one per company and connection.
        http = httpx.Client(headers={"Authorization": f"Bearer {token}"}, timeout=30)
        pacer = pacer_for(container.engine, scope="bench") if PACING else None
        visma = VismaClient(http, f"{sandbox.base_url}/v2", pacer=pacer)

        def client_for(_company_id: int) -> VismaClient:
            return visma

        deps = ExportDeps(db=container.db, client_for=client_for, mode_for=lambda _c: "draft", link_back=LINK_BACK)
        runtime.launch(settings, deps, polling_interval_sec=POLLING_SECONDS, schedule_pending=False)
        buyers = [
            customers.create_customer(
                container.db,
                company_id,
                CustomerInput(name=f"Kund {n}", postal_code="41101", city="Göteborg", customer_number=f"B{n}"),
            )
            for n in range(CUSTOMERS)
        ]
        try:
            if LATENCY_MS:
                measure_latency(container, company_id, [b.customer_number for b in buyers], control)
                return
            if ROUND_LATENCY_MS:
                control.put("/faults", json={"latency_ms": ROUND_LATENCY_MS})
            print(
                f"pacing {'on (582/min per endpoint)' if PACING else 'off'}, sandbox latency {ROUND_LATENCY_MS} ms, "
                f"parallel lane {runtime.PER_COMPANY_CONCURRENCY} per company, queue polling {POLLING_SECONDS} s"
            )
            for label in ("first export (new customers)", "steady state (known customers, articles cached)"):
                control.delete("/requests")
                ids = approve(container, company_id, [b.customer_number for b in buyers])
                started, cpu, sandbox_cpu = time.perf_counter(), cpu_seconds(), sandbox.cpu_seconds()
                for invoice_id in ids:
                    workflow.start_export(company_id, invoice_id)
                wait(container, ids)
                elapsed = time.perf_counter() - started
                if LINK_BACK:  # the links follow in their own lane; the round ends when they are done too
                    wait_links(container, ids)
                linked_after, cpu_used = time.perf_counter() - started, cpu_seconds() - cpu
                sandbox_after = sandbox.cpu_seconds()
                logged = control.get("/requests").json()
                counts = logged["counts"]
                calls = sum(counts.values())
                link_calls = sum(count for name, count in counts.items() if "/partnerresourcelinks" in name)
                throttled = sum(1 for entry in logged["requests"] if entry["status"] == 429)
                print(
                    f"{label}: {len(ids)} invoices × 5 rows, {calls} Visma calls = {calls / len(ids):.2f} per invoice"
                )
                print(
                    f"  export {calls - link_calls} calls = {(calls - link_calls) / len(ids):.2f} per invoice, "
                    f"link {link_calls} = {link_calls / len(ids):.2f} per invoice"
                    + (f" (all linked {linked_after:.1f} s after the start)" if LINK_BACK else "")
                )
                per_invoice_ms = cpu_used * 1000 / len(ids)
                whose = "ours, sandbox apart" if SEPARATE_SANDBOX else "whole process, sandbox included"
                print(f"  {len(ids) / elapsed:.1f} invoices/s, {per_invoice_ms:.0f} ms CPU per invoice ({whose})")
                if sandbox_cpu is not None and sandbox_after is not None:
                    print(
                        f"  sandbox process: {(sandbox_after - sandbox_cpu) * 1000 / len(ids):.0f} ms CPU per invoice"
                    )
                print(f"  {elapsed:.1f} s for the round, {throttled} answered 429 (rate limit {RATE_LIMIT or 'off'})")
                print("  lanes: " + lanes(container, ids))
                print("  " + ", ".join(f"{k}: {v}" for k, v in sorted(counts.items())))
        finally:
            runtime.shutdown()
            container.close()


def measure_latency(container: object, company_id: int, numbers: list[str], control: httpx.Client) -> None:
    """One invoice at a time (customers known, articles cached after the first): approval → exported."""
    control.put("/faults", json={"latency_ms": LATENCY_MS})
    latencies = []
    for n in range(INVOICES):
        (invoice_id,) = approve(container, company_id, [numbers[n % len(numbers)]], count=1)
        started = time.perf_counter()
        workflow.start_export(company_id, invoice_id)
        wait(container, [invoice_id])
        latencies.append(time.perf_counter() - started)
    latencies.sort()
    p50, p95 = latencies[len(latencies) // 2], latencies[int(len(latencies) * 0.95) - 1]
    print(f"approval → exported at {LATENCY_MS} ms Visma latency, {INVOICES} invoices one at a time:")
    print(f"  p50 {p50 * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms, max {latencies[-1] * 1000:.0f} ms")


def approve(container: object, company_id: int, numbers: list[str], count: int = INVOICES) -> list[int]:
    from fakturabro.bootstrap import Container

    assert isinstance(container, Container)
    rows = [
        RowInput(text=f"Rad {n}", quantity=Decimal(n + 1), unit_price=Decimal("123.45"), kind="material")
        for n in range(5)
    ]
    ids = []
    for n in range(count):
        data = InvoiceInput(customer_number=numbers[n % len(numbers)], invoice_date=date(2026, 3, 2), rows=rows)
        draft = invoices.create_invoice(container.db, company_id, data)
        ids.append(invoices.approve_invoice(container.db, company_id, draft.id).id)
    return ids


def wait_links(container: object, ids: list[int]) -> None:
    from fakturabro.bootstrap import Container

    assert isinstance(container, Container)
    while True:
        with container.db.transaction() as session:
            pending = session.scalar(
                select(func.count())
                .select_from(InvoiceExport)
                .where(
                    InvoiceExport.invoice_id.in_(ids),
                    InvoiceExport.visma_document_type == "draft",
                    or_(InvoiceExport.visma_link_id.is_(None), InvoiceExport.visma_link_id == "pending"),
                )
            )
        if not pending:
            return
        time.sleep(0.05)


def lanes(container: object, ids: list[int]) -> str:
    """How many exports of the round were routed to each lane, and how many the parallel lane handed over."""
    from fakturabro.bootstrap import Container

    assert isinstance(container, Container)
    with container.db.transaction() as session:
        query = select(InvoiceExport.invoice_id, InvoiceExport.generation).where(InvoiceExport.invoice_id.in_(ids))
        generations = {row.invoice_id: row.generation for row in session.execute(query)}
        handed_over = session.scalar(
            select(func.count(func.distinct(InvoiceExportLog.invoice_id))).where(
                InvoiceExportLog.invoice_id.in_(ids),
                InvoiceExportLog.outcome.in_(("serial_lane", "customer_lane")),
            )
        )
    statuses = DBOS.list_workflows(
        workflow_ids=[workflow.workflow_id(i, g) for i, g in generations.items()], load_input=False, load_output=False
    )
    queues = Counter(status.queue_name for status in statuses)
    return (
        f"{queues[workflow.CUSTOMER_EXPORT_QUEUE]} customers', {queues[workflow.EXPORT_QUEUE]} serial, "
        f"{queues[workflow.PARALLEL_EXPORT_QUEUE]} parallel, "
        f"{handed_over} handed over"
    )


def wait(container: object, ids: list[int]) -> None:
    from fakturabro.bootstrap import Container

    assert isinstance(container, Container)
    while True:
        with container.db.transaction() as session:
            done = session.scalar(
                select(func.count())
                .select_from(InvoiceExport)
                .where(InvoiceExport.invoice_id.in_(ids), InvoiceExport.state.in_(["exported", "failed"]))
            )
        if done == len(ids):
            return
        time.sleep(0.05)


if __name__ == "__main__":
    main()
