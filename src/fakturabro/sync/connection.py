"""Connecting a company to Visma eEkonomi: activation, export mode, the OAuth flow, tokens, status.

The flow, as the seed describes it: "Aktivera integration", then "Koppla till Visma eEkonomi" sends the user to
Visma Connect (authorization code flow with `state` and PKCE); Visma sends the browser back to our callback with a
code, which we exchange for tokens, then we read which Visma company we reached and keep the tokens encrypted.

`state` binds the callback to the company that started the flow: it is stored (as a SHA-256) with the PKCE
verifier (encrypted), is single use and expires after `STATE_TTL`. The callback needs no session of its own, so a
script can connect through the REST API by following redirects.

Tokens live in `visma_connections`, Fernet-encrypted with the key from configuration. `DatabaseTokenStore` is
the `TokenStore` that `VismaAuth` refreshes through: its `refresh_lock()` locks the company's connection row
(`SELECT … FOR UPDATE` on PostgreSQL; SQLite's `BEGIN IMMEDIATE` write lock on one machine), so a single-use
refresh token is used by one worker only, and a refresh Visma refuses marks the connection "needs reconnect".
"""

from __future__ import annotations

import hashlib
import hmac
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any, Protocol
from urllib.parse import parse_qs, urlsplit

import httpx
import structlog

from fakturabro.domain.errors import Conflict, ValidationFailed
from fakturabro.domain.events import EventType
from fakturabro.settings import Settings
from fakturabro.store.connection_repository import ConnectionRepository
from fakturabro.store.database import Database
from fakturabro.store.events import record_event
from fakturabro.store.repositories import Transaction
from fakturabro.store.visma_models import VismaConnection, VismaOAuthRequest
from fakturabro.visma.client import VismaClient
from fakturabro.visma.errors import OAuthError, VismaError
from fakturabro.visma.oauth import (
    DEFAULT_SCOPES,
    EACCOUNTING_ACR_VALUES,
    NotConnected,
    Pkce,
    TokenSet,
    VismaAuth,
    VismaConnect,
    VismaConnectConfig,
    authorization_url,
    new_state,
)
from fakturabro.visma.pacing import RatePacer

log = structlog.get_logger("fakturabro.sync.connection")

STATE_TTL = timedelta(minutes=10)
HTTP_TIMEOUT = httpx.Timeout(30.0, connect=10.0)
# The client the embedded sandbox seeds (docs/SANDBOX.md); used when no VISMA_CLIENT_ID is configured.
SANDBOX_CLIENT_ID = "fakturabro-dev"
SANDBOX_CLIENT_SECRET = "dev-secret"  # noqa: S105 - the sandbox's published test credential
DEFAULT_FALLBACK_ARTICLE = "fakturabro"
DEFAULT_HOUSE_WORK_FALLBACK_ARTICLE = "fakturabro ROT/RUT"


class ExportMode(StrEnum):
    """How invoices reach Visma: verifikationer (bookkept at once) or fakturautkast (drafts to finalise)."""

    VOUCHER = "voucher"
    DRAFT = "draft"


class ConnectionState(StrEnum):
    INACTIVE = "inactive"
    NOT_CONNECTED = "not_connected"
    CONNECTED = "connected"
    NEEDS_RECONNECT = "needs_reconnect"


class NeedsReconnect(OAuthError):
    """Visma refused our refresh token (consent revoked, token expired or reused): the user must connect again.

    Exports wait in this state; nothing is dropped.
    """

    def __init__(self) -> None:
        super().__init__("The Visma connection needs to be renewed; connect again", oauth_error="needs_reconnect")

    @property
    def needs_reconnect(self) -> bool:
        return True


class ConnectFailed(Conflict):
    """The callback could not complete the connection; `code` says why, the message says it in Swedish."""


@dataclass(frozen=True)
class VismaCompany:
    name: str | None
    org_number: str | None


