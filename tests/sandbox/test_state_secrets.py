"""The sandbox's state file holds no usable secret: tokens, codes and client secrets as SHA-256 digests, the
login's password as an argon2 hash; a restart still accepts what was issued; an old plain-text file is upgraded."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from fastapi.testclient import TestClient
from structlog.testing import capture_logs

from fakturabro.sandbox.app import create_sandbox_app
from fakturabro.sandbox.credentials import digest
from fakturabro.sandbox.seed import DEV_CLIENT_ID, DEV_CLIENT_SECRET, SEED_USER_EMAIL, SEED_USER_PASSWORD
from fakturabro.sandbox.state import STATE_FILE_NAME
from fakturabro.sandbox.testing import FakeClock

from .conftest import bearer, get_token
from .test_oauth import authorize_url, code_from, exchange, pkce_pair, refresh


def state_file(data_dir: Path) -> str:
    return (data_dir / STATE_FILE_NAME).read_text(encoding="utf-8")


def log_in(client: TestClient, challenge: str, password: str = SEED_USER_PASSWORD) -> Any:
    page = client.get(authorize_url(challenge))
    hidden = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page.text))
    return client.post(
        "/connect/authorize",
        data={**hidden, "username": SEED_USER_EMAIL, "password": password, "decision": "allow"},
        follow_redirects=False,
    )


def test_the_state_file_keeps_no_token_code_client_secret_or_password(client: TestClient, data_dir: Path) -> None:
    verifier, challenge = pkce_pair()
    code = code_from(log_in(client, challenge).headers["location"])
    assert code not in state_file(data_dir)
    assert digest(code) in state_file(data_dir)

    tokens = exchange(client, code, verifier).json()
    stored = json.loads(state_file(data_dir))

    for secret in (tokens["access_token"], tokens["refresh_token"], DEV_CLIENT_SECRET):
        assert secret not in state_file(data_dir)
    assert stored["version"] == 2
    assert set(stored["access_tokens"]) == {digest(tokens["access_token"])}
    assert set(stored["refresh_tokens"]) == {digest(tokens["refresh_token"])}
    assert stored["clients"][DEV_CLIENT_ID]["secret_sha256"] == digest(DEV_CLIENT_SECRET)
    [user] = stored["users"].values()
    assert set(user) == {"email", "password_hash", "company_id"}
    assert user["password_hash"].startswith("$argon2id$")


def test_a_restarted_sandbox_accepts_what_it_issued_and_a_leaked_digest_grants_nothing(
    client: TestClient, data_dir: Path, clock: FakeClock
) -> None:
    tokens = get_token(client)
    leaked = json.loads(state_file(data_dir))

    with TestClient(create_sandbox_app(data_dir, clock=clock)) as restarted:
        assert restarted.get("/v2/customers", headers=bearer(tokens["access_token"])).status_code == 200
        for digest_as_token in leaked["access_tokens"]:
            assert restarted.get("/v2/customers", headers=bearer(digest_as_token)).status_code == 401
        for digest_as_token in leaked["refresh_tokens"]:
            assert refresh(restarted, digest_as_token).json()["error"] == "invalid_grant"
        password_hash = next(iter(leaked["users"].values()))["password_hash"]
        _, challenge = pkce_pair()
        assert log_in(restarted, challenge, password=password_hash).status_code == 401
        rotated = refresh(restarted, tokens["refresh_token"])
        assert rotated.status_code == 200, rotated.text


def test_revoke_still_kills_every_token_of_the_company(client: TestClient) -> None:
    tokens = get_token(client)
    assert client.post("/_sandbox/revoke").json()["access_tokens"] == 1
    assert client.get("/v2/customers", headers=bearer(tokens["access_token"])).status_code == 401
    assert refresh(client, tokens["refresh_token"]).json()["error"] == "invalid_grant"


def version_1_file(data_dir: Path, clock: FakeClock) -> dict[str, Any]:
    """A state file as the sandbox wrote it before secrets were hashed: everything in plain text."""
    with TestClient(create_sandbox_app(data_dir, clock=clock)):
        pass
    current = json.loads(state_file(data_dir))
    user = next(iter(current["users"].values()))
    expires = "2099-01-01T00:00:00.000000Z"
    record = {"company_id": user["company_id"], "client_id": DEV_CLIENT_ID, "scopes": ["ea:api", "ea:sales"]}
    old = {
        **current,
        "version": 1,
        "clients": {
            DEV_CLIENT_ID: {
                "client_id": DEV_CLIENT_ID,
                "client_secret": DEV_CLIENT_SECRET,
                "redirect_uris": [],
                "allow_loopback": True,
            }
        },
        "users": {
            SEED_USER_EMAIL: {
                "email": SEED_USER_EMAIL,
                "password": SEED_USER_PASSWORD,
                "company_id": user["company_id"],
            }
        },
        "access_tokens": {"old-access-token": {**record, "expires_at": expires}},
        "refresh_tokens": {"old-refresh-token": {**record, "access_token": "old-access-token"}},
        "auth_codes": {},
    }
    (data_dir / STATE_FILE_NAME).write_text(json.dumps(old), encoding="utf-8")
    return old


def test_a_plain_text_state_file_is_upgraded_and_keeps_working(data_dir: Path, clock: FakeClock) -> None:
    version_1_file(data_dir, clock)

    with capture_logs() as logs, TestClient(create_sandbox_app(data_dir, clock=clock)) as client:
        upgraded = state_file(data_dir)
        assert client.get("/v2/customers", headers=bearer("old-access-token")).status_code == 200
        _, challenge = pkce_pair()
        login = log_in(client, challenge)
        assert "code" in parse_qs(urlsplit(login.headers["location"]).query)
        assert refresh(client, "old-refresh-token").status_code == 200

    assert [entry["event"] for entry in logs if entry["event"].startswith("sandbox.")] == ["sandbox.state_upgraded"]
    assert json.loads(upgraded)["version"] == 2
    for secret in ("old-access-token", "old-refresh-token", DEV_CLIENT_SECRET, f'"{SEED_USER_PASSWORD}"'):
        assert secret not in upgraded
