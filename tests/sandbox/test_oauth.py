"""Visma Connect emulation: code flow with state and PKCE, client auth, expiry, refresh rotation, scopes."""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from fastapi.testclient import TestClient

from fakturabro.sandbox.seed import DEV_CLIENT_ID, DEV_CLIENT_SECRET, SEED_COMPANY_ID, SEED_USER_EMAIL
from fakturabro.sandbox.testing import FakeClock

from .conftest import bearer, get_token

REDIRECT_URI = "http://localhost:8000/visma/callback"


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


def authorize_url(challenge: str, state: str = "xyz-state", scope: str = "ea:api ea:sales offline_access") -> str:
    query = urlencode(
        {
            "client_id": DEV_CLIENT_ID,
            "redirect_uri": REDIRECT_URI,
            "response_type": "code",
            "scope": scope,
            "state": state,
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        }
    )
    return f"http://testserver/connect/authorize?{query}"


def exchange(client: TestClient, code: str, verifier: str, *, basic: bool = True) -> Any:
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI, "code_verifier": verifier}
    if basic:
        return client.post("/connect/token", data=form, auth=(DEV_CLIENT_ID, DEV_CLIENT_SECRET))
    return client.post("/connect/token", data={**form, "client_id": DEV_CLIENT_ID, "client_secret": DEV_CLIENT_SECRET})


def refresh(client: TestClient, refresh_token: str) -> Any:
    return client.post(
        "/connect/token",
        data={"grant_type": "refresh_token", "refresh_token": refresh_token},
        auth=(DEV_CLIENT_ID, DEV_CLIENT_SECRET),
    )


def code_from(redirect_url: str, expected_state: str = "xyz-state") -> str:
    parts = urlsplit(redirect_url)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == REDIRECT_URI
    query = parse_qs(parts.query)
    assert query["state"] == [expected_state]
    return query["code"][0]


def test_html_login_and_consent_flow_end_to_end(client: TestClient) -> None:
    verifier, challenge = pkce_pair()
    page = client.get(authorize_url(challenge))
    assert page.status_code == 200
    assert "<form" in page.text
    assert 'name="password"' in page.text
    action = re.search(r'action="([^"]+)"', page.text)
    assert action is not None
    hidden = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page.text))
    answer = client.post(
        action.group(1),
        data={**hidden, "username": SEED_USER_EMAIL, "password": "sandbox", "decision": "allow"},
        follow_redirects=False,
    )
    assert answer.status_code == 302
    code = code_from(answer.headers["location"])
    tokens = exchange(client, code, verifier)
    assert tokens.status_code == 200, tokens.text
    body = tokens.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 3600
    assert body["refresh_token"]
    assert client.get("/v2/customers", headers=bearer(body["access_token"])).status_code == 200


def test_wrong_password_shows_the_form_again(client: TestClient) -> None:
    _, challenge = pkce_pair()
    params = dict(parse_qs(urlsplit(authorize_url(challenge)).query))
    form = {key: values[0] for key, values in params.items()}
    answer = client.post(
        "/connect/authorize",
        data={**form, "username": SEED_USER_EMAIL, "password": "wrong", "decision": "allow"},
        follow_redirects=False,
    )
    assert answer.status_code == 401
    assert "Fel e-post eller lösenord" in answer.text


def test_deny_redirects_with_access_denied_and_state(client: TestClient) -> None:
    _, challenge = pkce_pair()
    form = {key: values[0] for key, values in parse_qs(urlsplit(authorize_url(challenge)).query).items()}
    answer = client.post("/connect/authorize", data={**form, "decision": "deny"}, follow_redirects=False)
    query = parse_qs(urlsplit(answer.headers["location"]).query)
    assert query["error"] == ["access_denied"]
    assert query["state"] == ["xyz-state"]


def test_control_authorize_then_client_secret_post(client: TestClient) -> None:
    verifier, challenge = pkce_pair()
    approved = client.post("/_sandbox/authorize", json={"url": authorize_url(challenge, state="s-42")})
    assert approved.status_code == 200
    code = code_from(approved.json()["redirect_url"], "s-42")
    tokens = exchange(client, code, verifier, basic=False)
    assert tokens.status_code == 200, tokens.text


def test_wrong_pkce_verifier_is_rejected(client: TestClient) -> None:
    _, challenge = pkce_pair()
    code = code_from(client.post("/_sandbox/authorize", json={"url": authorize_url(challenge)}).json()["redirect_url"])
    answer = exchange(client, code, "not-the-verifier-" + "x" * 40)
    assert answer.status_code == 400
    assert answer.json()["error"] == "invalid_grant"


def test_code_is_single_use(client: TestClient) -> None:
    verifier, challenge = pkce_pair()
    code = code_from(client.post("/_sandbox/authorize", json={"url": authorize_url(challenge)}).json()["redirect_url"])
    assert exchange(client, code, verifier).status_code == 200
    again = exchange(client, code, verifier)
    assert again.status_code == 400
    assert again.json()["error"] == "invalid_grant"


