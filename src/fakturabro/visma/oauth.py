"""Visma Connect: the OAuth 2 authorization code flow (with PKCE and `state`) and token refresh.

Visma's refresh tokens are single-use: every refresh returns a new one and the old one dies. Two workers
refreshing the same company at once would therefore break the connection, so a refresh happens only under the
`TokenStore`'s lock, and after taking the lock the store is read again: whoever refreshed first wins and the
others use the tokens it saved.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import threading
from collections.abc import AsyncGenerator, Callable, Generator, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol
from urllib.parse import urlencode

import httpx
import structlog

from fakturabro.visma.errors import OAuthError, VismaProtocolError, VismaUnavailable, error_from_transport

log = structlog.get_logger("fakturabro.visma.oauth")

DEFAULT_SCOPES = ("ea:api", "offline_access", "ea:sales", "ea:accounting")
PRODUCTION_AUTH_URL = "https://identity.vismaonline.com/connect/authorize"
PRODUCTION_TOKEN_URL = "https://identity.vismaonline.com/connect/token"  # noqa: S105 - a URL, not a secret
PRODUCTION_API_BASE_URL = "https://eaccountingapi.vismaonline.com/v2"
# Visma's documentation adds these to the authorize URL so the user picks which eEkonomi company to connect;
# the service id is eAccounting's (from Visma's developer docs, unconfirmed against the live service).
EACCOUNTING_ACR_VALUES = "service:44643EB1-3F76-4C1C-A672-402AE8085934 forceselectcompany:true"

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class VismaConnectConfig:
    client_id: str
    client_secret: str = field(repr=False)
    redirect_uri: str
    auth_url: str = PRODUCTION_AUTH_URL
    token_url: str = PRODUCTION_TOKEN_URL
    scopes: tuple[str, ...] = DEFAULT_SCOPES
    # Extra query parameters for the authorize URL, e.g. {"acr_values": EACCOUNTING_ACR_VALUES} for production.
    authorize_params: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class TokenSet:
    access_token: str = field(repr=False)
    refresh_token: str | None = field(repr=False)
    expires_at: datetime
    scope: str = ""

    def expires_within(self, margin: timedelta, now: datetime) -> bool:
        return now + margin >= self.expires_at


@dataclass(frozen=True)
class Pkce:
    """Proof Key for Code Exchange (RFC 7636), method S256."""

    verifier: str = field(repr=False)
    challenge: str

    @classmethod
    def generate(cls) -> Pkce:
        verifier = secrets.token_urlsafe(64)  # 86 characters, inside the 43..128 the RFC allows
        return cls(verifier=verifier, challenge=pkce_challenge(verifier))


def pkce_challenge(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def new_state() -> str:
    return secrets.token_urlsafe(32)


def authorization_url(config: VismaConnectConfig, *, state: str, code_challenge: str) -> str:
    """The URL to send the user's browser to; Visma redirects back with `code` and our `state`."""
    params = {
        "client_id": config.client_id,
        "redirect_uri": config.redirect_uri,
        "response_type": "code",
        "scope": " ".join(config.scopes),
        "state": state,
        "code_challenge": code_challenge,
        "code_challenge_method": "S256",
        **dict(config.authorize_params),
    }
    separator = "&" if "?" in config.auth_url else "?"
    return f"{config.auth_url}{separator}{urlencode(params)}"


def _token_request(http: httpx.Client, config: VismaConnectConfig, form: dict[str, str], now: datetime) -> TokenSet:
    # Visma Connect authenticates the client with HTTP Basic (client_secret_basic).
    try:
        response = http.post(
            config.token_url,
            data=form,
            auth=httpx.BasicAuth(config.client_id, config.client_secret),
            headers={"Accept": "application/json"},
        )
    except httpx.TransportError as exc:
        raise error_from_transport(exc, method="POST", path="/connect/token") from None
    log.info("visma.oauth.token", grant_type=form["grant_type"], status=response.status_code)
    try:
        body: dict[str, Any] = response.json()
    except ValueError:
        body = {}
    if response.status_code >= 500 or response.status_code == 429:
        raise VismaUnavailable(
            "Visma Connect is unavailable", status=response.status_code, method="POST", path="/connect/token"
        )
    if response.status_code != 200:
        oauth_error = str(body.get("error") or "unknown_error")
        # error_description is free text from the identity server; keep only the code, which is never secret.
        raise OAuthError(
            f"Visma Connect refused the token request: {oauth_error}",
            oauth_error=oauth_error,
            status=response.status_code,
            method="POST",
            path="/connect/token",
        )
    try:
        return TokenSet(
            access_token=str(body["access_token"]),
            refresh_token=str(body["refresh_token"]) if body.get("refresh_token") else None,
            expires_at=now + timedelta(seconds=int(body.get("expires_in", 3600))),
            scope=str(body.get("scope", "")),
        )
    except (KeyError, TypeError, ValueError):
        raise VismaProtocolError("Visma Connect answered without an access token") from None


