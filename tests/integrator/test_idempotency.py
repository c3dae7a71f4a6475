"""Idempotency keys with Stripe's semantics: replay of the first answer, reuse and in-flight refusals, and two
identical requests at once creating one thing."""

from __future__ import annotations

import json
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import httpx
import pytest
from tests.api.helpers import Api

from fakturabro.bootstrap import Container
from fakturabro.store.idempotency_repository import Claimed, claim_key
from fakturabro.store.integrator_models import IdempotencyKey


def _post(api: Api, path: str, body: Any, key: str, **headers: str) -> httpx.Response:
    return api.client.post(f"/api/v1{path}", json=body, headers={**api.headers, "Idempotency-Key": key, **headers})


def _customer_count(api: Api) -> int:
    return len(api.get("/customers", params={"limit": 500}).json())


def _stored_keys(container: Container, company_id: int) -> int:
    with container.db.transaction() as session:
        return session.query(IdempotencyKey).filter_by(company_id=company_id).count()


def test_a_lost_answer_is_replayed_not_repeated(api: Api) -> None:
    key = str(uuid.uuid4())
    first = _post(api, "/customers", {"name": "Anna Andersson"}, key)
    assert first.status_code == 201
    again = _post(api, "/customers", {"name": "Anna Andersson"}, key)
    assert again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert _customer_count(api) == 1


def test_the_same_json_with_other_spacing_and_key_order_is_the_same_request(api: Api) -> None:
    key = str(uuid.uuid4())
    first = _post(api, "/customers", {"name": "Bo", "city": "Umeå"}, key)
    raw = json.dumps({"city": "Umeå", "name": "Bo"}, indent=2)
    headers = {**api.headers, "Idempotency-Key": key, "Content-Type": "application/json"}
    again = api.client.post("/api/v1/customers", content=raw, headers=headers)
    assert again.json() == first.json()
    assert _customer_count(api) == 1


def test_an_approval_retried_is_replayed_and_records_one_event(api: Api) -> None:
    draft = api.draft(api.private_customer())
    key = str(uuid.uuid4())
    first = _post(api, f"/invoices/{draft['id']}/approve", None, key)
    again = _post(api, f"/invoices/{draft['id']}/approve", None, key)
    assert first.status_code == again.status_code == 200
    assert again.json()["number"] == first.json()["number"]
    types = [e["type"] for e in api.get("/events").json()["events"]]
    assert types.count("invoice.approved") == 1


def test_the_same_key_with_another_body_is_refused(api: Api) -> None:
    key = str(uuid.uuid4())
    assert _post(api, "/customers", {"name": "Anna"}, key).status_code == 201
    reused = _post(api, "/customers", {"name": "Bertil"}, key)
    assert reused.status_code == 409
    assert reused.json()["detail"][0]["type"] == "idempotency_key_reused"
    other_path = _post(api, "/articles", {"number": "A1", "name": "Arbete", "unit_price": "100"}, key)
    assert other_path.json()["detail"][0]["type"] == "idempotency_key_reused"
    assert _customer_count(api) == 1


def test_a_repeat_while_the_first_still_runs_is_refused(api: Api, container: Container) -> None:
    key = str(uuid.uuid4())
    body = {"name": "Anna"}
    # The first request's claim, as it stands while its use case runs (same method, path and body).
    first = _post(api, "/customers", body, "probe-" + key)  # learn the fingerprint the middleware computes
    with container.db.transaction() as session:
        fingerprint = session.query(IdempotencyKey).filter_by(key="probe-" + key).one().fingerprint
    now = container.db.clock()
    claim = claim_key(container.db, api.company.id, key, fingerprint, now, now + timedelta(hours=24))
    assert isinstance(claim, Claimed)
    in_flight = _post(api, "/customers", body, key)
    assert in_flight.status_code == 409
    assert in_flight.json()["detail"][0]["type"] == "idempotency_key_in_flight"
    assert first.status_code == 201
    assert _customer_count(api) == 1


