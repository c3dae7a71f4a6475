"""The import as users start it: the REST API, the CLI and the schedule, through a real Visma connection."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from payment_helpers import Connected, Visma, paid_in_visma
from sqlalchemy import select
from tests.company_details import create_company_with_details
from typer.testing import CliRunner

from fakturabro.bootstrap import Container
from fakturabro.cli import app as fakturabro_cli
from fakturabro.invoicing.companies import create_api_token
from fakturabro.store import models
from fakturabro.sync.connection import visma_client_for
from fakturabro.sync.export.steps import ExportDeps
from fakturabro.sync.payments import schedule
from fakturabro.web.app import create_app


def test_the_api_imports_and_answers_with_counts(visma: Visma, connected: Connected) -> None:
    invoice_id = paid_in_visma(visma, connected.ours)
    with TestClient(create_app(connected.container)) as client:
        headers = {"Authorization": f"Bearer {connected.token}"}
        answer = client.post("/api/v1/payments/import", headers=headers)
        runs = client.get("/api/v1/payments/imports", headers=headers)
        anonymous = client.post("/api/v1/payments/import")

    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert {key: body[key] for key in ("paid", "partially_paid", "deviations", "api_calls")} == {
        "paid": 1,
        "partially_paid": 0,
        "deviations": 0,
        "api_calls": 1,
    }
    assert body["message"] == "1 faktura betald, 0 delbetalda, 0 nya avvikelser"
    assert connected.ours.invoice(invoice_id).status == "paid"
    assert runs.json()[0]["status"] == "succeeded"
    assert anonymous.status_code == 401


def test_the_api_says_so_when_the_company_is_not_connected(connected: Connected) -> None:
    company = create_company_with_details(connected.container.db, "Okopplade AB")
    token = create_api_token(connected.container.db, company.id, "test").token
    with TestClient(create_app(connected.container)) as client:
        answer = client.post("/api/v1/payments/import", headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 409
    assert "inte kopplat till Visma" in answer.text


def test_the_cli_prints_a_table_and_the_message(
    visma: Visma, connected: Connected, monkeypatch: pytest.MonkeyPatch
) -> None:
    invoice_id = paid_in_visma(visma, connected.ours)
    for name, value in connected.settings_env.items():
        monkeypatch.setenv(name, value)

    outcome = CliRunner().invoke(fakturabro_cli, ["payments", "import", "--company", "Rörmokarna AB"])

    assert outcome.exit_code == 0, outcome.output
    assert "Betalda" in outcome.output
    assert "1 faktura betald, 0 delbetalda, 0 nya avvikelser" in outcome.output
    assert connected.ours.invoice(invoice_id).status == "paid"


def export_deps(container: Container) -> ExportDeps:
    return ExportDeps(
        db=container.db,
        client_for=lambda company_id: visma_client_for(container, company_id),
        mode_for=lambda _company_id: "draft",
    )


@pytest.mark.parametrize("built_from", ["container", "export deps"])
def test_a_scheduled_tick_imports_connected_companies_and_steps_aside_for_the_rest(
    visma: Visma, connected: Connected, built_from: str
) -> None:
    invoice_id = paid_in_visma(visma, connected.ours)
    if built_from == "container":
        deps = schedule.deps_for(connected.container)
    else:
        deps = schedule.deps_from_export(export_deps(connected.container))
    lonely = create_company_with_details(connected.container.db, "Okopplade AB")

    assert schedule.connected_companies_of(deps) == [connected.ours.company_id]
    done = schedule.import_one(deps, connected.ours.company_id)
    skipped = schedule.import_one(deps, lonely.id)

    assert (done["status"], done["paid"]) == ("succeeded", 1)
    assert (skipped["status"], skipped["reason"]) == ("skipped", "not_connected")
    assert connected.ours.invoice(invoice_id).status == "paid"
    with connected.container.db.transaction() as session:
        payments = session.scalars(select(models.Payment).where(models.Payment.invoice_id == invoice_id)).all()
    assert [payment.source for payment in payments] == ["visma"]


def test_the_interval_becomes_a_cron(monkeypatch: pytest.MonkeyPatch) -> None:
    assert schedule.cron_for(15) == "0 */15 * * * *"
    assert schedule.cron_for(120) == "0 0 */2 * * *"
    monkeypatch.setenv(schedule.INTERVAL_ENV, "5")
    assert schedule.interval_minutes() == 5
    monkeypatch.setenv(schedule.INTERVAL_ENV, "0")
    with pytest.raises(ValueError, match="between 1 and 1440"):
        schedule.interval_minutes()
