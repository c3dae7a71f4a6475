"""`fakturabro visma reconcile --company NAME`: one run in a process of its own against a connected sandbox company."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from tests.company_details import create_company_with_details

from fakturabro.bootstrap import build
from fakturabro.invoicing.customers import create_customer
from fakturabro.invoicing.inputs import CustomerInput
from fakturabro.sandbox.testing import live_sandbox
from fakturabro.settings import Settings
from fakturabro.store.migrate import upgrade
from fakturabro.sync.connection import VismaSetup, activate, complete_connect, start_connect

FAKTURABRO = str(Path(sys.executable).with_name("fakturabro"))


@pytest.fixture
def environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    """Elfirman i Lund AB connected to a fresh sandbox company, with a customer whose number is another in Visma."""
    monkeypatch.setenv("FAKTURABRO_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.chdir(tmp_path)
    with live_sandbox(None) as sandbox:
        base = sandbox.base_url
        monkeypatch.setenv("VISMA_AUTH_URL", f"{base}/connect/authorize")
        monkeypatch.setenv("VISMA_TOKEN_URL", f"{base}/connect/token")
        monkeypatch.setenv("VISMA_API_BASE_URL", f"{base}/v2")
        httpx.put(f"{base}/_sandbox/faults", json={"rate_limit_per_minute": 0}, timeout=10).raise_for_status()
        settings = Settings()
        container = build(settings)
        try:
            upgrade(container.engine)
            company = create_company_with_details(container.db, "Elfirman i Lund AB")
            erik = CustomerInput(
                customer_number="1002",
                name="Erik Johansson",
                personal_number="19850203-2397",
                postal_code="41101",
                city="Göteborg",
            )
            create_customer(container.db, company.id, erik)
            setup = VismaSetup.from_settings(settings)
            activate(container.db, company.id)
            url = start_connect(container.db, setup, company.id)
            answer = httpx.post(f"{base}/_sandbox/authorize", json={"url": url}, timeout=10)
            query = parse_qs(urlsplit(answer.json()["redirect_url"]).query)
            complete_connect(container.db, setup, state=query["state"][0], code=query["code"][0])
        finally:
            container.close()
        yield {key: value for key, value in os.environ.items() if key != "DBOS__VMID"} | {
            "FAKTURABRO_LOG_LEVEL": "WARNING",
            "COLUMNS": "200",
        }


def test_reconcile_prints_the_findings_and_exits_1_while_some_are_open(environment: dict[str, str]) -> None:
    done = subprocess.run(
        [FAKTURABRO, "visma", "reconcile", "--company", "Elfirman i Lund AB"],
        env=environment,
        capture_output=True,
        timeout=120,
        check=False,
    )

    out = done.stdout.decode()
    assert done.returncode == 1, done.stderr.decode()[-2000:]
    assert "Traceback" not in done.stderr.decode()
    assert "Kundnummer 1002 är en annan kund i Visma" in out
    assert "850203-****" in out
    assert "19850203" not in out + done.stderr.decode()
    assert "Fakturanummer: nästa här 1" in out


def test_reconcile_of_an_unknown_company_exits_1(environment: dict[str, str]) -> None:
    done = subprocess.run(
        [FAKTURABRO, "visma", "reconcile", "--company", "Finns inte AB"],
        env=environment,
        capture_output=True,
        timeout=60,
        check=False,
    )

    assert done.returncode == 1
    assert "Finns inte AB finns inte" in done.stdout.decode()
