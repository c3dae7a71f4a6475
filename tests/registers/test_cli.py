"""The register commands end to end: `fakturabro articles …` and `fakturabro customers …` with VISMA_* in the
environment pointing at the sandbox over HTTP, a company connected through the real OAuth flow."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from cryptography.fernet import Fernet
from tests.company_details import create_company_with_details
from typer.testing import CliRunner

from fakturabro.bootstrap import build
from fakturabro.cli import app
from fakturabro.invoicing.articles import list_articles
from fakturabro.invoicing.companies import find_company
from fakturabro.invoicing.customers import list_customers
from fakturabro.sandbox.testing import live_sandbox
from fakturabro.settings import Settings
from fakturabro.store.migrate import upgrade
from fakturabro.sync.connection import VismaSetup, activate, complete_connect, start_connect

from .samples import consent_in_sandbox, csv_bytes

COMPANY = "Registerfirman AB"


@pytest.fixture
def sandbox_url(tmp_path: Path) -> Iterator[str]:
    with live_sandbox(tmp_path / "sandbox") as sandbox:
        yield sandbox.base_url


@pytest.fixture
def connected(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sandbox_url: str) -> Settings:
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
    settings = Settings()
    container = build(settings)
    upgrade(container.engine)
    company_id = create_company_with_details(container.db, COMPANY).id
    activate(container.db, company_id)
    setup = VismaSetup.from_settings(settings)
    with httpx.Client(timeout=10) as browser:
        callback = consent_in_sandbox(browser, start_connect(container.db, setup, company_id))
    complete_connect(container.db, setup, state=callback["state"], code=callback["code"])
    container.close()
    return settings


def run(*args: str, code: int = 0) -> str:
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == code, result.output
    return " ".join(result.output.split())  # rich wraps at the terminal's width


def test_files_then_visma(connected: Settings, tmp_path: Path) -> None:
    price_list = tmp_path / "grossist.csv"
    price_list.write_bytes(
        csv_bytes(
            [
                ["Art.nr", "Benämning", "Enhet", "Nettopris", "Moms"],
                ["7000", "Kabel", "m", "18,50", "25"],
                ["7001", "", "st", "1", "25"],
                ["8000", "Lärling", "tim", "400", "25"],
            ],
            encoding="cp1252",
        )
    )
    dry = run("articles", "import", str(price_list), "--company", COMPANY, "--dry-run")
    assert "läggs till" in dry
    assert "Benämningen saknas." in dry
    container = build(connected)
    company_id = find_company(container.db, COMPANY).id
    assert list_articles(container.db, company_id) == []

    done = run("articles", "import", str(price_list), "--company", COMPANY)
    assert "2 skrivna" in done
    assert sorted(a.number for a in list_articles(container.db, company_id)) == ["7000", "8000"]

    exported = tmp_path / "artiklar.xlsx"
    run("articles", "export", str(exported), "--company", COMPANY)
    assert exported.read_bytes().startswith(b"PK")

    preview = run("articles", "push", "--company", COMPANY, "--dry-run")
    assert "konflikt" in preview  # 8000 is "Montör" in Visma
    assert "--decide 8000=use_incoming" in preview
    pushed = run("articles", "push", "--company", COMPANY)
    assert "1 skrivna" in pushed
    assert "anrop till Visma" in pushed
    run("articles", "push", "--company", COMPANY, "--decide", "8000=keep_existing")
    run("articles", "push", "--company", COMPANY, "--decide", "8000=maybe", code=2)

    run("articles", "pull", "--company", COMPANY)
    assert len(list_articles(container.db, company_id)) == 7  # Visma's six and our 7000

    pulled = run("customers", "pull", "--company", COMPANY)
    assert "2 skrivna" in pulled
    assert len(list_customers(container.db, company_id)) == 2
    run("customers", "push", "--company", COMPANY, "--dry-run")
    run("articles", "push", "--company", "Finns inte AB", code=1)
    container.close()
