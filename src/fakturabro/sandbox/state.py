"""The sandbox's whole state in one explicit store object.

Resources are kept in Visma's own JSON shape (PascalCase, as the official schema names them), keyed by their
`Id`, one dict per resource kind and company. Everything a request may change lives here, so `save()` can
persist it atomically and `reset()` can bring back the seeded company. Secrets are kept as digests and password
hashes only (`credentials`); a state file from before that (version 1) is upgraded when it is loaded.
"""

from __future__ import annotations

import json
import os
import random
import tempfile
import threading
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, fields
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import structlog

from fakturabro.sandbox.credentials import (
    SecretTable,
    digest,
    digest_matches,
    hash_password,
    password_matches,
)

log = structlog.get_logger("fakturabro.sandbox.state")

Clock = Callable[[], datetime]
Resource = dict[str, Any]

STATE_FILE_NAME = "visma-sandbox-state.json"
STATE_VERSION = 2  # 2: secrets as digests and password hashes; 1 kept them in plain text
REQUEST_LOG_LIMIT = 10_000

RESOURCE_KINDS = (
    "customers",
    "articles",
    "article_account_codings",
    "units",
    "terms_of_payments",
    "vat_codes",
    "fiscal_years",
    "bank_accounts",
    "invoice_drafts",
    "invoices",
    "ledger_items",
    "vouchers",
    "partner_resource_links",
)


def utc_now() -> datetime:
    return datetime.now(UTC)


def format_utc(moment: datetime) -> str:
    """RFC 3339 in UTC with microseconds, e.g. `2026-03-01T12:00:00.000000Z` (Visma sends 'Z' times)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_utc(text: str) -> datetime:
    """Parse a date or date-time as Visma's clients send them; naive values are taken as UTC."""
    value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    return value if value.tzinfo else value.replace(tzinfo=UTC)


@dataclass
class CompanyState:
    """One Visma company: its settings (`CompanySettingsApi` shape) and its resources by Id."""

    id: str
    settings: dict[str, Any]
    app_status: dict[str, Any]
    customers: dict[str, Resource] = field(default_factory=dict)
    articles: dict[str, Resource] = field(default_factory=dict)
    article_account_codings: dict[str, Resource] = field(default_factory=dict)
    units: dict[str, Resource] = field(default_factory=dict)
    terms_of_payments: dict[str, Resource] = field(default_factory=dict)
    vat_codes: dict[str, Resource] = field(default_factory=dict)
    fiscal_years: dict[str, Resource] = field(default_factory=dict)
    bank_accounts: dict[str, Resource] = field(default_factory=dict)
    invoice_drafts: dict[str, Resource] = field(default_factory=dict)
    invoices: dict[str, Resource] = field(default_factory=dict)
    ledger_items: dict[str, Resource] = field(default_factory=dict)
    vouchers: dict[str, Resource] = field(default_factory=dict)
    partner_resource_links: dict[str, Resource] = field(default_factory=dict)
    counters: dict[str, int] = field(default_factory=dict)
    # What the sandbox "sent" (`POST /customerinvoices/{id}/email` and `/einvoice`), per invoice Id, in order;
    # read through the control API (`GET /_sandbox/sent`). Not Visma resources.
    sent_emails: dict[str, list[Resource]] = field(default_factory=dict)
    sent_einvoices: dict[str, list[Resource]] = field(default_factory=dict)
    # The PDF links `GET /customerinvoices/{id}/pdf` handed out, by the SHA-256 digest of their path token.
    pdf_links: dict[str, Resource] = field(default_factory=dict)

    def next_counter(self, name: str, start: int = 1) -> int:
        """Return the next value of a named counter (voucher numbers and the like), starting at `start`."""
        value = self.counters.get(name, start)
        self.counters[name] = value + 1
        return value

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> CompanyState:
        known = {f.name for f in fields(cls)}
        return cls(**{key: value for key, value in data.items() if key in known})


