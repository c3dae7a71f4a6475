"""Prometheus metrics (prometheus-client) for ``/metrics``.

Two kinds:
- State read from the database when scraped (``DatabaseCollector``): exports by state, queue depth and the age
  of the oldest waiting export, payment-import runs by status. These are global — every process that serves
  ``/metrics`` reports the same numbers — so they stay right with any number of workers.
- Counters of this process, counted from the events the Visma adapter logs (``count_event``): Visma calls by
  endpoint and status, 429s, retries, token refreshes and their failures. Scrape every process (a worker serves
  them with ``fakturabro worker --metrics-port``) and sum.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, MutableMapping
from datetime import UTC, datetime
from typing import Any

from prometheus_client import CollectorRegistry, Counter, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from fakturabro.store.database import Database
from fakturabro.store.export_state_repository import exports_by_state, oldest_update_in
from fakturabro.store.payment_repository import import_runs_by_status

EXPORT_STATES = ("waiting", "exporting", "exported", "failed", "needs_reconnect")
WAITING_STATES = ("waiting", "exporting")

VISMA_REQUESTS = Counter(
    "fakturabro_visma_requests",
    "Calls to the Visma API by endpoint (path template), method and HTTP status ('none' when no answer came).",
    ["endpoint", "method", "status"],
    registry=None,
)
VISMA_RATE_LIMITED = Counter(
    "fakturabro_visma_rate_limited", "Visma answers 429 Too Many Requests, by endpoint.", ["endpoint"], registry=None
)
VISMA_RETRIES = Counter("fakturabro_visma_retries", "Retried Visma calls, by endpoint.", ["endpoint"], registry=None)
TOKEN_REFRESHES = Counter(
    "fakturabro_visma_token_refreshes",
    "Visma Connect token requests by grant type and outcome (ok, failed).",
    ["grant_type", "outcome"],
    registry=None,
)
PROCESS_COUNTERS = (VISMA_REQUESTS, VISMA_RATE_LIMITED, VISMA_RETRIES, TOKEN_REFRESHES)


def count_event(event: MutableMapping[str, Any]) -> None:
    """Count one log event of the Visma adapter (``visma.request``, ``visma.retry``, ``visma.oauth.token``)."""
    name = event.get("event")
    if name == "visma.request":
        endpoint = str(event.get("path") or "unknown")
        status = event.get("status")
        VISMA_REQUESTS.labels(endpoint, str(event.get("method") or ""), str(status) if status else "none").inc()
        if status == 429:  # noqa: PLR2004 - HTTP Too Many Requests
            VISMA_RATE_LIMITED.labels(endpoint).inc()
    elif name == "visma.retry":
        VISMA_RETRIES.labels(str(event.get("path") or "unknown")).inc()
    elif name == "visma.oauth.token":
        outcome = "ok" if event.get("status") == 200 else "failed"  # noqa: PLR2004 - HTTP OK
        TOKEN_REFRESHES.labels(str(event.get("grant_type") or "unknown"), outcome).inc()


class DatabaseCollector(Collector):
    """Gauges read from the shared database at scrape time."""

    def __init__(self, db: Database, clock: Callable[[], datetime] | None = None) -> None:
        self._db = db
        self._clock = clock or (lambda: datetime.now(UTC))

    def describe(self) -> list[Metric]:
        return []  # registered before the database may be migrated: collect only when scraped

    def collect(self) -> Iterator[Metric]:
        with self._db.transaction() as session:
            by_state = exports_by_state(session)
            oldest = oldest_update_in(session, WAITING_STATES)
            runs = import_runs_by_status(session)
        exports = GaugeMetricFamily("fakturabro_exports", "Invoices by export state.", labels=["state"])
        for state in sorted(set(EXPORT_STATES) | set(by_state)):
            exports.add_metric([state], by_state.get(state, 0))
        yield exports
        yield GaugeMetricFamily(
            "fakturabro_export_queue_depth",
            "Exports not finished yet (waiting or exporting).",
            value=sum(by_state.get(state, 0) for state in WAITING_STATES),
        )
        yield GaugeMetricFamily(
            "fakturabro_export_oldest_waiting_age_seconds",
            "Seconds since the oldest unfinished export last moved (0 when none waits).",
            value=self._age_seconds(oldest),
        )
        import_runs = GaugeMetricFamily(
            "fakturabro_payment_import_runs", "Payment-import runs by status.", labels=["status"]
        )
        for status in sorted({"running", "succeeded", "failed"} | set(runs)):
            import_runs.add_metric([status], runs.get(status, 0))
        yield import_runs

    def _age_seconds(self, oldest: datetime | None) -> float:
        if oldest is None:
            return 0.0
        if oldest.tzinfo is None:
            oldest = oldest.replace(tzinfo=UTC)  # SQLite forgets the zone; we store UTC
        return max(0.0, (self._clock() - oldest).total_seconds())


def registry_for(db: Database) -> CollectorRegistry:
    """A registry with this process's counters and the database's gauges (one per app, so tests stay apart)."""
    registry = CollectorRegistry()
    for counter in PROCESS_COUNTERS:
        registry.register(counter)
    registry.register(DatabaseCollector(db))
    return registry


def render(registry: CollectorRegistry) -> bytes:
    return generate_latest(registry)


def serve_worker_metrics(port: int, db: Database, host: str = "127.0.0.1") -> None:
    """`/metrics` of a `fakturabro worker` (no web app) on its own port, in a daemon thread."""
    from prometheus_client import start_http_server  # noqa: PLC0415 - only workers with a metrics port

    start_http_server(port, addr=host, registry=registry_for(db))
