"""The whole flow through `fakturabro serve` (web, API, embedded Visma sandbox, background export) with every
log line captured at DEBUG: no access or refresh token, authorization code, client secret, API token or
personnummer (12 or 10 digits, with or without hyphen) may appear in any of them. The same run checks that
/metrics moves when the export happens.
"""

from __future__ import annotations

import base64
import json
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.fernet import Fernet
from tests.company_details import create_company_with_details

from fakturabro.bootstrap import build
from fakturabro.invoicing.companies import create_api_token
from fakturabro.sandbox.seed import SEED_COMPANY_ID, seeded_id
from fakturabro.settings import Settings
from fakturabro.store.migrate import upgrade
from fakturabro.sync.connection import DatabaseTokenStore

from .serving import Processes, connect_through_the_sandbox, free_port, metric, ok

PNR = "19811218-9876"
PNR_FORMS = ("19811218-9876", "198112189876", "811218-9876", "8112189876")
SANDBOX_CLIENT = ("fakturabro-dev", "dev-secret")


@dataclass
class Served:
    url: str
    api: httpx.Client
    settings: Settings
    company_id: int
    api_token: str
    processes: Processes


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    token_key = Fernet.generate_key().decode()
    settings = Settings(data_dir=tmp_path / "data", token_key=token_key, secret_key="log-scan-session")
    container = build(settings)
    upgrade(container.engine)
    company_id = create_company_with_details(container.db, "Loggfri Bygg AB").id
    api_token = create_api_token(container.db, company_id, "log-scan").token
    container.close()
    port = free_port()
    env = {
        "FAKTURABRO_DATA_DIR": str(settings.data_dir),
        "FAKTURABRO_TOKEN_KEY": token_key,
        "FAKTURABRO_SECRET_KEY": "log-scan-session",
        "FAKTURABRO_LOG_LEVEL": "DEBUG",
        "FAKTURABRO_DBOS_LOG_LEVEL": "DEBUG",
    }
    processes = Processes(env, tmp_path)
    url = f"http://127.0.0.1:{port}"
    api = httpx.Client(base_url=f"{url}/api/v1", headers={"Authorization": f"Bearer {api_token}"}, timeout=30)
    try:
        processes.start("serve", "serve", "--port", str(port), "--no-demo")
        processes.wait_healthy("serve", url)
        yield Served(url, api, settings, company_id, api_token, processes)
    finally:
        api.close()
        processes.kill_all()


def _rot_invoice(served: Served) -> dict[str, Any]:
    customer = {"customer_number": "7001", "name": "Per Persson", "personal_number": PNR, "postal_code": "41301"}
    ok(served.api.post("/customers", json={**customer, "city": "Göteborg"}), 201)
    row = {"text": "Elarbete", "quantity": "2", "unit_price": "500", "kind": "labour", "hours": "2"}
    body = {
        "customer_number": "7001",
        "rows": [{**row, "house_work_type": "el"}],
        "house_work": {"type": "rot", "persons": [{"personal_number": PNR}], "property_designation": "Gbg 1:2"},
    }
    invoice = ok(served.api.post("/invoices", json=body), 201)
    return dict(ok(served.api.post(f"/invoices/{invoice['id']}/approve")))


def _wait_exported(served: Served, invoice_id: int) -> dict[str, Any]:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        invoice: dict[str, Any] = ok(served.api.get(f"/invoices/{invoice_id}"))
        if (invoice.get("export") or {}).get("state") in ("exported", "failed", "needs_reconnect"):
            return invoice
        time.sleep(0.3)
    pytest.fail("the export did not finish:\n" + served.processes.log("serve")[-5000:])


def _visma_tokens(served: Served) -> tuple[str, str | None]:
    container = build(served.settings)
    tokens = DatabaseTokenStore(container.db, served.company_id).load()
    container.close()
    assert tokens is not None
    return tokens.access_token, tokens.refresh_token


def _pay_in_visma(served: Served, draft_id: str, access_token: str) -> None:
    """The bookkeeper turns the draft into an invoice and the customer pays their share."""
    visma = httpx.Client(
        base_url=f"{served.url}/visma-sandbox/v2", headers={"Authorization": f"Bearer {access_token}"}, timeout=30
    )
    converted = ok(visma.post(f"/customerinvoicedrafts/{draft_id}/convert", json={}), 200, 201)
    payment = {
        "CompanyBankAccountId": seeded_id(SEED_COMPANY_ID, "bank:foretagskonto"),
        "PaymentAmount": float(Decimal(str(converted["RemainingAmount"]))),
        "PaymentCurrency": "SEK",
        "PaymentType": 2,
    }
    ok(visma.post(f"/customerinvoices/{converted['Id']}/payments", json=payment), 200, 201)


def test_the_whole_flow_logs_no_secret_and_moves_the_metrics(served: Served) -> None:
    before = httpx.get(f"{served.url}/metrics").text
    code = connect_through_the_sandbox(served.api, served.url)
    approved = _rot_invoice(served)
    invoice = _wait_exported(served, approved["id"])
    assert invoice["export"]["state"] == "exported", invoice["export"]
    access_token, refresh_token = _visma_tokens(served)
    _pay_in_visma(served, invoice["export"]["visma_id"], access_token)
    imported = ok(served.api.post("/payments/import"))
    assert imported["paid"] == 1, imported
    after = httpx.get(f"{served.url}/metrics").text

    assert metric(before, 'fakturabro_exports{state="exported"}') == 0
    assert metric(after, 'fakturabro_exports{state="exported"}') == 1
    assert metric(after, "fakturabro_export_queue_depth") == 0
    assert metric(after, 'fakturabro_payment_import_runs{status="succeeded"}') == 1
    draft_posts = 'fakturabro_visma_requests_total{endpoint="/customerinvoicedrafts",method="POST",status="201"}'
    assert metric(after, draft_posts) >= 1, after
    assert metric(after, 'fakturabro_visma_token_refreshes_total{grant_type="authorization_code",outcome="ok"}') == 1

    served.processes.stop("serve")
    log = served.processes.log("serve")
    secrets = {
        "API token": served.api_token,
        "access token": access_token,
        "refresh token": refresh_token or "",
        "authorization code": code,
        "client secret": SANDBOX_CLIENT[1],
        "basic credentials": base64.b64encode(":".join(SANDBOX_CLIENT).encode()).decode(),
        **{f"personnummer {form}": form for form in PNR_FORMS},
    }
    leaked = [what for what, value in secrets.items() if value and value in log]
    assert leaked == [], f"found in the logs: {leaked}"
    assert not re.search(r"(?<!\d)(19|20)?811218-?9876(?!\d)", log)

    json_lines = [json.loads(line) for line in log.splitlines() if line.startswith("{")]
    assert len(json_lines) > 20
    assert all("request_id" in line and "company_id" in line for line in json_lines)
    ours = [line for line in json_lines if line.get("request_id") and line.get("company_id") == served.company_id]
    assert ours, "API requests log their request id and company"
