"""Webhooks: registration rules, and delivery by the DBOS runtime (a worker process) to a local receiver —
signatures checked by independent code, retries against a receiver that fails and recovers, order, pause."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import hmac as crypto_hmac
from tests.api.helpers import Api

from fakturabro.bootstrap import Container
from fakturabro.store.integrator_models import WebhookEndpoint
from fakturabro.sync.webhooks.urls import refusal

from .receiver import Receiver, running_receiver

WORKER = Path(__file__).with_name("webhook_worker.py")
API_GUIDE = Path(__file__).parents[2] / "docs" / "API.md"
RETRY_DELAYS = [0.2, 0.2, 0.2]


def _endpoints(container: Container, company_id: int) -> int:
    with container.db.transaction() as session:
        return session.query(WebhookEndpoint).filter_by(company_id=company_id).count()


# --- registration -----------------------------------------------------------------------------------------


def test_the_secret_is_shown_once(api: Api) -> None:
    created = api.post("/webhooks", {"url": "http://127.0.0.1:9/hook", "events": ["invoice.paid"]})
    assert created.status_code == 201, created.text
    assert created.json()["secret"].startswith("whsec_")
    assert created.json()["state"] == "active"
    listed = api.get("/webhooks").json()
    assert [w["id"] for w in listed] == [created.json()["id"]]
    assert "secret" not in listed[0]
    assert "secret" not in api.get(f"/webhooks/{created.json()['id']}").json()


def test_a_deleted_endpoint_is_gone(api: Api) -> None:
    created = api.post("/webhooks", {"url": "http://localhost:9/hook", "events": ["invoice.paid"]}).json()
    assert api.delete(f"/webhooks/{created['id']}").status_code == 204
    assert api.get("/webhooks").json() == []
    assert api.get(f"/webhooks/{created['id']}").status_code == 404


@pytest.mark.parametrize(
    ("body", "loc"),
    [
        ({"url": "http://example.com/hook", "events": ["invoice.paid"]}, ["body", "url"]),
        ({"url": "https://10.0.0.7/hook", "events": ["invoice.paid"]}, ["body", "url"]),
        ({"url": "https://169.254.169.254/latest", "events": ["invoice.paid"]}, ["body", "url"]),
        ({"url": "https://[fd00::1]/hook", "events": ["invoice.paid"]}, ["body", "url"]),
        ({"url": "https://user:pw@example.com/hook", "events": ["invoice.paid"]}, ["body", "url"]),
        ({"url": "ftp://example.com/hook", "events": ["invoice.paid"]}, ["body", "url"]),
        ({"url": "https://nowhere.invalid/hook", "events": ["invoice.paid"]}, ["body", "url"]),
        ({"url": "http://127.0.0.1:9/hook", "events": ["invoice.paid", "invoice.nonsense"]}, ["body", "events", 1]),
        ({"url": "http://127.0.0.1:9/hook", "events": []}, ["body", "events"]),
    ],
)
def test_bad_registrations_get_a_422_and_store_nothing(
    api: Api, container: Container, body: dict[str, Any], loc: list[Any]
) -> None:
    answer = api.post("/webhooks", body)
    assert answer.status_code == 422, answer.text
    assert loc in [d["loc"] for d in answer.json()["detail"]]
    assert _endpoints(container, api.company.id) == 0


def test_private_addresses_behind_a_public_name_are_refused() -> None:
    def resolver(addresses: list[str]) -> Callable[[str, int], list[str]]:
        return lambda _host, _port: addresses

    public = resolver(["93.184.216.34"])
    assert refusal("https://hooks.example.com/x", allow_loopback=False, resolver=public) is None
    for internal in (["10.1.2.3"], ["93.184.216.34", "192.168.1.10"], ["127.0.0.1"], ["::1"], ["fe80::1"]):
        reason = refusal("https://hooks.example.com/x", allow_loopback=False, resolver=resolver(internal))
        assert reason is not None, internal
        assert "privat" in reason, internal
    assert refusal("http://127.0.0.1:8001/x", allow_loopback=False, resolver=resolver(["127.0.0.1"]))
    assert refusal("http://127.0.0.1:8001/x", allow_loopback=True, resolver=resolver(["127.0.0.1"])) is None
    assert refusal("http://localhost/x", allow_loopback=True, resolver=resolver(["::1", "127.0.0.1"])) is None


# --- delivery by a worker ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    with running_receiver() as running:
        yield running


@pytest.fixture(scope="module")
def worker(container: Container, tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    scratch = tmp_path_factory.mktemp("webhook-worker")
    config = scratch / "worker.json"
    config.write_text(
        json.dumps(
            {
                "data_dir": str(container.settings.data_dir),
                "database_url": container.settings.resolved_database_url,
                "token_key": container.settings.fernet_key().decode(),
                "retry_delays": RETRY_DELAYS,
            }
        )
    )
    log = (scratch / "worker.log").open("ab")
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[2])}
    process = subprocess.Popen(
        [sys.executable, str(WORKER), str(config), "webhooks"], stdout=log, stderr=subprocess.STDOUT, env=env
    )
    deadline = time.monotonic() + 60
    while "ready" not in (scratch / "worker.log").read_text():
        assert process.poll() is None, (scratch / "worker.log").read_text()[-2000:]
        assert time.monotonic() < deadline, "the webhook worker did not start"
        time.sleep(0.1)
    yield
    process.terminate()
    process.wait(timeout=30)


def _wait_for(check: Callable[[], bool], seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def _doc_verifier() -> Callable[[str, str, bytes], bool]:
    """The verification function docs/API.md shows integrators, executed as they would copy it."""
    block = re.search(r"```python\n(.*?def verify_fakturabro_signature.*?)```", API_GUIDE.read_text(), re.S)
    assert block is not None
    namespace: dict[str, Any] = {}
    exec(block.group(1), namespace)  # noqa: S102 - our own documentation's example
    verify: Callable[[str, str, bytes], bool] = namespace["verify_fakturabro_signature"]
    return verify


def _independently_signed(secret: str, header: str, body: bytes) -> bool:
    """The signature checked with another HMAC implementation (cryptography's) than the one that made it."""
    fields = dict(part.split("=", 1) for part in header.split(","))
    mac = crypto_hmac.HMAC(secret.encode(), hashes.SHA256())
    mac.update(f"{fields['t']}.".encode() + body)
    try:
        mac.verify(bytes.fromhex(fields["v1"]))
    except Exception:
        return False
    return abs(time.time() - int(fields["t"])) < 120


def test_deliveries_are_signed_ordered_and_retried_until_the_receiver_recovers(
    api: Api, receiver: Receiver, worker: None
) -> None:
    path = f"/recovering-{api.company.id}"
    receiver.plans[path] = [500, 503]  # the first two attempts fail, then the receiver is back
    created = api.post(
        "/webhooks", {"url": receiver.base_url + path, "events": ["invoice.created", "invoice.approved"]}
    ).json()
    customer = api.private_customer()
    invoice = api.approved(customer)
    api.draft(customer)

    def delivered() -> list[Any]:
        return [r for r in receiver.on(path) if r.status == 200]

    _wait_for(lambda: len(delivered()) == 3)
    bodies = [json.loads(r.body) for r in delivered()]
    assert [b["type"] for b in bodies] == ["invoice.created", "invoice.approved", "invoice.created"]
    assert [b["cursor"] for b in bodies] == sorted(b["cursor"] for b in bodies)
    assert bodies[1]["data"]["invoice_id"] == invoice["id"]
    feed = {e["id"]: e for e in api.get("/events").json()["events"]}
    verify = _doc_verifier()
    for request in receiver.on(path):
        event = json.loads(request.body)
        assert request.headers["Fakturabro-Event-Id"] == str(event["id"])
        assert _independently_signed(created["secret"], request.headers["Fakturabro-Signature"], request.body)
        assert verify(created["secret"], request.headers["Fakturabro-Signature"], request.body)
        assert not verify("whsec_other", request.headers["Fakturabro-Signature"], request.body)
        assert event["type"] == feed[event["id"]]["type"]
    log = api.get(f"/webhooks/{created['id']}/deliveries").json()
    oldest_first = list(reversed(log))
    assert [(d["attempt"], d["outcome"], d["status_code"]) for d in oldest_first[:3]] == [
        (1, "failed", 500),
        (2, "failed", 503),
        (3, "delivered", 200),
    ]
    assert api.get(f"/webhooks/{created['id']}").json()["failing_since"] is None


def test_only_subscribed_events_are_sent(api: Api, receiver: Receiver, worker: None) -> None:
    path = f"/approved-only-{api.company.id}"
    api.post("/webhooks", {"url": receiver.base_url + path, "events": ["invoice.approved"]})
    customer = api.private_customer()
    api.draft(customer)
    api.approved(customer)
    _wait_for(lambda: len(receiver.on(path)) == 1)
    time.sleep(1.5)  # a dispatch or two more: nothing else arrives
    assert [json.loads(r.body)["type"] for r in receiver.on(path)] == ["invoice.approved"]


def test_an_endpoint_that_keeps_failing_is_paused_shown_and_resumed(api: Api, receiver: Receiver, worker: None) -> None:
    path = f"/broken-{api.company.id}"
    receiver.plans[path] = [500] * (len(RETRY_DELAYS) + 1)
    created = api.post("/webhooks", {"url": receiver.base_url + path, "events": ["invoice.created"]}).json()
    customer = api.private_customer()
    api.draft(customer)
    _wait_for(lambda: api.get(f"/webhooks/{created['id']}").json()["state"] == "paused")
    paused = api.get(f"/webhooks/{created['id']}").json()
    assert "Pausad" in paused["paused_reason"]
    assert paused["failing_since"] is not None
    api.draft(customer)  # waits behind the undelivered one
    time.sleep(1.5)
    assert len(receiver.on(path)) == len(RETRY_DELAYS) + 1
    resumed = api.post(f"/webhooks/{created['id']}/resume")
    assert resumed.status_code == 200
    assert resumed.json()["state"] == "active"
    _wait_for(lambda: len([r for r in receiver.on(path) if r.status == 200]) == 2)
    cursors = [json.loads(r.body)["cursor"] for r in receiver.on(path) if r.status == 200]
    assert cursors == sorted(cursors)
