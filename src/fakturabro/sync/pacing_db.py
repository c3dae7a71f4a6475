"""Visma's rate limit honoured across every process and machine: token buckets in the shared database.

Visma counts requests per API client and endpoint (600 a minute). With several `fakturabro worker` processes
an in-process bucket each would let N × 600 through, so every process takes its tokens from one
row per endpoint in ``visma_rate_buckets``, updated under a row lock (``SELECT … FOR UPDATE``; SQLite's
``BEGIN IMMEDIATE`` serialises the same way). Like ``visma.pacing.TokenBucketPacer`` a caller takes its token
at once, possibly into debt, and sleeps the debt off *after* the transaction, so the lock is held for one short
read-modify-write and callers queue fairly. Time is the database's clock on PostgreSQL, so the machines'
clocks need not agree. The arithmetic and its margin (582 a minute per endpoint by default, 97 % of Visma's limit,
with room for network jitter) are `TokenBucketPacer`'s; each process sleeps its wait in its own clock after the
commit, so the few milliseconds a transaction takes are one more small jitter, well inside that margin.

Floats are fine here: a bucket counts requests, not money.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from sqlalchemy import Column, Connection, Engine, Float, MetaData, String, Table, select, text

from fakturabro.visma.pacing import DEFAULT_HEADROOM, VISMA_REQUESTS_PER_MINUTE, RatePacer

_metadata = MetaData()
RATE_BUCKETS = Table(
    "visma_rate_buckets",
    _metadata,
    Column("bucket_key", String(300), primary_key=True),
    Column("tokens", Float, nullable=False),
    Column("updated_epoch", Float, nullable=False),
)


class DatabasePacer:
    """A `RatePacer` whose buckets live in the database, shared by every process using it.

    ``scope`` (the Visma client id) is part of each bucket's key: the limit is per client and endpoint.
    """

    def __init__(
        self,
        engine: Engine,
        *,
        scope: str = "visma",
        rate_per_minute: float = VISMA_REQUESTS_PER_MINUTE,
        burst: float = 1.0,
        headroom: float = DEFAULT_HEADROOM,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if rate_per_minute <= 0 or burst < 1 or not 0 <= headroom < 1:
            raise ValueError("rate_per_minute must be positive, burst at least 1, headroom in [0, 1)")
        self._engine = engine
        self._scope = scope
        self._per_second = rate_per_minute * (1 - headroom) / 60.0
        self._burst = burst
        self._sleep = sleep
        self._clock = clock  # SQLite only: PostgreSQL's buckets use the database's clock
        self._postgres = engine.dialect.name == "postgresql"

    def acquire(self, endpoint_key: str) -> None:
        wait = self._reserve(f"{self._scope}:{endpoint_key}"[:300])
        if wait > 0:
            self._sleep(wait)

    def _reserve(self, key: str) -> float:
        with self._engine.begin() as connection:
            now = self._now(connection)
            row = self._locked_row(connection, key)
            if row is None:
                self._insert_if_missing(connection, key, now)
                row = self._locked_row(connection, key)
                assert row is not None  # inserted just now, or by a concurrent first caller
            tokens, updated = row
            tokens = min(self._burst, tokens + max(0.0, now - updated) * self._per_second) - 1
            connection.execute(
                RATE_BUCKETS.update()
                .where(RATE_BUCKETS.c.bucket_key == key)
                .values(tokens=tokens, updated_epoch=max(now, updated))
            )
        return 0.0 if tokens >= 0 else -tokens / self._per_second

    def _now(self, connection: Connection) -> float:
        if self._postgres:
            return float(connection.execute(text("SELECT EXTRACT(EPOCH FROM clock_timestamp())")).scalar_one())
        return self._clock()

    def _locked_row(self, connection: Connection, key: str) -> tuple[float, float] | None:
        query = select(RATE_BUCKETS.c.tokens, RATE_BUCKETS.c.updated_epoch).where(RATE_BUCKETS.c.bucket_key == key)
        if self._postgres:
            query = query.with_for_update()
        row = connection.execute(query).first()
        return (float(row[0]), float(row[1])) if row is not None else None

    def _insert_if_missing(self, connection: Connection, key: str, now: float) -> None:
        values = {"bucket_key": key, "tokens": self._burst, "updated_epoch": now}
        if self._postgres:
            from sqlalchemy.dialects.postgresql import insert  # noqa: PLC0415 - dialect-specific

            connection.execute(insert(RATE_BUCKETS).values(**values).on_conflict_do_nothing())
        else:
            from sqlalchemy.dialects.sqlite import insert as sqlite_insert  # noqa: PLC0415

            connection.execute(sqlite_insert(RATE_BUCKETS).values(**values).on_conflict_do_nothing())


def pacer_for(engine: Engine, *, scope: str, rate_per_minute: float = VISMA_REQUESTS_PER_MINUTE) -> RatePacer:
    """The pacer the export uses: buckets in the application's database, shared by every process using it.

    On SQLite too: several processes on one machine (``serve`` and ``fakturabro worker``s) share the file, and the
    export queues have no limiter of their own any more (see `sync.runtime`), so in-process buckets would let each
    process send the full rate. One short write transaction per Visma call is small next to an export's own."""
    return DatabasePacer(engine, scope=scope, rate_per_minute=rate_per_minute)