def test_bad_client_secret_is_invalid_client(client: TestClient) -> None:
    verifier, challenge = pkce_pair()
    code = code_from(client.post("/_sandbox/authorize", json={"url": authorize_url(challenge)}).json()["redirect_url"])
    answer = client.post(
        "/connect/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT_URI,
            "code_verifier": verifier,
        },
        auth=(DEV_CLIENT_ID, "wrong"),
    )
    assert answer.status_code == 401
    assert answer.json()["error"] == "invalid_client"


def test_unregistered_redirect_uri_is_not_redirected_to(client: TestClient) -> None:
    query = urlencode({"client_id": DEV_CLIENT_ID, "redirect_uri": "https://evil.example/cb", "response_type": "code"})
    answer = client.get(f"/connect/authorize?{query}", follow_redirects=False)
    assert answer.status_code == 400
    assert "location" not in answer.headers


def test_access_token_expires(client: TestClient, clock: FakeClock) -> None:
    token = get_token(client)
    assert client.get("/v2/units", headers=bearer(token)).status_code == 200
    clock.advance(3599)
    assert client.get("/v2/units", headers=bearer(token)).status_code == 200
    clock.advance(2)
    expired = client.get("/v2/units", headers=bearer(token))
    assert expired.status_code == 401
    assert expired.json()["ErrorCode"] == 4005


def test_refresh_rotates_and_a_used_refresh_token_dies(client: TestClient, clock: FakeClock) -> None:
    first = get_token(client)
    clock.advance(4000)
    second = refresh(client, first["refresh_token"])
    assert second.status_code == 200, second.text
    rotated = second.json()
    assert rotated["refresh_token"] != first["refresh_token"]
    assert client.get("/v2/units", headers=bearer(rotated)).status_code == 200
    reuse = refresh(client, first["refresh_token"])
    assert reuse.status_code == 400
    assert reuse.json() == {"error": "invalid_grant", "error_description": reuse.json()["error_description"]}
    assert refresh(client, rotated["refresh_token"]).status_code == 200


def test_refreshed_token_stays_bound_to_its_company(client: TestClient) -> None:
    other = client.post("/_sandbox/companies", json={"name": "Andra AB"}).json()
    first = get_token(client, company_id=other["company_id"])
    rotated = refresh(client, first["refresh_token"]).json()
    names = client.get("/v2/companysettings", headers=bearer(rotated)).json()["Name"]
    assert names == "Andra AB"


def test_no_refresh_token_without_offline_access(client: TestClient) -> None:
    token = get_token(client, scopes=["ea:api", "ea:sales"])
    assert "refresh_token" not in token


def test_token_endpoint_requires_form_encoding(client: TestClient) -> None:
    answer = client.post(
        "/connect/token", json={"grant_type": "refresh_token"}, auth=(DEV_CLIENT_ID, DEV_CLIENT_SECRET)
    )
    assert answer.status_code == 400
    assert answer.json()["error"] == "invalid_request"


@pytest.mark.parametrize(
    ("scopes", "path", "allowed"),
    [
        (["ea:api", "ea:sales"], "/v2/customers", True),
        (["ea:api", "ea:sales_readonly"], "/v2/customers", True),
        (["ea:api", "ea:accounting"], "/v2/customers", False),
        (["ea:sales"], "/v2/customers", False),  # ea:api is always needed
        (["ea:api", "ea:sales"], "/v2/vatcodes", False),
        (["ea:api", "ea:accounting"], "/v2/vatcodes", True),
        (["ea:api", "ea:purchase_readonly"], "/v2/bankaccounts", True),
        (["ea:api", "ea:sales"], "/v2/bankaccounts", False),
        (["ea:api", "ea:accounting"], "/v2/fiscalyears", True),
    ],
)
def test_scopes_are_checked_per_operation(client: TestClient, scopes: list[str], path: str, allowed: bool) -> None:
    answer = client.get(path, headers=bearer(get_token(client, scopes=scopes)))
    assert answer.status_code == (200 if allowed else 403)
    if not allowed:
        assert answer.json()["ErrorCode"] == 4006


def test_readonly_scope_cannot_write(client: TestClient) -> None:
    headers = bearer(get_token(client, scopes=["ea:api", "ea:sales_readonly"]))
    answer = client.post("/v2/customers", headers=headers, json={"Name": "X"})
    assert answer.status_code == 403


def test_token_is_bound_to_one_company(client: TestClient) -> None:
    token = get_token(client)
    assert token["company_id"] == SEED_COMPANY_ID
    assert client.get("/v2/companysettings", headers=bearer(token)).json()["Name"].startswith("Demo")


def test_revoke_kills_access_and_refresh_tokens_of_one_company(client: TestClient) -> None:
    other = client.post("/_sandbox/companies", json={}).json()
    mine = get_token(client)
    theirs = get_token(client, company_id=other["company_id"])
    revoked = client.post("/_sandbox/revoke").json()
    assert revoked == {"company_id": SEED_COMPANY_ID, "access_tokens": 1, "refresh_tokens": 1}
    assert client.get("/v2/units", headers=bearer(mine)).status_code == 401
    assert refresh(client, mine["refresh_token"]).json()["error"] == "invalid_grant"
    assert client.get("/v2/units", headers=bearer(theirs)).status_code == 200