@dataclass(frozen=True)
class ConnectionStatus:
    activated: bool
    state: ConnectionState
    mode: ExportMode
    visma_company: VismaCompany | None
    connected_at: datetime | None
    last_error_code: str | None

    @property
    def connected(self) -> bool:
        return self.state is ConnectionState.CONNECTED


# --- wiring ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class VismaSetup:
    """Where Visma is and how we identify ourselves to it, resolved from the settings once.

    `transport` lets tests (and the embedded sandbox) answer Visma's URLs in-process; production leaves it None.
    """

    client_id: str
    client_secret: str = field(repr=False)
    auth_url: str
    token_url: str
    api_base_url: str
    redirect_uri: str
    scopes: tuple[str, ...] = DEFAULT_SCOPES
    authorize_params: tuple[tuple[str, str], ...] = ()
    fallback_article: str = DEFAULT_FALLBACK_ARTICLE
    house_work_fallback_article: str = DEFAULT_HOUSE_WORK_FALLBACK_ARTICLE
    transport: httpx.BaseTransport | None = None

    @classmethod
    def from_settings(
        cls, settings: Settings, *, public_url: str | None = None, transport: httpx.BaseTransport | None = None
    ) -> VismaSetup:
        """`public_url` (the incoming request's base URL) stands in for FAKTURABRO_PUBLIC_URL when that is not
        configured, for what is derived from it: the callback URL and the embedded sandbox's endpoints (so
        `serve --port 8765` works without configuring either)."""
        if public_url and "public_url" not in settings.model_fields_set:
            settings = settings.model_copy(update={"public_url": public_url.rstrip("/")})
        auth_url, token_url, api_base_url = settings.visma_endpoints
        secret = settings.visma_client_secret.get_secret_value() if settings.visma_client_secret else ""
        return cls(
            client_id=settings.visma_client_id or SANDBOX_CLIENT_ID,
            client_secret=secret if settings.visma_client_id else SANDBOX_CLIENT_SECRET,
            auth_url=auth_url,
            token_url=token_url,
            api_base_url=api_base_url,
            redirect_uri=settings.resolved_visma_redirect_uri,
            # Visma Connect asks the user which eEkonomi company to connect only when told to; the sandbox
            # needs no such hint.
            authorize_params=(("acr_values", EACCOUNTING_ACR_VALUES),) if "vismaonline.com" in auth_url else (),
            fallback_article=settings.visma_fallback_article,
            house_work_fallback_article=settings.visma_house_work_fallback_article,
            transport=transport,
        )

    def connect_config(self, redirect_uri: str | None = None) -> VismaConnectConfig:
        return VismaConnectConfig(
            client_id=self.client_id,
            client_secret=self.client_secret,
            redirect_uri=redirect_uri or self.redirect_uri,
            auth_url=self.auth_url,
            token_url=self.token_url,
            scopes=self.scopes,
            authorize_params=self.authorize_params,
        )

    def http_client(self, auth: httpx.Auth | None = None) -> httpx.Client:
        return httpx.Client(transport=self.transport, auth=auth, timeout=HTTP_TIMEOUT)


class VismaContainer(Protocol):
    """What these use cases need from the composition root (`bootstrap.Container`)."""

    @property
    def db(self) -> Database: ...

    @property
    def settings(self) -> Settings: ...

    @property
    def extras(self) -> dict[str, Any]: ...


def visma_setup_of(container: VismaContainer) -> VismaSetup:
    """`extras["visma_setup"]` when the container was built with one (tests, an in-process sandbox), else the
    setup the settings describe."""
    setup = container.extras.get("visma_setup")
    if isinstance(setup, VismaSetup):
        return setup
    return VismaSetup.from_settings(container.settings)


# --- activation and mode --------------------------------------------------------------------------------------


def _connection(session: Transaction, company_id: int, now: datetime, *, lock: bool = False) -> VismaConnection:
    connections = ConnectionRepository(session)
    row = connections.current(company_id, lock=lock)
    if row is None:
        row = VismaConnection(
            company_id=company_id,
            activated=False,
            mode=ExportMode.DRAFT.value,
            needs_reconnect=False,
            token_generation=0,
            updated_at=now,
        )
        connections.add(row)
    return row


