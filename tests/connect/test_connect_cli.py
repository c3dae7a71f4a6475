"""`fakturabro visma status` and `fakturabro visma check`, configured like a real Visma client: VISMA_* in the
environment pointing at the sandbox (standalone, over HTTP)."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from connect_helpers import login_and_consent, query
from cryptography.fernet import Fernet
from tests.company_details import create_company_with_details
from typer.testing import CliRunner

from fakturabro.bootstrap import build
from fakturabro.cli import app
from fakturabro.settings import Settings
from fakturabro.store.migrate import upgrade
from fakturabro.sync.connection import VismaSetup, activate, complete_connect, start_connect


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sandbox_url: str) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    for name, value in {
        "FAKTURABRO_DATA_DIR": str(tmp_path / "data"),
        "FAKTURABRO_TOKEN_KEY": Fernet.generate_key().decode(),
        "VISMA_CLIENT_ID": "fakturabro-dev",
        "VISMA_CLIENT_SECRET": "dev-secret",
        "VISMA_REDIRECT_URI": "http://127.0.0.1:8000/integrations/visma/callback",
        "VISMA_AUTH_URL": f"{sandbox_url}/connect/authorize",
        "VISMA_TOKEN_URL": f"{sandbox_url}/connect/token",
        "VISMA_API_BASE_URL": f"{sandbox_url}/v2",
    }.items():
        monkeypatch.setenv(name, value)
    return tmp_path / "data"


def test_status_and_check(env: Path) -> None:
    settings = Settings()
    setup = VismaSetup.from_settings(settings)
    assert (setup.client_id, setup.client_secret, setup.token_url) == (
        "fakturabro-dev",
        "dev-secret",
        settings.visma_token_url,
    )
    container = build(settings)
    upgrade(container.engine)
    company_id = create_company_with_details(container.db, "Målarfirman AB").id
    runner = CliRunner()

    status = runner.invoke(app, ["visma", "status", "--company", "Målarfirman AB"])
    assert status.exit_code == 0, status.output
    assert "Inte aktiverad" in status.output
    not_connected = runner.invoke(app, ["visma", "check", "--company", str(company_id)])
    assert not_connected.exit_code == 2
    assert "inte kopplat" in not_connected.output
    assert runner.invoke(app, ["visma", "status", "--company", "Finns inte AB"]).exit_code == 1

    activate(container.db, company_id)
    with httpx.Client(timeout=10) as browser:
        callback = query(login_and_consent(browser, start_connect(container.db, setup, company_id)))
    complete_connect(container.db, setup, state=callback["state"], code=callback["code"])
    container.close()

    check = runner.invoke(app, ["visma", "check", "--company", "Målarfirman AB"])
    assert check.exit_code == 1, check.output  # the seeded sandbox lacks the fallback article
    assert "fallback_article" in check.output
    assert "Åtgärda" in check.output
    status = runner.invoke(app, ["visma", "status", "--company", "Målarfirman AB"])
    assert status.exit_code == 0, status.output
    assert "Kopplad" in status.output
    assert "Demo Bygg & Service AB" in status.output
    assert "Fakturautkast" in status.output
    assert "fallback_article" in status.output
