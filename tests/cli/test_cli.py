"""The ``fakturabro`` command: administration in-process, and ``serve`` as a real subprocess."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from cryptography.fernet import Fernet
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from fakturabro.cli import app
from fakturabro.settings import Settings
from fakturabro.web.app import create_app


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("FAKTURABRO_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.chdir(tmp_path)
    return tmp_path / "data"


def test_company_and_token_create_give_a_working_bearer_token(env: Path) -> None:
    runner = CliRunner()
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    created = runner.invoke(app, ["company", "create", "Elfirman i Lund AB"])
    assert created.exit_code == 0, created.output
    assert runner.invoke(app, ["company", "create", "Elfirman i Lund AB"]).exit_code == 1

    result = runner.invoke(app, ["token", "create", "--company", "Elfirman i Lund AB"])
    assert result.exit_code == 0, result.output
    token = result.output.strip().splitlines()[-1]
    by_id = runner.invoke(app, ["token", "create", "--company", "1"]).output.strip().splitlines()[-1]
    assert runner.invoke(app, ["token", "create", "--company", "Finns inte AB"]).exit_code == 1

    with TestClient(create_app(Settings())) as client:
        for bearer in (token, by_id):
            response = client.get("/api/v1/company", headers={"Authorization": f"Bearer {bearer}"})
            assert response.status_code == 200
            assert response.json()["name"] == "Elfirman i Lund AB"
    assert (env / "token_key").stat().st_mode & 0o777 == 0o600


def test_user_create_prints_a_generated_password(env: Path) -> None:
    runner = CliRunner()
    runner.invoke(app, ["db", "upgrade"])
    runner.invoke(app, ["company", "create", "Rör AB"])
    result = runner.invoke(app, ["user", "create", "--company", "Rör AB", "--email", "ola@ror.se"])
    assert result.exit_code == 0, result.output
    assert "Lösenord:" in result.output
    duplicate = runner.invoke(
        app, ["user", "create", "--company", "Rör AB", "--email", "ola@ror.se", "--password", "x" * 9]
    )
    assert duplicate.exit_code == 1


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, list[str]]]:
    port = _free_port()
    environment = {
        **os.environ,
        "FAKTURABRO_DATA_DIR": str(tmp_path / "data"),
        "FAKTURABRO_TOKEN_KEY": Fernet.generate_key().decode(),
    }
    environment.pop("DATABASE_URL", None)
    log = tmp_path / "serve.log"
    with log.open("w") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "fakturabro.cli", "serve", "--port", str(port)],
            env=environment,
            cwd=tmp_path,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert process.poll() is None, log.read_text()
            time.sleep(0.2)
        else:
            pytest.fail("serve did not answer /healthz:\n" + log.read_text())
        yield base, log.read_text().splitlines()
    finally:
        process.terminate()
        process.wait(timeout=20)


def test_serve_seeds_the_demo_and_prints_its_login(served: tuple[str, list[str]]) -> None:
    base, output = served
    token = next(line.split()[-1] for line in output if line.startswith("API-token"))
    login_line = next(line for line in output if "Logga in" in line)
    email, password = re.findall(r"(\S+@\S+) / (\S+)", login_line)[0]

    headers = {"Authorization": f"Bearer {token}"}
    assert httpx.get(f"{base}/api/v1/company", headers=headers).json()["name"] == "Demo Bygg AB"
    invoices = httpx.get(f"{base}/api/v1/invoices", headers=headers).json()
    assert len(invoices) == 3
    assert {invoice["status"] for invoice in invoices} == {"draft"}
    assert len(httpx.get(f"{base}/api/v1/customers", headers=headers).json()) >= 3
    approved = httpx.post(f"{base}/api/v1/invoices/{invoices[0]['id']}/approve", headers=headers, timeout=30)
    assert approved.status_code == 200, approved.text
    assert approved.json()["number"] == 1

    with httpx.Client(base_url=base, follow_redirects=True) as browser:
        form = browser.get("/login").text
        csrf = re.search(r'name="csrf" value="([^"]+)"', form)
        assert csrf is not None
        page = browser.post("/login", data={"email": email, "password": password, "csrf": csrf.group(1)})
        assert page.status_code == 200
        assert "Anna Svensson" in page.text
        assert "Demo Bygg AB" in page.text