def test_two_identical_requests_at_once_create_one_customer(api: Api) -> None:
    key = str(uuid.uuid4())
    with ThreadPoolExecutor(max_workers=6) as pool:
        answers = list(pool.map(lambda _: _post(api, "/customers", {"name": "Samtidig"}, key), range(6)))
    created = [a for a in answers if a.status_code == 201]
    refused = [a for a in answers if a.status_code == 409]
    assert len(created) + len(refused) == 6
    assert created, [a.text for a in answers]
    assert {a.json()["id"] for a in created} == {created[0].json()["id"]}
    assert {a.json()["detail"][0]["type"] for a in refused} <= {"idempotency_key_in_flight"}
    assert _customer_count(api) == 1


def test_refused_input_releases_the_key_for_the_corrected_request(api: Api) -> None:
    key = str(uuid.uuid4())
    bad = _post(api, "/customers", {"name": "Anna", "personal_number": "19811218-0000"}, key)
    assert bad.status_code == 422
    good = _post(api, "/customers", {"name": "Anna"}, key)
    assert good.status_code == 201


def test_an_answer_other_than_success_is_replayed_too(api: Api) -> None:
    key = str(uuid.uuid4())
    missing = _post(api, "/invoices/999999/approve", None, key)
    assert missing.status_code == 404
    assert _post(api, "/invoices/999999/approve", None, key).json() == missing.json()


@pytest.mark.parametrize(
    ("key", "message"),
    [("x" * 256, "högst 255"), ("", "synliga ASCII"), ("med mellanslag", "synliga ASCII"), ("nyckel-å", "synliga")],
)
def test_a_malformed_key_is_refused_and_stores_nothing(api: Api, container: Container, key: str, message: str) -> None:
    answer = api.client.post(
        "/api/v1/customers",
        json={"name": "Anna"},
        headers={**api.headers, "Idempotency-Key": key.encode()},
    )
    assert answer.status_code == 422
    assert answer.json()["detail"][0]["loc"] == ["header", "Idempotency-Key"]
    assert message in answer.json()["detail"][0]["msg"]
    assert _customer_count(api) == 0
    assert _stored_keys(container, api.company.id) == 0


def test_a_key_of_255_characters_is_accepted(api: Api) -> None:
    assert _post(api, "/customers", {"name": "Anna"}, "k" * 255).status_code == 201


def test_keys_belong_to_one_company(api: Api, other_api: Api) -> None:
    key = str(uuid.uuid4())
    mine = _post(api, "/customers", {"name": "Anna"}, key)
    theirs = _post(other_api, "/customers", {"name": "Anna"}, key)
    assert theirs.status_code == 201
    assert theirs.json()["id"] != mine.json()["id"]


def test_an_expired_key_is_a_new_request(api: Api, container: Container) -> None:
    key = str(uuid.uuid4())
    assert _post(api, "/customers", {"name": "Anna"}, key).status_code == 201
    with container.db.transaction() as session:
        row = session.query(IdempotencyKey).filter_by(company_id=api.company.id, key=key).one()
        row.expires_at = container.db.clock() - timedelta(seconds=1)
    assert _post(api, "/customers", {"name": "Anna"}, key).headers.get("Idempotent-Replayed") is None
    assert _customer_count(api) == 2


def test_a_key_is_kept_for_a_day(api: Api, container: Container) -> None:
    key = str(uuid.uuid4())
    _post(api, "/customers", {"name": "Anna"}, key)
    with container.db.transaction() as session:
        row = session.query(IdempotencyKey).filter_by(company_id=api.company.id, key=key).one()
        assert row.expires_at - row.created_at >= timedelta(hours=24)


def test_without_a_valid_token_nothing_is_remembered(api: Api, container: Container) -> None:
    answer = api.client.post(
        "/api/v1/customers", json={"name": "Anna"}, headers={"Authorization": "Bearer fel", "Idempotency-Key": "k1"}
    )
    assert answer.status_code == 401
    assert _stored_keys(container, api.company.id) == 0
