"""`fakturabro payments …`: the deviations a person must look at, and an import refused without a connection."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from typer.testing import CliRunner

from fakturabro.bootstrap import build
from fakturabro.cli import app
from fakturabro.sandbox.testing import live_sandbox
from fakturabro.settings import Settings
from fakturabro.store.payment_repository import PaymentImportRepository
from fakturabro.store.payment_sync_models import PaymentImportDeviation
from fakturabro.sync.connection import VismaSetup, activate, complete_connect, start_connect


@pytest.fixture
def runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    """A migrated database with two companies: Elfirman i Lund AB (id 1) and Rör AB (id 2)."""
    monkeypatch.setenv("FAKTURABRO_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("COLUMNS", "200")  # rich wraps the table's cells at the terminal's width
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    for command in (["db", "upgrade"], ["company", "create", "Elfirman i Lund AB"], ["company", "create", "Rör AB"]):
        result = runner.invoke(app, command)
        assert result.exit_code == 0, result.output
    return runner


def _record_deviation(company_id: int, *, kind: str, visma_id: str, detail: str, amount: str) -> None:
    container = build(Settings())
    try:
        now = container.db.clock()
        with container.db.transaction() as session:
            PaymentImportRepository(session, company_id).add(
                PaymentImportDeviation(
                    company_id=company_id,
                    kind=kind,
                    visma_id=visma_id,
                    visma_invoice_number=1042,
                    our_invoice_number=42,
                    amount=Decimal(amount),
                    detail=detail,
                    created_at=now,
                    updated_at=now,
                )
            )
    finally:
        container.close()


def test_deviations_of_an_unknown_company_exit_1_with_a_swedish_message(runner: CliRunner) -> None:
    result = runner.invoke(app, ["payments", "deviations", "--company", "Finns inte AB"])

    assert result.exit_code == 1
    assert "Företaget Finns inte AB finns inte" in result.output
    assert "Avvikelser från importen" not in result.output


def test_deviations_list_the_companys_findings_with_the_kind_as_the_user_reads_it(runner: CliRunner) -> None:
    _record_deviation(
        1,
        kind="number_mismatch",
        visma_id="3f1c0a5e-0000-4000-8000-000000000001",
        detail="Visma numrerade fakturan 1042, vår faktura har nummer 42.",
        amount="1250.00",
    )
    _record_deviation(
        2,
        kind="unknown_invoice",
        visma_id="3f1c0a5e-0000-4000-8000-000000000002",
        detail="Rör AB:s avvikelse",
        amount="99.00",
    )

    by_name = runner.invoke(app, ["payments", "deviations", "--company", "Elfirman i Lund AB"])
    by_id = runner.invoke(app, ["payments", "deviations", "-c", "1"])

    assert by_name.exit_code == 0, by_name.output
    assert by_id.output == by_name.output
    assert "Avvikelser från importen" in by_name.output
    assert "Olika fakturanummer" in by_name.output
    assert "number_mismatch" not in by_name.output
    assert "Visma numrerade fakturan 1042, vår faktura har nummer 42." in by_name.output
    assert "1042" in by_name.output
    assert "1250.00" in by_name.output
    assert "Rör AB:s avvikelse" not in by_name.output  # another company's finding
    assert "Okänd faktura" not in by_name.output


def test_a_kind_this_version_does_not_know_is_shown_as_stored(runner: CliRunner) -> None:
    _record_deviation(1, kind="from_the_future", visma_id="v-1", detail="Något nytt.", amount="1.00")

    result = runner.invoke(app, ["payments", "deviations", "--company", "1"])

    assert result.exit_code == 0, result.output
    assert "from_the_future" in result.output
    assert "Något nytt." in result.output


def test_a_company_without_deviations_gets_an_empty_table(runner: CliRunner) -> None:
    result = runner.invoke(app, ["payments", "deviations", "--company", "Rör AB"])

    assert result.exit_code == 0, result.output
    assert "Avvikelser från importen" in result.output
    assert "Olika fakturanummer" not in result.output


def test_import_without_a_visma_connection_is_refused_in_swedish(runner: CliRunner) -> None:
    result = runner.invoke(app, ["payments", "import", "--company", "Elfirman i Lund AB"])

    assert result.exit_code == 1
    assert "Företaget är inte kopplat till Visma eEkonomi." in result.output
    assert "Import av betalningar" not in result.output  # no result table


def test_import_for_an_unknown_company_exits_1(runner: CliRunner) -> None:
    result = runner.invoke(app, ["payments", "import", "--company", "99"])

    assert result.exit_code == 1
    assert "Företaget 99 finns inte" in result.output
    assert "Import av betalningar" not in result.output


@pytest.fixture
def connected_sandbox(runner: CliRunner, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Elfirman i Lund AB (id 1) connected to a fresh sandbox's Visma company; yields the sandbox's address."""
    with live_sandbox(None) as sandbox:
        base = sandbox.base_url
        monkeypatch.setenv("VISMA_AUTH_URL", f"{base}/connect/authorize")
        monkeypatch.setenv("VISMA_TOKEN_URL", f"{base}/connect/token")
        monkeypatch.setenv("VISMA_API_BASE_URL", f"{base}/v2")
        httpx.put(f"{base}/_sandbox/faults", json={"rate_limit_per_minute": 0}, timeout=10).raise_for_status()
        settings = Settings()
        container = build(settings)
        try:
            setup = VismaSetup.from_settings(settings)
            activate(container.db, 1)
            url = start_connect(container.db, setup, 1)
            answer = httpx.post(f"{base}/_sandbox/authorize", json={"url": url}, timeout=10)
            callback = {
                key: values[0] for key, values in parse_qs(urlsplit(answer.json()["redirect_url"]).query).items()
            }
            complete_connect(container.db, setup, state=callback["state"], code=callback["code"])
        finally:
            container.close()
        yield base


def test_import_of_a_connected_company_prints_what_it_registered(runner: CliRunner, connected_sandbox: str) -> None:
    result = runner.invoke(app, ["payments", "import", "--company", "Elfirman i Lund AB"])

    assert result.exit_code == 0, result.output
    assert "Import av betalningar från Visma" in result.output
    for column in ("Betalda", "Delbetalda", "Nya avvikelser", "Anrop till Visma"):
        assert column in result.output


def test_import_when_visma_fails_exits_2_with_a_swedish_message(runner: CliRunner, connected_sandbox: str) -> None:
    httpx.put(f"{connected_sandbox}/_sandbox/faults", json={"error_rate": 1.0}, timeout=10).raise_for_status()

    result = runner.invoke(app, ["payments", "import", "--company", "1"])

    assert result.exit_code == 2
    assert "Visma eEkonomi svarade inte som väntat" in result.output
    assert "Import av betalningar från Visma" not in result.output