class VismaConnect:
    """Token endpoint operations against one Visma Connect configuration."""

    def __init__(self, config: VismaConnectConfig, http: httpx.Client, *, clock: Clock = utc_now) -> None:
        self.config = config
        self._http = http
        self._clock = clock

    def authorization_url(self, *, state: str, code_challenge: str) -> str:
        return authorization_url(self.config, state=state, code_challenge=code_challenge)

    def exchange_code(self, code: str, code_verifier: str) -> TokenSet:
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": self.config.redirect_uri,
            "code_verifier": code_verifier,
        }
        return _token_request(self._http, self.config, form, self._clock())

    def refresh(self, refresh_token: str) -> TokenSet:
        form = {"grant_type": "refresh_token", "refresh_token": refresh_token}
        tokens = _token_request(self._http, self.config, form, self._clock())
        if tokens.refresh_token is None:
            # Some identity servers keep the old refresh token valid when they send none back.
            tokens = TokenSet(tokens.access_token, refresh_token, tokens.expires_at, tokens.scope)
        return tokens


class TokenStore(Protocol):
    """Where one company's tokens live. The database-backed store encrypts them and locks a row.

    `VismaAuth` calls `load()` again inside `refresh_lock()`: there it must return what another thread or
    process saved last, not a cached copy, or two workers would spend the same single-use refresh token.
    """

    def load(self) -> TokenSet | None: ...

    def save(self, tokens: TokenSet) -> None: ...

    def refresh_lock(self) -> AbstractContextManager[None]:
        """Held while refreshing, so only one thread or process uses the single-use refresh token."""
        ...


class InMemoryTokenStore:
    def __init__(self, tokens: TokenSet | None = None) -> None:
        self._tokens = tokens
        self._lock = threading.Lock()

    def load(self) -> TokenSet | None:
        return self._tokens

    def save(self, tokens: TokenSet) -> None:
        self._tokens = tokens

    @contextmanager
    def refresh_lock(self) -> Iterator[None]:
        with self._lock:
            yield


class NotConnected(OAuthError):
    """No tokens are stored for the company: it has never connected, or disconnected."""

    def __init__(self) -> None:
        super().__init__("Not connected to Visma", oauth_error="not_connected")

    @property
    def needs_reconnect(self) -> bool:
        return True


class VismaAuth(httpx.Auth):
    """Bearer token on every request, refreshed ahead of expiry and once on a 401, then the request replayed.

    Synchronous only: the refresh is a blocking call through `refresh` (usually `VismaConnect.refresh`).
    """

    def __init__(
        self,
        store: TokenStore,
        refresh: Callable[[str], TokenSet],
        *,
        clock: Clock = utc_now,
        margin: timedelta = timedelta(seconds=120),
    ) -> None:
        self._store = store
        self._refresh = refresh
        self._clock = clock
        self._margin = margin

    requires_request_body = True  # the body is replayed after a refresh

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        tokens = self._current()
        if tokens.expires_within(self._margin, self._clock()):
            tokens = self._refreshed(stale=tokens)
        request.headers["Authorization"] = f"Bearer {tokens.access_token}"
        response = yield request
        if response.status_code != 401:
            return
        tokens = self._refreshed(stale=tokens, force=True)
        request.headers["Authorization"] = f"Bearer {tokens.access_token}"
        yield request

    async def async_auth_flow(self, request: httpx.Request) -> AsyncGenerator[httpx.Request, httpx.Response]:
        raise NotImplementedError("VismaAuth refreshes with blocking I/O; use it with httpx.Client")
        yield request  # pragma: no cover - makes this an async generator

    def _current(self) -> TokenSet:
        tokens = self._store.load()
        if tokens is None:
            raise NotConnected()
        return tokens

    def _refreshed(self, *, stale: TokenSet, force: bool = False) -> TokenSet:
        with self._store.refresh_lock():
            tokens = self._current()
            if tokens.access_token != stale.access_token:
                return tokens  # another thread or process refreshed while we waited for the lock
            if not force and not tokens.expires_within(self._margin, self._clock()):
                return tokens
            if tokens.refresh_token is None:
                raise OAuthError("No refresh token stored; connect again", oauth_error="invalid_grant")
            fresh = self._refresh(tokens.refresh_token)
            self._store.save(fresh)
            log.info("visma.oauth.refreshed", expires_at=fresh.expires_at.isoformat())
            return fresh
