"""Client-side pacing under Visma's rate limit (600 requests per minute per client and endpoint).

Pacing keeps normal operation free of 429s; the client still handles a 429 when it comes (another process, a
clock skew, a stricter server). The in-process token bucket suits one process; a database-backed pacer shared by
all workers implements the same `RatePacer` protocol.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

VISMA_REQUESTS_PER_MINUTE = 600
# Paced at 97 % of Visma's limit (582 a minute): the margin absorbs network jitter (see `TokenBucketPacer`).
DEFAULT_HEADROOM = 0.03


class RatePacer(Protocol):
    def acquire(self, endpoint_key: str) -> None:
        """Block until one more request to `endpoint_key` fits under the limit."""
        ...


class NoPacing:
    def acquire(self, endpoint_key: str) -> None:
        return None


@dataclass
class _Bucket:
    tokens: float
    updated: float


class TokenBucketPacer:
    """One token bucket per endpoint key: `rate_per_minute × (1 − headroom)` tokens a minute, at most `burst` saved.

    Why this stays under Visma's limit (600 a minute per client and endpoint, counted in a sliding window):

    - *Any 60-second window of sends* holds at most ``burst + paced rate`` requests: the bucket starts with
      ``burst`` tokens and earns the paced rate per minute, and every request takes one before it is sent. With
      the defaults (burst 1, headroom 3 %) that is 1 + 582 = 583 ≤ 600, and requests go out evenly, ~103 ms apart.
    - *Network jitter*: Visma counts arrivals, not sends. If one request's trip can take up to J seconds longer
      than another's, the arrivals in a 60 s window were sent within 60 + J seconds: at most 1 + 582 × (60 + J)/60,
      which stays under 600 for J up to 1.7 s, far more than a healthy connection varies (a request stalled
      longer, rarely, costs at worst one 429, which the client retries).
    - *Several processes*: each process has its own buckets, so N processes may send N × the rate. Production
      shares one bucket per endpoint through the database (`sync.pacing_db.DatabasePacer`, same arithmetic, the
      database's clock); this in-process bucket is for one process (the register tools, tests).

    A 429 that still comes (a stricter server, a clock skew, another process) is retried by the client after
    Visma's "Try again in N seconds". Endpoints have their own buckets: the link back (``/partnerresourcelinks``)
    and lookups on other endpoints never take the document's budget.
    """

    def __init__(
        self,
        rate_per_minute: float = VISMA_REQUESTS_PER_MINUTE,
        *,
        burst: float = 1.0,
        headroom: float = DEFAULT_HEADROOM,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if rate_per_minute <= 0 or burst < 1 or not 0 <= headroom < 1:
            raise ValueError("rate_per_minute must be positive, burst at least 1, headroom in [0, 1)")
        self._per_second = rate_per_minute * (1 - headroom) / 60.0
        self._burst = burst
        self._clock = clock
        self._sleep = sleep
        self._buckets: dict[str, _Bucket] = {}
        self._lock = threading.Lock()

    def acquire(self, endpoint_key: str) -> None:
        wait = self._reserve(endpoint_key)
        if wait > 0:
            self._sleep(wait)

    def _reserve(self, endpoint_key: str) -> float:
        # Take the token now, possibly going into debt; the caller then sleeps off the debt outside the lock, so
        # concurrent callers queue up fairly without holding the lock while they wait.
        with self._lock:
            now = self._clock()
            bucket = self._buckets.get(endpoint_key)
            if bucket is None:
                bucket = self._buckets[endpoint_key] = _Bucket(tokens=self._burst, updated=now)
            bucket.tokens = min(self._burst, bucket.tokens + (now - bucket.updated) * self._per_second)
            bucket.updated = now
            bucket.tokens -= 1
            return 0.0 if bucket.tokens >= 0 else -bucket.tokens / self._per_second