def _status(row: VismaConnection | None) -> ConnectionStatus:
    if row is None:
        return ConnectionStatus(False, ConnectionState.INACTIVE, ExportMode.DRAFT, None, None, None)
    if not row.activated:
        state = ConnectionState.INACTIVE
    elif row.needs_reconnect:
        state = ConnectionState.NEEDS_RECONNECT
    elif row.access_token_encrypted is None:
        state = ConnectionState.NOT_CONNECTED
    else:
        state = ConnectionState.CONNECTED
    company = None
    if row.visma_company_name is not None or row.visma_company_org_number is not None:
        company = VismaCompany(row.visma_company_name, row.visma_company_org_number)
    return ConnectionStatus(
        activated=row.activated,
        state=state,
        mode=ExportMode(row.mode),
        visma_company=company,
        connected_at=as_utc(row.connected_at) if row.connected_at else None,
        last_error_code=row.last_error_code,
    )


def _connection_changed(session: Transaction, row: VismaConnection, now: datetime) -> None:
    """The ``visma.connection_changed`` event, in the transaction that changed the connection."""
    status = _status(row)
    data = {
        "state": str(status.state),
        "activated": status.activated,
        "mode": str(status.mode),
        "visma_company_name": status.visma_company.name if status.visma_company else None,
        "connected_at": status.connected_at.isoformat() if status.connected_at else None,
    }
    record_event(session, row.company_id, EventType.VISMA_CONNECTION_CHANGED, data, now)


def connection_status(db: Database, company_id: int) -> ConnectionStatus:
    with db.transaction() as session:
        return _status(ConnectionRepository(session).get(company_id))


def update_integration(
    db: Database, company_id: int, *, activated: bool | None = None, mode: str | None = None
) -> ConnectionStatus:
    """Turn the integration on or off and choose the export mode; deactivating keeps the connection."""
    export_mode = None
    if mode is not None:
        try:
            export_mode = ExportMode(mode)
        except ValueError:
            raise ValidationFailed.single(
                ("mode",), "Exportläget måste vara 'voucher' (verifikationer) eller 'draft' (fakturautkast).", "enum"
            ) from None
    with db.transaction() as session:
        row = _connection(session, company_id, db.clock())
        if activated is not None and activated != row.activated:
            row.activated = activated
            _connection_changed(session, row, db.clock())
        if export_mode is not None:
            row.mode = export_mode.value
        row.updated_at = db.clock()
        return _status(row)


def activate(db: Database, company_id: int) -> ConnectionStatus:
    return update_integration(db, company_id, activated=True)


def deactivate(db: Database, company_id: int) -> ConnectionStatus:
    return update_integration(db, company_id, activated=False)


def set_export_mode(db: Database, company_id: int, mode: str) -> ConnectionStatus:
    return update_integration(db, company_id, mode=mode)


# --- the OAuth flow -------------------------------------------------------------------------------------------


def _state_hash(state: str) -> str:
    return hashlib.sha256(state.encode()).hexdigest()


