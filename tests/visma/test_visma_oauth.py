import threading
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from visma_fakes import FakeClock, FakeConnect, api_handler

from fakturabro.visma.errors import OAuthError
from fakturabro.visma.oauth import (
    InMemoryTokenStore,
    NotConnected,
    Pkce,
    TokenSet,
    VismaAuth,
    VismaConnect,
    VismaConnectConfig,
    new_state,
    pkce_challenge,
)

CONFIG = VismaConnectConfig(
    client_id="fakturabro-dev",
    client_secret="s3cret",
    redirect_uri="http://localhost:8000/integrations/visma/callback",
    auth_url="https://connect.test/connect/authorize",
    token_url="https://connect.test/connect/token",
)


def build(connect: FakeConnect, clock: FakeClock, tokens: TokenSet | None):
    transport = httpx.MockTransport(api_handler(connect))
    token_http = httpx.Client(transport=transport)
    store = InMemoryTokenStore(tokens)
    auth = VismaAuth(store, VismaConnect(CONFIG, token_http, clock=clock).refresh, clock=clock)
    api = httpx.Client(transport=transport, auth=auth, base_url="https://api.test/v2")
    return api, store


def tokens_expiring_in(clock: FakeClock, seconds: float) -> TokenSet:
    return TokenSet("access-0", "refresh-0", clock() + timedelta(seconds=seconds), "ea:api")


def test_pkce_challenge_is_rfc7636_s256() -> None:
    # The example from RFC 7636, appendix B.
    assert pkce_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk") == (
        "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
    )
    pkce = Pkce.generate()
    assert 43 <= len(pkce.verifier) <= 128
    assert pkce.challenge == pkce_challenge(pkce.verifier)
    assert pkce.verifier not in repr(pkce)


def test_authorization_url_carries_state_pkce_and_scopes() -> None:
    state = new_state()
    url = VismaConnect(CONFIG, httpx.Client()).authorization_url(state=state, code_challenge="abc")
    parts = urlsplit(url)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == CONFIG.auth_url
    assert query == {
        "client_id": "fakturabro-dev",
        "redirect_uri": CONFIG.redirect_uri,
        "response_type": "code",
        "scope": "ea:api offline_access ea:sales ea:accounting",
        "state": state,
        "code_challenge": "abc",
        "code_challenge_method": "S256",
    }


def test_exchange_code_sends_verifier_and_basic_auth() -> None:
    connect, clock = FakeConnect(), FakeClock()
    seen: list[httpx.Request] = []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return connect.handle(request)

    tokens = VismaConnect(CONFIG, httpx.Client(transport=httpx.MockTransport(handle)), clock=clock).exchange_code(
        "good-code", "the-verifier"
    )
    assert tokens.access_token == "access-1"
    assert tokens.refresh_token == "refresh-1"
    assert tokens.expires_at == clock() + timedelta(seconds=3600)
    assert connect.forms[0]["code_verifier"] == "the-verifier"
    assert connect.forms[0]["redirect_uri"] == CONFIG.redirect_uri
    assert seen[0].headers["Authorization"].startswith("Basic ")
    assert "access-1" not in repr(tokens)


def test_refused_code_is_an_oauth_error_without_secrets() -> None:
    connect = FakeConnect()
    client = VismaConnect(CONFIG, httpx.Client(transport=httpx.MockTransport(connect.handle)))
    with pytest.raises(OAuthError) as caught:
        client.exchange_code("replayed-code", "v")
    assert caught.value.oauth_error == "invalid_grant"
    assert "s3cret" not in str(caught.value)


def test_fresh_token_is_used_without_refreshing() -> None:
    connect, clock = FakeConnect(), FakeClock()
    api, _ = build(connect, clock, tokens_expiring_in(clock, 3600))
    assert api.get("/companysettings").json()["token"] == "access-0"
    assert connect.refresh_calls == 0


def test_token_is_refreshed_before_it_expires() -> None:
    connect, clock = FakeConnect(), FakeClock()
    api, store = build(connect, clock, tokens_expiring_in(clock, 60))  # inside the 120 s margin
    assert api.get("/companysettings").json()["token"] == "access-1"
    assert connect.refresh_calls == 1
    saved = store.load()
    assert saved is not None
    assert saved.refresh_token == "refresh-1"  # the rotated refresh token is persisted


def test_unexpected_401_refreshes_once_and_replays() -> None:
    connect, clock = FakeConnect(), FakeClock()
    api, store = build(connect, clock, tokens_expiring_in(clock, 3600))
    connect.valid_access_tokens = {"revoked-elsewhere"}  # the stored token stops working mid-life
    response = api.post("/customers", json={"Name": "Anna"})
    assert response.status_code == 200
    assert response.json()["token"] == "access-1"
    assert response.json()["body"] == '{"Name":"Anna"}'  # the replay carries the same body
    assert connect.refresh_calls == 1
    assert store.load().refresh_token == "refresh-1"  # type: ignore[union-attr]


def test_401_after_the_refresh_is_returned_not_looped() -> None:
    connect, clock = FakeConnect(), FakeClock()
    transport = httpx.MockTransport(
        lambda r: connect.handle(r) if r.url.path == "/connect/token" else httpx.Response(401)
    )
    store = InMemoryTokenStore(tokens_expiring_in(clock, 3600))
    auth = VismaAuth(store, VismaConnect(CONFIG, httpx.Client(transport=transport), clock=clock).refresh, clock=clock)
    api = httpx.Client(transport=transport, auth=auth)
    assert api.get("https://api.test/v2/customers").status_code == 401
    assert connect.refresh_calls == 1


def test_rotation_survives_many_refreshes() -> None:
    connect, clock = FakeConnect(), FakeClock()
    api, store = build(connect, clock, tokens_expiring_in(clock, 3600))
    for expected in range(1, 4):
        clock.advance(3600)
        assert api.get("/units").json()["token"] == f"access-{expected}"
    assert connect.refresh_calls == 3
    assert store.load().refresh_token == "refresh-3"  # type: ignore[union-attr]


def test_rejected_refresh_needs_reconnect() -> None:
    connect, clock = FakeConnect(), FakeClock()
    connect.revoked = True  # e.g. the user changed the Visma password
    api, store = build(connect, clock, tokens_expiring_in(clock, 10))
    with pytest.raises(OAuthError) as caught:
        api.get("/companysettings")
    assert caught.value.needs_reconnect
    assert "refresh-0" not in str(caught.value)
    assert store.load().refresh_token == "refresh-0"  # type: ignore[union-attr]


def test_no_tokens_means_not_connected() -> None:
    connect, clock = FakeConnect(), FakeClock()
    api, _ = build(connect, clock, None)
    with pytest.raises(NotConnected) as caught:
        api.get("/companysettings")
    assert caught.value.needs_reconnect


def test_concurrent_requests_needing_refresh_refresh_exactly_once() -> None:
    connect, clock = FakeConnect(slow_refresh=0.05), FakeClock()
    api, store = build(connect, clock, tokens_expiring_in(clock, 30))
    barrier = threading.Barrier(8)
    tokens_seen: list[str] = []
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            barrier.wait()
            tokens_seen.append(api.get("/customers").json()["token"])
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert connect.refresh_calls == 1
    assert tokens_seen == ["access-1"] * 8
    assert store.load().refresh_token == "refresh-1"  # type: ignore[union-attr]
