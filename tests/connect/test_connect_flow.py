"""The OAuth connection against the sandbox: browser-style flow, state and PKCE checks, tokens at rest."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import httpx
import pytest
from connect_helpers import login_and_consent, query
from connect_support import Clock, Company, SandboxClock
from sqlalchemy import select

from fakturabro.domain.errors import Conflict, ValidationFailed
from fakturabro.store.database import Database
from fakturabro.store.visma_models import VismaConnection, VismaOAuthRequest
from fakturabro.sync.connection import (
    STATE_TTL,
    ConnectFailed,
    ConnectionState,
    DatabaseTokenStore,
    NeedsReconnect,
    NotConnected,
    VismaSetup,
    complete_connect,
    connection_status,
    deactivate,
    disconnect,
    start_connect,
    update_integration,
    visma_client_for,
)
from fakturabro.visma.errors import OAuthError


class Container:
    """The part of `bootstrap.Container` the connection use cases read."""

    def __init__(self, db: Database, visma_setup: VismaSetup) -> None:
        self.db = db
        self.extras = {"visma_setup": visma_setup}
        self.settings: Any = None


def connect(db: Database, setup: VismaSetup, company: Company) -> str:
    url = start_connect(db, setup, company.id)
    with httpx.Client(timeout=10) as browser:
        callback = login_and_consent(browser, url)
    assert callback.startswith(setup.redirect_uri)
    params = query(callback)
    assert complete_connect(db, setup, state=params["state"], code=params["code"]) == company.id
    return callback


def test_browser_flow_connects_and_reads_the_visma_company(db: Database, setup: VismaSetup, company: Company) -> None:
    assert connection_status(db, company.id).state is ConnectionState.NOT_CONNECTED
    url = start_connect(db, setup, company.id)
    params = query(url)
    assert params["code_challenge_method"] == "S256"
    assert "offline_access" in params["scope"].split()
    assert params["redirect_uri"] == setup.redirect_uri

    connect(db, setup, company)

    status = connection_status(db, company.id)
    assert status.state is ConnectionState.CONNECTED
    assert status.connected
    assert status.visma_company is not None
    assert status.visma_company.name == "Demo Bygg & Service AB"
    assert status.visma_company.org_number == "556677-8899"
    client = visma_client_for(Container(db, setup), company.id)
    assert client.get_company_settings().next_customer_invoice_number == 1001


def test_connect_needs_activation_first(db: Database, setup: VismaSetup, company: Company) -> None:
    deactivate(db, company.id)
    assert connection_status(db, company.id).state is ConnectionState.INACTIVE
    with pytest.raises(Conflict):
        start_connect(db, setup, company.id)


def test_wrong_state_is_refused_and_connects_nothing(db: Database, setup: VismaSetup, company: Company) -> None:
    url = start_connect(db, setup, company.id)
    with httpx.Client(timeout=10) as browser:
        callback = query(login_and_consent(browser, url))
    with pytest.raises(ConnectFailed) as refused:
        complete_connect(db, setup, state=callback["state"] + "x", code=callback["code"])
    assert refused.value.code == "oauth_state_invalid"
    assert connection_status(db, company.id).state is ConnectionState.NOT_CONNECTED


def test_state_is_single_use_and_a_replayed_code_is_refused(db: Database, setup: VismaSetup, company: Company) -> None:
    callback = query(connect(db, setup, company))
    with pytest.raises(ConnectFailed) as replayed:
        complete_connect(db, setup, state=callback["state"], code=callback["code"])
    assert replayed.value.code == "oauth_state_used"

    # The same code under a fresh state (an attacker replaying it): Visma refuses the used code.
    second = query(start_connect(db, setup, company.id))
    with pytest.raises(ConnectFailed) as refused:
        complete_connect(db, setup, state=second["state"], code=callback["code"])
    assert refused.value.code == "oauth_exchange_failed"
    assert connection_status(db, company.id).last_error_code == "invalid_grant"


def test_expired_state_is_refused(db: Database, setup: VismaSetup, company: Company, clock: Clock) -> None:
    url = start_connect(db, setup, company.id)
    with httpx.Client(timeout=10) as browser:
        callback = query(login_and_consent(browser, url))
    clock.advance(STATE_TTL.total_seconds() + 1)
    with pytest.raises(ConnectFailed) as expired:
        complete_connect(db, setup, state=callback["state"], code=callback["code"])
    assert expired.value.code == "oauth_state_expired"


def test_pkce_mismatch_is_refused(db: Database, setup: VismaSetup, company: Company) -> None:
    # Two flows; the code of the first is presented with the second's state, hence the second's verifier.
    first = start_connect(db, setup, company.id)
    second = query(start_connect(db, setup, company.id))
    with httpx.Client(timeout=10) as browser:
        code = query(login_and_consent(browser, first))["code"]
    with pytest.raises(ConnectFailed) as refused:
        complete_connect(db, setup, state=second["state"], code=code)
    assert refused.value.code == "oauth_exchange_failed"
    assert connection_status(db, company.id).state is ConnectionState.NOT_CONNECTED


def test_denied_consent_connects_nothing(db: Database, setup: VismaSetup, company: Company) -> None:
    state = query(start_connect(db, setup, company.id))["state"]
    with pytest.raises(ConnectFailed) as denied:
        complete_connect(db, setup, state=state, code=None, error="access_denied")
    assert denied.value.code == "oauth_denied"
    assert connection_status(db, company.id).last_error_code == "access_denied"


def stored(db: Database, company: Company) -> tuple[int, str, str]:
    """(token generation, access token, refresh token) as the database holds them, decrypted."""
    with db.transaction() as session:
        row = session.get(VismaConnection, company.id)
        assert row is not None
        access = db.cipher.decrypt(row.access_token_encrypted or "")
        return row.token_generation, access, db.cipher.decrypt(row.refresh_token_encrypted or "")


def test_expired_access_token_mid_request_is_refreshed_and_the_rotated_token_persisted(
    db: Database,
    setup: VismaSetup,
    company: Company,
    clock: Clock,
    sandbox_clock: SandboxClock,
    sandbox_app: Any,
    capsys: pytest.CaptureFixture[str],
) -> None:
    callback = query(connect(db, setup, company))
    client = visma_client_for(Container(db, setup), company.id)
    generation, first_access, first_refresh = stored(db, company)

    # Visma's clock runs past the token's hour while ours still trusts it: the request gets a 401, and the
    # refresh and the replay happen inside the same call.
    sandbox_clock.ahead = 3601
    assert client.get_company_settings().name == "Demo Bygg & Service AB"
    second_generation, second_access, rotated = stored(db, company)
    assert second_generation == generation + 1
    assert (second_access, rotated) != (first_access, first_refresh)
    live = sandbox_app.state.sandbox.refresh_tokens
    assert first_refresh not in live  # the used refresh token is dead in Visma
    assert rotated in live

    # A new client (another process) starts from the stored, rotated tokens and refreshes ahead of expiry.
    sandbox_clock.ahead = 0
    clock.advance(3600)
    again = visma_client_for(Container(db, setup), company.id)
    assert again.get_company_settings().name == "Demo Bygg & Service AB"
    third_generation, third_access, third_refresh = stored(db, company)
    assert third_generation == generation + 2
    assert connection_status(db, company.id).state is ConnectionState.CONNECTED

    # Nothing secret reached the logs on the way.
    logged = "".join(capsys.readouterr())
    assert "visma.oauth.refreshed" in logged
    for secret in (first_access, first_refresh, second_access, rotated, third_access, third_refresh, callback["code"]):
        assert secret not in logged


def test_revoked_consent_puts_the_connection_in_needs_reconnect(
    db: Database, setup: VismaSetup, company: Company, clock: Clock, sandbox_app: Any
) -> None:
    connect(db, setup, company)
    client = visma_client_for(Container(db, setup), company.id)
    sandbox = sandbox_app.state.sandbox
    with sandbox.lock:  # the user revokes our access in Visma: every token of ours dies
        sandbox.access_tokens.clear()
        sandbox.refresh_tokens.clear()

    with pytest.raises(NeedsReconnect) as refused:
        client.get_company_settings()
    assert refused.value.needs_reconnect
    assert isinstance(refused.value.__cause__, OAuthError)
    status = connection_status(db, company.id)
    assert status.state is ConnectionState.NEEDS_RECONNECT
    assert status.last_error_code == "invalid_grant"
    with pytest.raises(NeedsReconnect):
        visma_client_for(Container(db, setup), company.id)

    # Connecting again heals it.
    connect(db, setup, company)
    assert connection_status(db, company.id).state is ConnectionState.CONNECTED
    assert visma_client_for(Container(db, setup), company.id).get_company_settings().name


def test_disconnect_forgets_tokens_and_exports_wait(db: Database, setup: VismaSetup, company: Company) -> None:
    connect(db, setup, company)
    status = disconnect(db, company.id)
    assert status.state is ConnectionState.NOT_CONNECTED
    assert status.visma_company is None
    with pytest.raises(NotConnected):
        visma_client_for(Container(db, setup), company.id)
    with db.transaction() as session:
        row = session.get(VismaConnection, company.id)
        assert row is not None
        assert row.access_token_encrypted is None
        assert row.refresh_token_encrypted is None


def test_mode_is_validated(db: Database, company: Company) -> None:
    assert update_integration(db, company.id, mode="voucher").mode.value == "voucher"
    with pytest.raises(ValidationFailed):
        update_integration(db, company.id, mode="pdf")


def test_tokens_are_encrypted_at_rest(db: Database, setup: VismaSetup, company: Company, tmp_path: Any) -> None:
    callback = query(connect(db, setup, company))
    client = visma_client_for(Container(db, setup), company.id)
    client.get_company_settings()
    tokens = DatabaseTokenStore(db, company.id).load()
    assert tokens is not None
    secrets = [tokens.access_token, tokens.refresh_token or "", callback["state"]]
    with db.transaction() as session:
        verifier = session.scalars(select(VismaOAuthRequest.code_verifier_encrypted)).first()
        assert verifier is not None
        secrets.append(db.cipher.decrypt(verifier))
    raw = b"".join(path.read_bytes() for path in tmp_path.glob("fakturabro.db*"))
    assert raw  # the database file and its write-ahead log
    for secret in secrets:
        assert len(secret) > 20
        assert secret.encode() not in raw


def test_a_flow_started_in_a_browser_completes_only_in_that_browser(
    db: Database, setup: VismaSetup, company: Company
) -> None:
    url = start_connect(db, setup, company.id, browser_binding="session-secret-of-browser-a")
    with httpx.Client(timeout=10) as victim:  # someone else's browser, logged in to their own Visma
        callback = query(login_and_consent(victim, url))
    with pytest.raises(ConnectFailed) as refused:
        complete_connect(db, setup, state=callback["state"], code=callback["code"], browser_binding="browser-b")
    assert refused.value.code == "oauth_browser_mismatch"
    assert connection_status(db, company.id).state is ConnectionState.NOT_CONNECTED

    url = start_connect(db, setup, company.id, browser_binding="session-secret-of-browser-a")
    with httpx.Client(timeout=10) as browser:
        callback = query(login_and_consent(browser, url))
    complete_connect(
        db, setup, state=callback["state"], code=callback["code"], browser_binding="session-secret-of-browser-a"
    )
    assert connection_status(db, company.id).state is ConnectionState.CONNECTED


def test_the_error_a_callback_carries_is_kept_only_as_a_plain_code(
    db: Database, setup: VismaSetup, company: Company
) -> None:
    state = query(start_connect(db, setup, company.id))["state"]
    with pytest.raises(ConnectFailed):
        complete_connect(db, setup, state=state, code=None, error="<script>alert(1)</script> 19811218-9876")
    assert connection_status(db, company.id).last_error_code == "scriptalertscript"


def test_visma_connect_unreachable_at_the_exchange_is_a_clear_failure(
    db: Database, setup: VismaSetup, company: Company
) -> None:
    state = query(start_connect(db, setup, company.id))["state"]
    unreachable = replace(setup, token_url="http://127.0.0.1:9/connect/token")  # nothing listens on port 9
    with pytest.raises(ConnectFailed) as failed:
        complete_connect(db, unreachable, state=state, code="any-code")
    assert failed.value.code == "visma_unavailable"
    status = connection_status(db, company.id)
    assert status.state is ConnectionState.NOT_CONNECTED
    assert status.last_error_code == "visma_unavailable"


def test_a_client_can_be_used_inside_the_callers_own_transaction(
    db: Database, setup: VismaSetup, company: Company
) -> None:
    connect(db, setup, company)
    client = visma_client_for(Container(db, setup), company.id)
    with db.transaction():  # on SQLite this holds the write lock; the token store must not need it
        assert client.get_company_settings().name == "Demo Bygg & Service AB"
