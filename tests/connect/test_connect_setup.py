"""Where Visma is, from configuration; and the migration matches the models."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from pydantic import SecretStr
from sqlalchemy import text
from tests.company_details import create_company_with_details

from fakturabro.settings import Settings
from fakturabro.store import visma_models
from fakturabro.store.database import Database
from fakturabro.store.models import Base
from fakturabro.sync.connection import SANDBOX_CLIENT_ID, VismaSetup, start_connect


def test_production_when_a_client_id_is_configured(tmp_path: Path) -> None:
    settings = Settings(
        data_dir=tmp_path,
        visma_client_id="our-client",
        visma_client_secret=SecretStr("our-secret"),
        public_url="https://faktura.example.se",
    )
    setup = VismaSetup.from_settings(settings, public_url="http://10.0.0.5:8000/")
    assert setup.client_id == "our-client"
    assert setup.client_secret == "our-secret"
    assert "our-secret" not in repr(setup)
    assert setup.auth_url == "https://identity.vismaonline.com/connect/authorize"
    assert setup.token_url == "https://identity.vismaonline.com/connect/token"
    assert setup.api_base_url == "https://eaccountingapi.vismaonline.com/v2"
    # The configured public URL wins over the address a request came in on (a reverse proxy).
    assert setup.redirect_uri == "https://faktura.example.se/integrations/visma/callback"
    assert dict(setup.authorize_params)["acr_values"].startswith("service:")


def test_embedded_sandbox_without_a_client_id_follows_the_request(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    setup = VismaSetup.from_settings(settings, public_url="http://127.0.0.1:8765/")
    assert setup.client_id == SANDBOX_CLIENT_ID
    assert setup.auth_url == "http://127.0.0.1:8765/visma-sandbox/connect/authorize"
    assert setup.api_base_url == "http://127.0.0.1:8765/visma-sandbox/v2"
    assert setup.redirect_uri == "http://127.0.0.1:8765/integrations/visma/callback"
    assert setup.authorize_params == ()
    explicit = Settings(data_dir=tmp_path, visma_redirect_uri="http://localhost:9000/cb")
    assert VismaSetup.from_settings(explicit, public_url="http://127.0.0.1:8765").redirect_uri == (
        "http://localhost:9000/cb"
    )


def test_authorization_url_asks_for_offline_access_and_the_api_scopes(db: Database, setup: VismaSetup) -> None:
    from fakturabro.sync.connection import activate

    company_id = create_company_with_details(db, "Snickaren AB").id
    activate(db, company_id)
    params = parse_qs(urlsplit(start_connect(db, setup, company_id)).query)
    assert set(params["scope"][0].split()) >= {"ea:api", "offline_access", "ea:sales", "ea:accounting"}
    assert params["response_type"] == ["code"]
    assert len(params["state"][0]) >= 32


OUR_TABLES = ("visma_connections", "visma_oauth_requests", "visma_preflight_results")


def _table_of(diff: object) -> str | None:
    """The table an Alembic autogenerate difference is about."""
    item = diff[-1] if isinstance(diff, list) else diff
    for part in item if isinstance(item, tuple) else (item,):
        table = getattr(part, "table", None)
        name = getattr(table, "name", None) or getattr(part, "name", None)
        if isinstance(part, str) and part in OUR_TABLES:
            return part
        if isinstance(name, str) and name in OUR_TABLES:
            return name
    return None


def test_migration_0002_matches_the_models(db: Database) -> None:
    assert set(OUR_TABLES) <= set(visma_models.Base.metadata.tables)
    with db.engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert [diff for diff in differences if _table_of(diff) is not None] == []
    with db.engine.begin() as connection:  # the comparison does see a difference in our tables
        connection.execute(text("DROP INDEX ix_visma_oauth_requests_company_id"))
    with db.engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert [_table_of(diff) for diff in differences if _table_of(diff)] == ["visma_oauth_requests"]
