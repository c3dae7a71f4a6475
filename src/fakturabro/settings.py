"""Configuration: one pydantic-settings class, read from the environment (and an optional ``.env`` file).

Names follow the product's contract: ``FAKTURABRO_*`` for our own settings, ``DATABASE_URL`` and ``VISMA_*``
as the issues name them. Secrets that are not given are generated once and kept in the data directory with
0600 permissions, never in the database.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from pathlib import Path

from cryptography.fernet import Fernet
from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

VISMA_PRODUCTION_AUTH_URL = "https://identity.vismaonline.com/connect/authorize"
VISMA_PRODUCTION_TOKEN_URL = "https://identity.vismaonline.com/connect/token"  # noqa: S105 - a URL, not a secret
VISMA_PRODUCTION_API_BASE_URL = "https://eaccountingapi.vismaonline.com/v2"
SANDBOX_MOUNT_PATH = "/visma-sandbox"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", populate_by_name=True)

    data_dir: Path = Field(default=Path("data"), validation_alias=AliasChoices("FAKTURABRO_DATA_DIR", "data_dir"))
    database_url: str | None = Field(default=None, validation_alias=AliasChoices("DATABASE_URL", "database_url"))
    public_url: str = Field(
        default="http://127.0.0.1:8000", validation_alias=AliasChoices("FAKTURABRO_PUBLIC_URL", "public_url")
    )
    secret_key: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("FAKTURABRO_SECRET_KEY", "secret_key")
    )
    token_key: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("FAKTURABRO_TOKEN_KEY", "token_key")
    )
    session_max_age_seconds: int = Field(
        default=8 * 3600, validation_alias=AliasChoices("FAKTURABRO_SESSION_MAX_AGE", "session_max_age_seconds")
    )
    # A login session ends when unused this long (the idle timeout), and in any case after session_max_age.
    session_idle_seconds: int = Field(
        default=60 * 60, ge=60, validation_alias=AliasChoices("FAKTURABRO_SESSION_IDLE", "session_idle_seconds")
    )
    secure_cookies: bool = Field(
        default=False, validation_alias=AliasChoices("FAKTURABRO_SECURE_COOKIES", "secure_cookies")
    )
    # Limits (see docs/DEPLOYMENT.md, "Säkerhet"): a request body, a file upload, the rows of one import.
    max_json_bytes: int = Field(
        default=2 * 1024 * 1024, ge=1024, validation_alias=AliasChoices("FAKTURABRO_MAX_JSON_BYTES", "max_json_bytes")
    )
    max_upload_bytes: int = Field(
        default=20 * 1024 * 1024,
        ge=1024,
        validation_alias=AliasChoices("FAKTURABRO_MAX_UPLOAD_BYTES", "max_upload_bytes"),
    )
    max_import_rows: int = Field(
        default=50_000, ge=1, validation_alias=AliasChoices("FAKTURABRO_MAX_IMPORT_ROWS", "max_import_rows")
    )

    # Where fakturabro's own invoice e-mails go out (smtp://host:25, smtps://user:pass@host:465,
    # smtp+starttls://user:pass@host:587) and the From address they carry; the company's e-mail is the Reply-To.
    smtp_url: SecretStr | None = Field(default=None, validation_alias=AliasChoices("FAKTURABRO_SMTP_URL", "smtp_url"))
    mail_from: str = Field(
        default="faktura@fakturabro.se", validation_alias=AliasChoices("FAKTURABRO_MAIL_FROM", "mail_from")
    )

    visma_client_id: str | None = Field(
        default=None, validation_alias=AliasChoices("VISMA_CLIENT_ID", "visma_client_id")
    )
    visma_client_secret: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("VISMA_CLIENT_SECRET", "visma_client_secret")
    )
    visma_redirect_uri: str | None = Field(
        default=None, validation_alias=AliasChoices("VISMA_REDIRECT_URI", "visma_redirect_uri")
    )
    visma_auth_url: str | None = Field(default=None, validation_alias=AliasChoices("VISMA_AUTH_URL", "visma_auth_url"))
    visma_token_url: str | None = Field(
        default=None, validation_alias=AliasChoices("VISMA_TOKEN_URL", "visma_token_url")
    )
    visma_api_base_url: str | None = Field(
        default=None, validation_alias=AliasChoices("VISMA_API_BASE_URL", "visma_api_base_url")
    )
    # The Visma articles rows land on when their article number has no identical article in Visma (the seed's
    # Minuba integration named them "Minuba" and "Minuba ROT/RUT"; ours carry the product's own name, which our
    # users know); a firm migrating from another integration may already have its own and names it here.
    visma_fallback_article: str = Field(
        default="fakturabro", validation_alias=AliasChoices("VISMA_FALLBACK_ARTICLE", "visma_fallback_article")
    )
    visma_house_work_fallback_article: str = Field(
        default="fakturabro ROT/RUT",
        validation_alias=AliasChoices("VISMA_HOUSE_WORK_FALLBACK_ARTICLE", "visma_house_work_fallback_article"),
    )

    # --- derived values -------------------------------------------------------------------------------

    @property
    def resolved_database_url(self) -> str:
        """``DATABASE_URL`` when given, else the SQLite file ``<data dir>/fakturabro.db``."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'fakturabro.db').resolve()}"

    @property
    def uses_embedded_sandbox(self) -> bool:
        """Without a Visma client id we talk to the sandbox mounted in our own app."""
        return not self.visma_client_id

    @property
    def sandbox_data_dir(self) -> Path:
        return self.data_dir / "visma-sandbox"

    @property
    def visma_endpoints(self) -> tuple[str, str, str]:
        """(authorize URL, token URL, API base URL), explicit settings winning over the defaults."""
        if self.uses_embedded_sandbox:
            base = self.public_url.rstrip("/") + SANDBOX_MOUNT_PATH
            defaults = (f"{base}/connect/authorize", f"{base}/connect/token", f"{base}/v2")
        else:
            defaults = (VISMA_PRODUCTION_AUTH_URL, VISMA_PRODUCTION_TOKEN_URL, VISMA_PRODUCTION_API_BASE_URL)
        return (
            self.visma_auth_url or defaults[0],
            self.visma_token_url or defaults[1],
            self.visma_api_base_url or defaults[2],
        )

    @property
    def resolved_visma_redirect_uri(self) -> str:
        return self.visma_redirect_uri or self.public_url.rstrip("/") + "/integrations/visma/callback"

    def session_secret(self) -> str:
        """The key signing session cookies: given, or generated once into the data directory."""
        if self.secret_key is not None:
            return self.secret_key.get_secret_value()
        return _read_or_create_secret(self.data_dir / "secret_key", lambda: secrets.token_urlsafe(48))

    def fernet_key(self) -> bytes:
        """The Fernet key encrypting Visma tokens and personnummer at rest; never stored in the database."""
        if self.token_key is not None:
            return self.token_key.get_secret_value().encode()
        return _read_or_create_secret(self.data_dir / "token_key", lambda: Fernet.generate_key().decode()).encode()


def _read_or_create_secret(path: Path, generate: Callable[[], str]) -> str:
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    value = generate()
    # O_EXCL: if two processes race, the loser reads the winner's key instead of overwriting it.
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(descriptor, "w") as handle:
        handle.write(value + "\n")
    return value