def start_connect(db: Database, setup: VismaSetup, company_id: int, *, browser_binding: str | None = None) -> str:
    """The authorization URL that "Koppla till Visma eEkonomi" sends the browser to, bound to the company.

    `browser_binding` (a secret kept in the starting browser's session) ties the flow to that browser too: the
    callback then completes only in the same session, so nobody can make a victim's browser finish a flow they
    started (which would connect the starter's company to the victim's Visma). Flows started through the REST
    API, for scripts, have no browser to bind.
    """
    with db.transaction() as session:
        row = _connection(session, company_id, db.clock())
        if not row.activated:
            raise Conflict("Aktivera integrationen innan du kopplar till Visma eEkonomi.", "integration_inactive")
        state, pkce, now = new_state(), Pkce.generate(), db.clock()
        # Pending requests older than the TTL can never complete; drop them as new ones come.
        connections = ConnectionRepository(session)
        connections.drop_requests_created_before(now - STATE_TTL)
        connections.add_request(
            VismaOAuthRequest(
                company_id=company_id,
                state_hash=_state_hash(state),
                code_verifier_encrypted=db.cipher.encrypt(pkce.verifier),
                redirect_uri=setup.redirect_uri,
                browser_binding_hash=_state_hash(browser_binding) if browser_binding else None,
                created_at=now,
            )
        )
    log.info("visma.connect.started", company_id=company_id)
    return authorization_url(setup.connect_config(), state=state, code_challenge=pkce.challenge)


def _claim_request(db: Database, state: str, browser_binding: str | None) -> tuple[int, str, str]:
    """Mark the pending request for `state` used and return (company id, PKCE verifier, redirect URI)."""
    with db.transaction() as session:
        request = ConnectionRepository(session).request_by_state_hash(_state_hash(state))
        if request is None:
            raise ConnectFailed(
                "Okänd eller ogiltig koppling – starta om kopplingen till Visma.", "oauth_state_invalid"
            )
        if request.used_at is not None:
            raise ConnectFailed("Kopplingen är redan använd – starta om kopplingen till Visma.", "oauth_state_used")
        request.used_at = db.clock()
        raise_later = None
        if as_utc(request.created_at) + STATE_TTL < db.clock():
            raise_later = ConnectFailed("Kopplingen tog för lång tid – försök igen.", "oauth_state_expired")
        elif request.browser_binding_hash is not None and not (
            browser_binding and hmac.compare_digest(request.browser_binding_hash, _state_hash(browser_binding))
        ):
            raise_later = ConnectFailed(
                "Kopplingen startades i en annan webbläsare – starta om den härifrån.", "oauth_browser_mismatch"
            )
        claimed = (request.company_id, db.cipher.decrypt(request.code_verifier_encrypted), request.redirect_uri)
    if raise_later is not None:
        raise raise_later  # after the commit, so an expired state is also spent
    return claimed


def complete_connect(
    db: Database,
    setup: VismaSetup,
    *,
    state: str,
    code: str | None,
    error: str | None = None,
    browser_binding: str | None = None,
) -> int:
    """The callback: verify `state` (and the browser, when the flow was bound to one), exchange the code with
    the PKCE verifier, read the Visma company, store the encrypted tokens. Returns the flow's company id."""
    company_id, verifier, redirect_uri = _claim_request(db, state, browser_binding)
    if error or not code:
        _record_error(db, company_id, error or "missing_code")
        raise ConnectFailed("Visma eEkonomi godkände inte kopplingen.", "oauth_denied")
    with setup.http_client() as http:
        try:
            tokens = VismaConnect(setup.connect_config(redirect_uri), http, clock=db.clock).exchange_code(
                code, verifier
            )
        except OAuthError as exc:
            _record_error(db, company_id, exc.oauth_error or "token_error")
            raise ConnectFailed(
                "Visma eEkonomi godtog inte inloggningen – försök koppla igen.", "oauth_exchange_failed"
            ) from None
        except VismaError as exc:  # Visma Connect unreachable or answering nonsense; the code is spent anyway
            _record_error(db, company_id, "visma_unavailable")
            log.warning("visma.connect.exchange_failed", company_id=company_id, error=type(exc).__name__)
            raise ConnectFailed(
                "Visma eEkonomi svarade inte – försök koppla igen om en stund.", "visma_unavailable"
            ) from None
        company = _visma_company(setup, http, tokens)
    with db.transaction() as session:
        row = _connection(session, company_id, db.clock(), lock=True)
        _store_tokens(db, row, tokens)
        row.visma_company_name = company.name
        row.visma_company_org_number = company.org_number
        row.connected_at = db.clock()
        row.last_error_code = None
        row.last_error_at = None
        _connection_changed(session, row, db.clock())
    log.info("visma.connect.completed", company_id=company_id)
    return company_id


