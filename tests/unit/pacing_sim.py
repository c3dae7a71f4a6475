"""Pacers under a fake clock: many threads ask at once, and every request's send and arrival time is recorded.

The clock is shared and moves forward a little on every read (threads asking in quick succession, as a burst of
exports does); a pacer's ``sleep`` does not move it, it only tells when that thread's request goes out (the time
it asked plus its wait). So threads keep asking long before their earlier requests have gone out: a harsher load
than real threads, which wait out their sleep before asking again.
"""

from __future__ import annotations

import bisect
import random
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from fakturabro.visma.pacing import RatePacer

WINDOW = 60.0


@dataclass
class FakeClock:
    tick: float = 0.0005
    now: float = 1_000.0
    lock: threading.Lock = field(default_factory=threading.Lock)
    asked: threading.local = field(default_factory=threading.local)

    def __call__(self) -> float:
        with self.lock:
            self.now += self.tick
            self.asked.at, self.asked.waited = self.now, 0.0
            return self.now

    def sleep(self, seconds: float) -> None:
        self.asked.waited += seconds

    def sent_at(self) -> float:
        """When this thread's last request goes out: the time it asked plus its wait."""
        return float(self.asked.at + self.asked.waited)


def send_times(make_pacer: Callable[[FakeClock], RatePacer], threads: int, calls: int) -> list[float]:
    """Every request's send time, from ``threads`` threads each asking ``calls`` times for one endpoint."""
    clock = FakeClock()
    pacer = make_pacer(clock)
    sent: list[float] = []
    sent_lock = threading.Lock()

    def run() -> None:
        for _ in range(calls):
            pacer.acquire("/customerinvoicedrafts")
            at = clock.sent_at()
            with sent_lock:
                sent.append(at)

    workers = [threading.Thread(target=run) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return sorted(sent)


def busiest_window(times: list[float]) -> int:
    """The most requests in any 60-second window (each window starting at a request: the worst ones do)."""
    ordered = sorted(times)
    return max(bisect.bisect_left(ordered, start + WINDOW) - i for i, start in enumerate(ordered))


def arrivals(times: list[float], jitter: float, seed: int = 1) -> list[float]:
    """Send times after a network trip that varies by up to ``jitter`` seconds."""
    rng = random.Random(seed)
    return [t + rng.uniform(0, jitter) for t in times]
