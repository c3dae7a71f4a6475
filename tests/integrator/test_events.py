"""The event feed: every change recorded with it, in order; paging by cursor; complete and in order while several
processes write at once, one of them killed."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from tests.api.helpers import Api

from fakturabro.bootstrap import Container
from fakturabro.domain.events import EventType
from fakturabro.invoicing.customers import create_customer
from fakturabro.invoicing.inputs import CustomerInput
from fakturabro.store.events import record_event

WRITER = Path(__file__).with_name("event_writer.py")
WRITERS = 3
PER_WRITER = int(os.environ.get("EVENT_FEED_INVOICES_PER_WRITER", "15"))


def _feed(api: Api, after: int = 0, limit: int = 1000) -> dict[str, Any]:
    answer = api.get("/events", params={"after": after, "limit": limit})
    assert answer.status_code == 200, answer.text
    page: dict[str, Any] = answer.json()
    return page


def _types(api: Api) -> list[str]:
    return [event["type"] for event in _feed(api)["events"]]


def test_an_invoice_life_is_recorded_in_order(api: Api) -> None:
    customer = api.private_customer()
    invoice = api.approved(customer)
    api.post(f"/invoices/{invoice['id']}/payments", {"amount": "200"})
    rest = api.get(f"/invoices/{invoice['id']}").json()["remaining"]
    assert api.post(f"/invoices/{invoice['id']}/payments", {"amount": rest}).status_code == 201
    events = _feed(api)["events"]
    assert [e["type"] for e in events] == [
        "invoice.created",
        "invoice.approved",
        "invoice.payment_registered",
        "invoice.payment_registered",
        "invoice.paid",
    ]
    assert [e["cursor"] for e in events] == [1, 2, 3, 4, 5]
    approved = events[1]["data"]
    assert approved["invoice_id"] == invoice["id"]
    assert approved["number"] == invoice["number"]
    assert approved["status"] == "approved"
    assert events[2]["data"]["payment"]["amount"] == "200.00"
    assert events[4]["data"]["status"] == "paid"


def test_a_credit_invoice_credits_its_original(api: Api) -> None:
    invoice = api.approved(api.private_customer())
    credit = api.post(f"/invoices/{invoice['id']}/credit", {"approve": True})
    assert credit.status_code == 201
    types = _types(api)
    assert types == ["invoice.created", "invoice.approved", "invoice.created", "invoice.approved", "invoice.credited"]
    credited = _feed(api)["events"][-1]["data"]
    assert credited["invoice_id"] == invoice["id"]


def test_nothing_is_recorded_for_a_refused_change(api: Api) -> None:
    draft = api.draft(api.private_customer())
    assert api.post(f"/invoices/{draft['id']}/payments", {"amount": "10"}).status_code == 409
    assert _types(api) == ["invoice.created"]


def test_the_feed_pages_by_cursor_and_says_where_to_go_on(api: Api) -> None:
    customer = api.private_customer()
    for _ in range(3):
        api.draft(customer)
    first = _feed(api, 0, 2)
    assert [e["cursor"] for e in first["events"]] == [1, 2]
    assert first["next"] == 2
    rest = _feed(api, first["next"], 2)
    assert [e["cursor"] for e in rest["events"]] == [3]
    empty = _feed(api, rest["next"])
    assert empty == {"events": [], "next": 3}


def test_the_feed_shows_only_the_company_s_own_events(api: Api, other_api: Api) -> None:
    api.draft(api.private_customer())
    assert _feed(other_api)["events"] == []


@pytest.mark.parametrize("query", [{"after": -1}, {"limit": 0}, {"limit": 1001}, {"after": "x"}])
def test_a_bad_cursor_or_limit_is_a_422(api: Api, query: dict[str, Any]) -> None:
    assert api.get("/events", params=query).status_code == 422


def test_a_read_only_token_reads_the_feed(api: Api, container: Container) -> None:
    from fakturabro.invoicing.companies import create_api_token

    token = create_api_token(container.db, api.company.id, "feed", scopes=["read"]).token
    answer = api.client.get("/api/v1/events", headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200


def test_a_rolled_back_change_takes_no_cursor(api: Api, container: Container) -> None:
    def failing_change() -> None:
        with container.db.transaction() as session:
            record_event(session, api.company.id, EventType.INVOICE_SENT, {"invoice_id": 1}, container.db.clock())
            raise RuntimeError("the change fails after its event was written")

    with pytest.raises(RuntimeError):
        failing_change()
    api.draft(api.private_customer())
    assert [e["cursor"] for e in _feed(api)["events"]] == [1]


# --- several processes, one killed --------------------------------------------------------------------------


def _start_writer(config: Path, name: str, count: int, log_dir: Path) -> subprocess.Popen[bytes]:
    log = (log_dir / f"{name}.log").open("ab")
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[2])}
    return subprocess.Popen(
        [sys.executable, str(WRITER), str(config), name, str(count)], stdout=log, stderr=subprocess.STDOUT, env=env
    )


def test_events_stay_complete_and_in_order_with_several_writers_and_a_kill(
    api: Api, container: Container, tmp_path: Path
) -> None:
    customer = create_customer(container.db, api.company.id, CustomerInput(name="Flera Skrivare AB"))
    config = tmp_path / "writers.json"
    config.write_text(
        json.dumps(
            {
                "data_dir": str(container.settings.data_dir),
                "database_url": container.settings.resolved_database_url,
                "token_key": container.settings.fernet_key().decode(),
                "company_id": api.company.id,
                "customer_number": customer.customer_number,
            }
        )
    )
    writers = [_start_writer(config, f"w{i}", PER_WRITER, tmp_path) for i in range(WRITERS)]
    victim = _start_writer(config, "victim", 10_000, tmp_path)
    seen: list[dict[str, Any]] = []
    killed = False
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        page = _feed(api, seen[-1]["cursor"] if seen else 0, 50)
        for event in page["events"]:
            # A reader following the feed never finds a gap it would have to go back for, nor a repeat.
            assert event["cursor"] == (seen[-1]["cursor"] + 1 if seen else 1), (event, seen[-1:])
            seen.append(event)
        if not killed and len(seen) >= 20:
            victim.send_signal(signal.SIGKILL)
            killed = True
        if killed and all(w.poll() is not None for w in writers) and not page["events"]:
            break
        time.sleep(0.02)
    assert killed
    assert [w.wait(timeout=30) for w in writers] == [0] * WRITERS
    assert victim.wait(timeout=30) == -signal.SIGKILL
    everything = _feed(api, 0, 1000)["events"]
    assert [e["cursor"] for e in everything] == list(range(1, len(everything) + 1))
    assert everything == seen
    invoices = api.get("/invoices", params={"limit": 500}).json()
    created = [e["data"]["invoice_id"] for e in everything if e["type"] == "invoice.created"]
    approved = [e["data"]["invoice_id"] for e in everything if e["type"] == "invoice.approved"]
    assert sorted(created) == sorted(i["id"] for i in invoices)  # each committed invoice once, none more
    assert sorted(approved) == sorted(i["id"] for i in invoices if i["status"] != "draft")
    assert len(approved) >= WRITERS * PER_WRITER