def callback_params(url: str) -> dict[str, str]:
    """The `state`, `code` and `error` of a callback URL (a script following redirects ends at one)."""
    return {key: values[0] for key, values in parse_qs(urlsplit(url).query).items()}


def _visma_company(setup: VismaSetup, http: httpx.Client, tokens: TokenSet) -> VismaCompany:
    """Which Visma company the tokens reach: the first call, with the fresh token as it is."""
    http.headers["Authorization"] = f"Bearer {tokens.access_token}"
    try:
        settings = VismaClient(http, setup.api_base_url, max_retries=1).get_company_settings()
    except VismaError as exc:
        # The tokens are good; the settings check will show what is wrong (e.g. the app not activated).
        log.warning("visma.connect.company_unknown", error=type(exc).__name__, status=exc.status)
        return VismaCompany(None, None)
    return VismaCompany(settings.name, settings.corporate_identity_number)


def disconnect(db: Database, company_id: int) -> ConnectionStatus:
    """Forget the tokens and the Visma company; activation and mode stay."""
    with db.transaction() as session:
        row = _connection(session, company_id, db.clock(), lock=True)
        row.access_token_encrypted = None
        row.refresh_token_encrypted = None
        row.expires_at = None
        row.scope = None
        row.visma_company_name = None
        row.visma_company_org_number = None
        row.connected_at = None
        row.needs_reconnect = False
        row.token_generation += 1
        row.updated_at = db.clock()
        _connection_changed(session, row, db.clock())
        log.info("visma.disconnected", company_id=company_id)
        return _status(row)


def _record_error(db: Database, company_id: int, code: str) -> None:
    # OAuth error codes are short ASCII words; anything else in the callback's `error` is not ours to keep.
    clean = re.sub(r"[^a-z_]", "", code.lower())[:50] or "unknown_error"
    with db.transaction() as session:
        row = _connection(session, company_id, db.clock())
        row.last_error_code = clean
        row.last_error_at = db.clock()
    log.warning("visma.connect.failed", company_id=company_id, error=clean)


def _store_tokens(db: Database, row: VismaConnection, tokens: TokenSet) -> None:
    row.access_token_encrypted = db.cipher.encrypt(tokens.access_token)
    row.refresh_token_encrypted = db.cipher.encrypt(tokens.refresh_token) if tokens.refresh_token else None
    row.expires_at = tokens.expires_at
    row.scope = tokens.scope
    row.needs_reconnect = False
    row.token_generation += 1
    row.updated_at = db.clock()


def as_utc(moment: datetime) -> datetime:
    # SQLite hands back naive datetimes for timezone-aware columns; every time we store is UTC.
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


# --- tokens ---------------------------------------------------------------------------------------------------


