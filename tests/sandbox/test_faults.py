"""Visma's rate limit and the fault-injection knobs of `PUT /_sandbox/faults`."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from fakturabro.sandbox.app import create_sandbox_app
from fakturabro.sandbox.testing import FakeClock, live_sandbox

from .conftest import bearer, get_token


def test_default_limit_is_600_per_minute_per_endpoint(client: TestClient, headers: dict[str, str]) -> None:
    for _ in range(600):
        assert client.get("/v2/units", headers=headers).status_code == 200
    over = client.get("/v2/units", headers=headers)
    assert over.status_code == 429
    body = over.json()
    assert body["ErrorCode"] == 4010
    assert body["DeveloperErrorMessage"] == (
        "API calls quota exceeded! maximum admitted 600 per Minute. Try again in 60 seconds."
    )
    assert body["ErrorId"]
    assert over.headers["Retry-After"] == "60"
    assert client.get("/v2/vatcodes", headers=headers).status_code == 200  # another endpoint


def test_rate_limit_window_slides_and_is_per_client(client: TestClient, clock: FakeClock) -> None:
    assert client.put("/_sandbox/faults", json={"rate_limit_per_minute": 3}).status_code == 200
    headers = bearer(get_token(client))
    for _ in range(3):
        assert client.get("/v2/units", headers=headers).status_code == 200
    clock.advance(20)
    limited = client.get("/v2/units", headers=headers)
    assert limited.status_code == 429
    assert "maximum admitted 3 per Minute. Try again in 40 seconds." in limited.json()["DeveloperErrorMessage"]
    client.post("/_sandbox/clients", json={"client_id": "other-app", "client_secret": "x"})
    other = bearer(get_token(client, client_id="other-app"))
    assert client.get("/v2/units", headers=other).status_code == 200
    unit_id = client.get("/v2/units", headers=other).json()["Data"][0]["Id"]
    assert client.get(f"/v2/units/{unit_id}", headers=headers).status_code == 200  # another path template
    clock.advance(41)
    assert client.get("/v2/units", headers=headers).status_code == 200


def test_rate_limit_is_configurable_at_build(tmp_path: Path) -> None:
    client = TestClient(create_sandbox_app(tmp_path, rate_limit_per_minute=2))
    headers = bearer(get_token(client))
    assert [client.get("/v2/units", headers=headers).status_code for _ in range(3)] == [200, 200, 429]


def test_latency_applies_to_v2_only(client: TestClient, headers: dict[str, str]) -> None:
    client.put("/_sandbox/faults", json={"latency_ms": 200})
    started = time.perf_counter()
    assert client.get("/v2/units", headers=headers).status_code == 200
    assert time.perf_counter() - started >= 0.2
    started = time.perf_counter()
    client.get("/_sandbox/faults")
    client.post("/_sandbox/token")
    assert time.perf_counter() - started < 0.2


def test_error_rate_one_answers_500_without_processing(client: TestClient, headers: dict[str, str]) -> None:
    client.put("/_sandbox/faults", json={"error_rate": 1.0})
    terms = "00000000-0000-4000-8000-000000000000"
    answer = client.post(
        "/v2/customers",
        headers=headers,
        json={
            "Name": "Aldrig",
            "InvoiceCity": "X",
            "InvoicePostalCode": "1",
            "IsActive": True,
            "IsPrivatePerson": True,
            "TermsOfPaymentId": terms,
        },
    )
    assert answer.status_code == 500
    assert set(answer.json()) >= {"ErrorCode", "DeveloperErrorMessage", "ErrorId"}
    assert client.get("/_sandbox/faults").status_code == 200  # control API is never faulted
    client.put("/_sandbox/faults", json={"error_rate": 0})
    names = [row["Name"] for row in client.get("/v2/customers", headers=headers).json()["Data"]]
    assert "Aldrig" not in names


def test_error_rate_share_is_seeded_and_reproducible(client: TestClient, headers: dict[str, str]) -> None:
    def run() -> list[int]:
        client.put("/_sandbox/faults", json={"error_rate": 0.3, "seed": 1234})
        return [client.get("/v2/units", headers=headers).status_code for _ in range(100)]

    first = run()
    assert first == run()
    failures = first.count(500)
    assert 10 <= failures <= 50
    assert set(first) == {200, 500}


def test_faults_validate_their_values(client: TestClient) -> None:
    assert client.put("/_sandbox/faults", json={"error_rate": 2}).status_code == 400
    assert client.put("/_sandbox/faults", json={"latency_ms": -1}).status_code == 400
    assert client.put("/_sandbox/faults", json={"no_such_knob": 1}).status_code == 400
    assert client.get("/_sandbox/faults").json()["rate_limit_per_minute"] == 600


def test_timeout_after_commit_commits_then_withholds_the_answer(tmp_path: Path) -> None:
    with live_sandbox(tmp_path) as sandbox:
        httpx.put(
            f"{sandbox.base_url}/_sandbox/faults",
            json={"timeout_after_commit_rate": 1.0, "timeout_after_commit_ms": 1500},
        ).raise_for_status()
        headers = bearer(sandbox.token())
        terms = httpx.get(f"{sandbox.api_url}/termsofpayments", headers=headers).json()["Data"][0]["Id"]
        body = {
            "Name": "Sen kund",
            "InvoiceCity": "Kiruna",
            "InvoicePostalCode": "98131",
            "IsActive": True,
            "IsPrivatePerson": True,
            "TermsOfPaymentId": terms,
        }
        with pytest.raises(httpx.ReadTimeout):
            httpx.post(f"{sandbox.api_url}/customers", headers=headers, json=body, timeout=0.5)
        # reads are not delayed, and the write is already there
        found = httpx.get(
            f"{sandbox.api_url}/customers", headers=headers, params={"$filter": "Name eq 'Sen kund'"}, timeout=0.5
        )
        assert found.status_code == 200
        assert len(found.json()["Data"]) == 1
        # and it was saved before the answer was withheld
        assert "Sen kund" in (tmp_path / "visma-sandbox-state.json").read_text(encoding="utf-8")
