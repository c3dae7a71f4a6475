"""The in-process token bucket at its production setting: 600 a minute less 3 % headroom, burst 1."""

from __future__ import annotations

import pytest

from fakturabro.visma.pacing import VISMA_REQUESTS_PER_MINUTE, TokenBucketPacer

from .pacing_sim import FakeClock, arrivals, busiest_window, send_times

THREADS = 6
CALLS = 400  # per thread: 2,400 requests ≈ 4 minutes of pacing at 582 a minute


def _default_pacer(clock: FakeClock) -> TokenBucketPacer:
    return TokenBucketPacer(clock=clock, sleep=clock.sleep)


def test_no_60_second_window_exceeds_the_limit_with_several_threads() -> None:
    sent = send_times(_default_pacer, THREADS, CALLS)
    assert len(sent) == THREADS * CALLS
    busiest = busiest_window(sent)
    assert busiest <= 582 + 1  # the paced rate plus the burst
    assert busiest >= 582 - 1  # and the pacer does reach its rate: 97 % of Visma's ceiling


def test_the_rate_is_reached_over_the_whole_run() -> None:
    sent = send_times(_default_pacer, THREADS, CALLS)
    per_minute = (len(sent) - 1) / (sent[-1] - sent[0]) * 60
    assert per_minute == pytest.approx(582, rel=0.002)


def test_the_headroom_absorbs_network_jitter_up_to_a_second_and_a_half() -> None:
    sent = send_times(_default_pacer, THREADS, CALLS)
    assert busiest_window(arrivals(sent, jitter=1.5)) <= VISMA_REQUESTS_PER_MINUTE


def test_without_headroom_jitter_would_overrun_visma_s_window() -> None:
    def no_headroom(clock: FakeClock) -> TokenBucketPacer:
        return TokenBucketPacer(headroom=0, clock=clock, sleep=clock.sleep)

    sent = send_times(no_headroom, THREADS, CALLS)
    assert busiest_window(sent) <= VISMA_REQUESTS_PER_MINUTE + 1
    assert busiest_window(arrivals(sent, jitter=1.5)) > VISMA_REQUESTS_PER_MINUTE  # why the 3 % are there


def test_endpoints_have_their_own_buckets() -> None:
    clock = FakeClock()
    pacer = TokenBucketPacer(clock=clock, sleep=clock.sleep)
    pacer.acquire("/customerinvoicedrafts")
    pacer.acquire("/partnerresourcelinks")
    assert clock.sent_at() == clock.now  # the link's first request does not wait for the draft's budget
    pacer.acquire("/customerinvoicedrafts")
    assert clock.sent_at() - clock.now == pytest.approx(60 / 582, abs=0.002)