class DatabaseTokenStore:
    """One company's tokens in `visma_connections`, encrypted; the `TokenStore` behind `VismaAuth`.

    Outside the refresh lock the tokens last read are reused: a request then touches no database, so a caller
    may talk to Visma inside its own transaction (on SQLite a second write transaction from the same thread
    would wait for its own lock). Reusing is safe because `VismaAuth` re-reads under the lock before every
    refresh, and a token another process has replaced still works until it expires, or answers 401, which
    makes `VismaAuth` take the lock and read the current one.
    """

    def __init__(self, db: Database, company_id: int) -> None:
        self._db = db
        self._company_id = company_id
        self._held = threading.local()  # the session of the refresh lock, while this thread holds it
        self._last: TokenSet | None = None

    def _locked_session(self) -> Transaction | None:
        session: Transaction | None = getattr(self._held, "session", None)
        return session

    def load(self) -> TokenSet | None:
        session = self._locked_session()
        if session is not None:
            self._last = self._tokens(_connection(session, self._company_id, self._db.clock()))
        elif self._last is None:
            with self._db.transaction() as fresh:
                self._last = self._tokens(ConnectionRepository(fresh).get(self._company_id))
        return self._last

    def _tokens(self, row: VismaConnection | None) -> TokenSet | None:
        if row is None or row.access_token_encrypted is None or row.expires_at is None:
            return None
        if row.needs_reconnect:
            raise NeedsReconnect()
        refresh = self._db.cipher.decrypt(row.refresh_token_encrypted) if row.refresh_token_encrypted else None
        return TokenSet(
            access_token=self._db.cipher.decrypt(row.access_token_encrypted),
            refresh_token=refresh,
            expires_at=as_utc(row.expires_at),
            scope=row.scope or "",
        )

    def save(self, tokens: TokenSet) -> None:
        session = self._locked_session()
        if session is not None:
            _store_tokens(self._db, _connection(session, self._company_id, self._db.clock()), tokens)
        else:
            with self._db.transaction() as fresh:
                _store_tokens(self._db, _connection(fresh, self._company_id, self._db.clock(), lock=True), tokens)
        self._last = tokens

    @contextmanager
    def refresh_lock(self) -> Iterator[None]:
        """Lock the company's connection row until the refreshed tokens are committed.

        A refresh Visma refuses for good (`invalid_grant`, …) marks the connection "needs reconnect" in the same
        transaction, and the caller gets `NeedsReconnect`.
        """
        refused: OAuthError | None = None
        with self._db.transaction() as session:
            _connection(session, self._company_id, self._db.clock(), lock=True)
            self._held.session = session
            try:
                yield
            except OAuthError as exc:
                if not exc.needs_reconnect or isinstance(exc, NotConnected | NeedsReconnect):
                    raise
                refused = exc
                row = _connection(session, self._company_id, self._db.clock())
                row.needs_reconnect = True
                row.last_error_code = (exc.oauth_error or "invalid_grant")[:50]
                row.last_error_at = self._db.clock()
                row.updated_at = self._db.clock()
                _connection_changed(session, row, self._db.clock())
            finally:
                self._held.session = None
        if refused is not None:
            log.warning("visma.oauth.needs_reconnect", company_id=self._company_id, error=refused.oauth_error)
            raise NeedsReconnect() from refused


def visma_client_for(
    container: VismaContainer,
    company_id: int,
    *,
    pacer: RatePacer | None = None,
    setup: VismaSetup | None = None,
    **client_options: Any,
) -> VismaClient:
    """THE way to talk to Visma for a company: a `VismaClient` whose requests carry the company's token,
    refreshed ahead of expiry and on a 401 under the company's lock.

    Raises `NotConnected` when the integration is off or the company has no tokens, and `NeedsReconnect` when
    Visma refused the last refresh: in both cases nothing is sent, and the caller (an export) waits.
    """
    db = container.db
    status = connection_status(db, company_id)
    if status.state is ConnectionState.NEEDS_RECONNECT:
        raise NeedsReconnect()
    if status.state is not ConnectionState.CONNECTED:
        raise NotConnected()
    setup = setup or visma_setup_of(container)
    token_http = setup.http_client()
    refresh = VismaConnect(setup.connect_config(), token_http, clock=db.clock).refresh
    store = DatabaseTokenStore(db, company_id)
    store.load()  # read now, so the client's requests need no database until a refresh is due
    auth = VismaAuth(store, refresh, clock=db.clock)
    return VismaClient(setup.http_client(auth), setup.api_base_url, pacer=pacer, **client_options)


__all__ = [
    "ConnectFailed",
    "ConnectionState",
    "ConnectionStatus",
    "DatabaseTokenStore",
    "ExportMode",
    "NeedsReconnect",
    "NotConnected",
    "VismaCompany",
    "VismaSetup",
    "activate",
    "callback_params",
    "complete_connect",
    "connection_status",
    "deactivate",
    "disconnect",
    "set_export_mode",
    "start_connect",
    "update_integration",
    "visma_client_for",
]