@dataclass
class OAuthClient:
    """A registered OAuth client, its secret kept as a digest. Loopback redirect URIs (any port) are accepted
    when `allow_loopback`."""

    client_id: str
    secret_sha256: str = field(repr=False)
    redirect_uris: list[str] = field(default_factory=list)
    allow_loopback: bool = True

    @classmethod
    def with_secret(
        cls, client_id: str, secret: str, redirect_uris: list[str] | None = None, *, allow_loopback: bool = True
    ) -> OAuthClient:
        return cls(client_id, digest(secret), list(redirect_uris or []), allow_loopback)

    def secret_matches(self, presented: str) -> bool:
        return digest_matches(self.secret_sha256, presented)


@dataclass
class SandboxUser:
    """A Visma user who can log in on the HTML page; each user belongs to exactly one company."""

    email: str
    password_hash: str = field(repr=False)
    company_id: str

    @classmethod
    def with_password(cls, email: str, password: str, company_id: str) -> SandboxUser:
        return cls(email, hash_password(password), company_id)

    def password_matches(self, presented: str) -> bool:
        return password_matches(self.password_hash, presented)


@dataclass
class Faults:
    """Fault injection for `/v2`; see docs/SANDBOX.md."""

    latency_ms: int = 0
    error_rate: float = 0.0
    timeout_after_commit_rate: float = 0.0
    timeout_after_commit_ms: int = 30_000
    rate_limit_per_minute: int = 600
    seed: int | None = None


@dataclass
class RequestLogEntry:
    method: str
    path: str
    path_template: str
    status: int
    time: str
    client_id: str | None = None
    duration_ms: float = 0.0


