"""API tokens: scopes, expiry, last use, revocation (at once, in every process), through the API and the CLI."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from tests.api.helpers import Api
from typer.testing import CliRunner

from fakturabro.bootstrap import Container, build
from fakturabro.cli import app as cli_app
from fakturabro.invoicing.companies import create_api_token
from fakturabro.store.models import ApiToken
from fakturabro.web.app import create_app


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def second_process(container: Container) -> Iterator[TestClient]:
    """Another app on the same database, as another worker process would be (its own engine and container)."""
    other = build(container.settings)
    with TestClient(create_app(other), raise_server_exceptions=False) as client:
        yield client
    other.close()


def test_a_token_is_created_shown_once_listed_and_revoked(api: Api, second_process: TestClient) -> None:
    created = api.post("/tokens", {"name": "Minuba", "scopes": ["read", "write"]})
    assert created.status_code == 201, created.text
    token = created.json()["token"]
    assert second_process.get("/api/v1/company", headers=_bearer(token)).status_code == 200
    listed = {t["id"]: t for t in api.get("/tokens").json()}
    mine = listed[created.json()["id"]]
    assert "token" not in mine
    assert mine["state"] == "active"
    assert mine["prefix"] == token[:10]
    assert mine["last_used_at"] is not None
    assert api.delete(f"/tokens/{mine['id']}").status_code == 204
    # The very next request, in another process, is refused.
    assert second_process.get("/api/v1/company", headers=_bearer(token)).status_code == 401
    assert api.client.get("/api/v1/company", headers=_bearer(token)).status_code == 401
    assert {t["id"]: t for t in api.get("/tokens").json()}[mine["id"]]["state"] == "revoked"


def test_a_read_token_may_read_but_not_write(api: Api, container: Container) -> None:
    token = create_api_token(container.db, api.company.id, "läsare", scopes=["read"]).token
    assert api.client.get("/api/v1/customers", headers=_bearer(token)).status_code == 200
    refused = api.client.post("/api/v1/customers", json={"name": "Anna"}, headers=_bearer(token))
    assert refused.status_code == 403
    assert refused.json()["detail"][0]["type"] == "insufficient_scope"
    assert api.get("/customers").json() == []
    refused_key = api.client.post(
        "/api/v1/customers", json={"name": "Anna"}, headers={**_bearer(token), "Idempotency-Key": "k"}
    )
    assert refused_key.status_code == 403


def test_a_write_only_token_cannot_read(api: Api, container: Container) -> None:
    token = create_api_token(container.db, api.company.id, "skrivare", scopes=["write"]).token
    assert api.client.get("/api/v1/customers", headers=_bearer(token)).status_code == 403
    assert api.client.post("/api/v1/customers", json={"name": "A"}, headers=_bearer(token)).status_code == 201


def test_an_expired_token_is_refused_at_once(api: Api, container: Container, second_process: TestClient) -> None:
    expires = container.db.clock() + timedelta(hours=1)
    created = api.post("/tokens", {"scopes": ["read"], "expires_at": expires.isoformat()}).json()
    assert second_process.get("/api/v1/company", headers=_bearer(created["token"])).status_code == 200
    with container.db.transaction() as session:
        row = session.get(ApiToken, created["id"])
        assert row is not None
        row.expires_at = container.db.clock() - timedelta(seconds=1)  # the hour has passed
    assert second_process.get("/api/v1/company", headers=_bearer(created["token"])).status_code == 401
    assert {t["id"]: t for t in api.get("/tokens").json()}[created["id"]]["state"] == "expired"


@pytest.mark.parametrize(
    "body",
    [
        {"scopes": []},
        {"scopes": ["admin"]},
        {"expires_at": "2020-01-01T00:00:00Z"},
        {"expires_at": "2999-01-01T00:00:00"},  # no time zone
        {"name": "x" * 201},
    ],
)
def test_bad_token_requests_are_a_422_and_create_nothing(api: Api, body: dict[str, object]) -> None:
    before = len(api.get("/tokens").json())
    assert api.post("/tokens", body).status_code == 422
    assert len(api.get("/tokens").json()) == before


def test_another_company_s_token_cannot_be_revoked(api: Api, other_api: Api) -> None:
    theirs = other_api.get("/tokens").json()[0]
    assert api.delete(f"/tokens/{theirs['id']}").status_code == 404
    assert other_api.get("/company").status_code == 200


def test_the_cli_lists_and_revokes_tokens(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FAKTURABRO_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    assert runner.invoke(cli_app, ["db", "upgrade"]).exit_code == 0
    assert runner.invoke(cli_app, ["company", "create", "Tokenfirman AB"]).exit_code == 0
    made = runner.invoke(cli_app, ["token", "create", "--company", "1", "--name", "läs", "--scope", "read"])
    assert made.exit_code == 0, made.output
    token = made.output.strip().splitlines()[-1]
    listed = runner.invoke(cli_app, ["token", "list", "--company", "Tokenfirman AB"], env={"COLUMNS": "200"})
    assert listed.exit_code == 0, listed.output
    assert token[:10] in listed.output
    assert "aktiv" in listed.output
    assert token not in listed.output
    revoked = runner.invoke(cli_app, ["token", "revoke", "1", "--company", "1"])
    assert revoked.exit_code == 0, revoked.output
    assert "återkallad" in runner.invoke(cli_app, ["token", "list", "--company", "1"], env={"COLUMNS": "200"}).output
    assert runner.invoke(cli_app, ["token", "revoke", "99", "--company", "1"]).exit_code == 1
    bad = runner.invoke(cli_app, ["token", "create", "--company", "1", "--expires", "i morgon"])
    assert bad.exit_code == 1
