"""The Visma adapter's log events move the process counters: calls, 429s, retries, token refreshes."""

from __future__ import annotations

from fakturabro.observability import metrics


def _value(counter: object, **labels: str) -> float:
    for family in counter.collect():  # type: ignore[attr-defined]
        for sample in family.samples:
            if sample.name.endswith("_total") and sample.labels == labels:
                return float(sample.value)
    return 0.0


def test_visma_calls_429s_retries_and_token_refreshes_are_counted() -> None:
    endpoint = "/test-endpoint-metrics"
    calls = {"endpoint": endpoint, "method": "POST", "status": "429"}
    before = (
        _value(metrics.VISMA_REQUESTS, **calls),
        _value(metrics.VISMA_RATE_LIMITED, endpoint=endpoint),
        _value(metrics.VISMA_RETRIES, endpoint=endpoint),
        _value(metrics.TOKEN_REFRESHES, grant_type="refresh_token", outcome="failed"),
        _value(metrics.VISMA_REQUESTS, endpoint=endpoint, method="GET", status="none"),
    )
    metrics.count_event({"event": "visma.request", "path": endpoint, "method": "POST", "status": 429})
    metrics.count_event({"event": "visma.retry", "path": endpoint, "method": "POST"})
    metrics.count_event({"event": "visma.oauth.token", "grant_type": "refresh_token", "status": 400})
    metrics.count_event({"event": "visma.request", "path": endpoint, "method": "GET", "status": None})
    metrics.count_event({"event": "something.else", "path": endpoint, "status": 429})
    after = (
        _value(metrics.VISMA_REQUESTS, **calls),
        _value(metrics.VISMA_RATE_LIMITED, endpoint=endpoint),
        _value(metrics.VISMA_RETRIES, endpoint=endpoint),
        _value(metrics.TOKEN_REFRESHES, grant_type="refresh_token", outcome="failed"),
        _value(metrics.VISMA_REQUESTS, endpoint=endpoint, method="GET", status="none"),
    )
    assert [a - b for a, b in zip(after, before, strict=True)] == [1, 1, 1, 1, 1]