class SandboxState:
    """All sandbox state plus the lock that guards it; persisted as JSON when a data dir is given."""

    def __init__(
        self,
        data_dir: Path | None = None,
        *,
        clock: Clock | None = None,
        access_token_ttl_seconds: int = 3600,
        rate_limit_per_minute: int = 600,
        rng: random.Random | None = None,
    ) -> None:
        self.lock = threading.RLock()
        self.clock: Clock = clock or utc_now
        self.access_token_ttl_seconds = access_token_ttl_seconds
        self.default_rate_limit_per_minute = rate_limit_per_minute
        self.rng = rng or random.Random()  # noqa: S311 - fault injection, not cryptography
        self.path = data_dir / STATE_FILE_NAME if data_dir is not None else None
        self.companies: dict[str, CompanyState] = {}
        self.clients: dict[str, OAuthClient] = {}
        self.users: dict[str, SandboxUser] = {}
        self.auth_codes = SecretTable()
        self.access_tokens = SecretTable()
        self.refresh_tokens = SecretTable()
        self.faults = Faults(rate_limit_per_minute=rate_limit_per_minute)
        self.request_log: list[RequestLogEntry] = []
        self.request_counts: dict[str, int] = {}
        self.rate_windows: dict[tuple[str, str], list[float]] = {}
        if self.path is not None and self.path.exists():
            self._load()
        else:
            self.reset()

    # -- time -------------------------------------------------------------------------------------------------
    def now(self) -> datetime:
        return self.clock()

    def timestamp(self) -> str:
        return format_utc(self.now())

    # -- lifecycle --------------------------------------------------------------------------------------------
    def reset(self) -> None:
        """Back to the seeded company, users and clients; tokens, faults and the request log are cleared."""
        from fakturabro.sandbox import seed  # seed builds CompanyState, so import late to avoid a cycle

        with self.lock:
            company = seed.seed_company(seed.SEED_COMPANY_ID, seed.SEED_COMPANY_NAME, self.now())
            self.companies = {company.id: company}
            self.users = {user.email: user for user in seed.seed_users()}
            self.clients = {client.client_id: client for client in seed.seed_clients()}
            self.auth_codes = SecretTable()
            self.access_tokens = SecretTable()
            self.refresh_tokens = SecretTable()
            self.faults = Faults(rate_limit_per_minute=self.default_rate_limit_per_minute)
            self.request_log = []
            self.request_counts = {}
            self.rate_windows = {}
            self.save()

    def company(self, company_id: str) -> CompanyState | None:
        return self.companies.get(company_id)

    def log_request(self, entry: RequestLogEntry) -> None:
        with self.lock:
            self.request_log.append(entry)
            if len(self.request_log) > REQUEST_LOG_LIMIT:
                del self.request_log[: len(self.request_log) - REQUEST_LOG_LIMIT]
            key = f"{entry.method} {entry.path_template}"
            self.request_counts[key] = self.request_counts.get(key, 0) + 1

    # -- persistence ------------------------------------------------------------------------------------------
    def to_json(self) -> dict[str, Any]:
        return {
            "version": STATE_VERSION,
            "companies": {cid: company.to_json() for cid, company in self.companies.items()},
            "clients": {cid: asdict(client) for cid, client in self.clients.items()},
            "users": {email: asdict(user) for email, user in self.users.items()},
            "auth_codes": self.auth_codes.to_json(),
            "access_tokens": self.access_tokens.to_json(),
            "refresh_tokens": self.refresh_tokens.to_json(),
            "faults": asdict(self.faults),
        }

    def save(self) -> None:
        """Write the state atomically (temp file + os.replace); a no-op without a data dir."""
        if self.path is None:
            return
        with self.lock:
            payload = json.dumps(self.to_json(), ensure_ascii=False, sort_keys=True)
            self.path.parent.mkdir(parents=True, exist_ok=True)
            handle, temp_name = tempfile.mkstemp(prefix=".sandbox-", suffix=".json", dir=self.path.parent)
            try:
                with os.fdopen(handle, "w", encoding="utf-8") as temp:
                    temp.write(payload)
                # No fsync: the rename is atomic against a killed process, which is what tests and demos
                # need; surviving power loss is not worth a disk flush on every write of a sandbox.
                os.replace(temp_name, self.path)
            except BaseException:
                Path(temp_name).unlink(missing_ok=True)
                raise

    def _load(self) -> None:
        assert self.path is not None
        data = json.loads(self.path.read_text(encoding="utf-8"))
        upgrading = data.get("version", 1) < STATE_VERSION
        if upgrading:
            data = _without_plain_secrets(data)
        with self.lock:
            self.companies = {cid: CompanyState.from_json(company) for cid, company in data["companies"].items()}
            self.clients = {cid: OAuthClient(**client) for cid, client in data["clients"].items()}
            self.users = {email: SandboxUser(**user) for email, user in data["users"].items()}
            self.auth_codes = SecretTable(data.get("auth_codes", {}))
            self.access_tokens = SecretTable(data.get("access_tokens", {}))
            self.refresh_tokens = SecretTable(data.get("refresh_tokens", {}))
            self.faults = Faults(**data.get("faults", {}))
            if self.faults.seed is not None:
                self.rng.seed(self.faults.seed)
        if upgrading:
            self.save()  # the plain-text file is overwritten at once
            log.info("sandbox.state_upgraded", path=str(self.path), to_version=STATE_VERSION)


def _without_plain_secrets(data: dict[str, Any]) -> dict[str, Any]:
    """A version 1 state (secrets in plain text) as version 2: the same tokens, codes and logins keep working."""

    def by_digest(records: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
        return {digest(secret): _drop(record, "access_token") for secret, record in records.items()}

    clients = {
        cid: {**_drop(client, "client_secret"), "secret_sha256": digest(client["client_secret"])}
        for cid, client in data["clients"].items()
    }
    users = {
        email: {**_drop(user, "password"), "password_hash": hash_password(user["password"])}
        for email, user in data["users"].items()
    }
    tables = {name: by_digest(data.get(name, {})) for name in ("auth_codes", "access_tokens", "refresh_tokens")}
    return {**data, **tables, "version": STATE_VERSION, "clients": clients, "users": users}


def _drop(record: dict[str, Any], key: str) -> dict[str, Any]:
    return {name: value for name, value in record.items() if name != key}
