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
    """One token bucket per endpoint key: `rate_per_minute` tokens a minute, at most `burst` saved up.

    A small burst keeps any 60-second window at or under `rate_per_minute + burst`, which matters when Visma
    counts in a sliding window; the default burst of 1 spaces requests evenly (about 100 ms apart at 600/min).
    `headroom` paces a little under the limit (2 % by default: 588/min) because requests sent evenly can still
    arrive bunched after network jitter, and one request too many in Visma's window is a 429.
    """

    def __init__(
        self,
        rate_per_minute: float = VISMA_REQUESTS_PER_MINUTE,
        *,
        burst: float = 1.0,
        headroom: float = 0.02,
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
