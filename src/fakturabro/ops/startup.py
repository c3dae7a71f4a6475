"""Configuration checked before `serve` or `worker` starts, with messages that say what to do.

A misconfiguration found at start costs a clear line in the terminal; found later it costs lost Visma
connections (a second, generated token key on another machine) or a worker that retries against a database
it can never reach.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from cryptography.fernet import Fernet
from pydantic import ValidationError
from sqlalchemy import Engine, func, select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from fakturabro.ops.keys import encrypted_columns
from fakturabro.settings import Settings
from fakturabro.store.database import make_engine

TOKEN_KEY_FILE = "token_key"
CONNECT_TIMEOUT_SECONDS = 5


@dataclass
class Report:
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def load_settings() -> tuple[Settings | None, Report]:
    """The settings from the environment, or a report naming each invalid variable."""
    try:
        return Settings(), Report()
    except ValidationError as error:
        report = Report()
        for problem in error.errors():
            name = ".".join(str(part) for part in problem.get("loc", ())) or "?"
            report.errors.append(f"{name}: {problem.get('msg', 'ogiltigt värde')}")
        return None, report


def check(settings: Settings, *, engine: Engine | None = None) -> Report:
    report = Report()
    _check_token_key(settings, report)
    if not settings.secret_key and _is_postgres(settings):
        report.warnings.append(
            "FAKTURABRO_SECRET_KEY saknas: med flera webbprocesser på olika maskiner måste alla ha samma nyckel, "
            "annars loggas användare ut när lastbalanseraren byter maskin."
        )
    _check_visma(settings, report)
    if not settings.public_url.startswith(("http://", "https://")):
        report.errors.append("FAKTURABRO_PUBLIC_URL måste börja med http:// eller https://.")
    database = _check_database(settings, report, engine)
    if database is not None and report.ok:
        _check_key_fits_data(settings, database, report)
        if engine is None:
            database.dispose()
    return report


def _is_postgres(settings: Settings) -> bool:
    return settings.resolved_database_url.startswith(("postgresql", "postgres"))


def _check_token_key(settings: Settings, report: Report) -> None:
    if settings.token_key is not None:
        _require_fernet(settings.token_key.get_secret_value(), "FAKTURABRO_TOKEN_KEY", report)
        return
    if _is_postgres(settings):
        report.errors.append(
            "FAKTURABRO_TOKEN_KEY saknas. Med PostgreSQL delar alla processer och maskiner databasen och måste "
            "kryptera Visma-tokens och personnummer med samma nyckel. Skapa en med `fakturabro keys generate` "
            "och ge den till varje process (inte i databasen)."
        )
        return
    key_file = settings.data_dir / TOKEN_KEY_FILE
    if key_file.exists():
        _require_fernet(key_file.read_text().strip(), str(key_file), report)


def _require_fernet(value: str, source: str, report: Report) -> None:
    try:
        Fernet(value.encode())
    except (ValueError, TypeError):
        report.errors.append(
            f"{source} är ingen giltig Fernet-nyckel (32 byte, url-safe base64). "
            "Skapa en med `fakturabro keys generate`."
        )


def _check_visma(settings: Settings, report: Report) -> None:
    if settings.visma_client_id and settings.visma_client_secret is None:
        report.errors.append("VISMA_CLIENT_ID är satt men VISMA_CLIENT_SECRET saknas.")
    if settings.visma_client_id and not settings.resolved_visma_redirect_uri.startswith("https://"):
        report.warnings.append(
            "Visma kräver en https-adress som VISMA_REDIRECT_URI (eller FAKTURABRO_PUBLIC_URL) i produktion."
        )


def _check_database(settings: Settings, report: Report, engine: Engine | None) -> Engine | None:
    url = settings.resolved_database_url
    try:
        shown = make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        report.errors.append("DATABASE_URL går inte att tolka (t.ex. postgresql+psycopg://user:pass@host/db).")
        return None
    try:
        database = engine or _engine_with_timeout(url)
        with database.connect() as connection:
            connection.exec_driver_sql("SELECT 1")
    except (SQLAlchemyError, OSError, ImportError) as error:
        cause = type(getattr(error, "orig", None) or error).__name__
        report.errors.append(
            f"DATABASE_URL: kan inte ansluta till {shown} ({cause}). Kör databasen och stämmer adressen?"
        )
        return None
    return database


def _engine_with_timeout(url: str) -> Engine:
    if url.startswith("sqlite"):
        Path(make_url(url).database or ".").parent.mkdir(parents=True, exist_ok=True)
        return make_engine(url)
    return make_engine(url, connect_args={"connect_timeout": CONNECT_TIMEOUT_SECONDS})


def _check_key_fits_data(settings: Settings, engine: Engine, report: Report) -> None:
    """A missing key file next to encrypted data means a new key would be generated that opens nothing."""
    if settings.token_key is not None or (settings.data_dir / TOKEN_KEY_FILE).exists():
        return
    try:
        columns = encrypted_columns(engine)
        with engine.connect() as connection:
            found = any(
                connection.execute(select(func.count()).select_from(table).where(table.c[name].is_not(None))).scalar()
                for table, name in columns
            )
    except SQLAlchemyError:
        return  # an unmigrated database has nothing encrypted yet
    if found:
        report.errors.append(
            f"Nyckeln {settings.data_dir / TOKEN_KEY_FILE} saknas men databasen har krypterade värden. "
            "Återställ nyckelfilen (eller sätt FAKTURABRO_TOKEN_KEY) från din säkerhetskopia."
        )
