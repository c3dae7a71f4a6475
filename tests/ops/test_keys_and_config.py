"""`fakturabro keys rotate`, the configuration check at start and the generated configuration reference."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from tests.company_details import create_company_with_details
from typer.testing import CliRunner

from fakturabro.bootstrap import build
from fakturabro.cli import app
from fakturabro.invoicing.customers import create_customer
from fakturabro.invoicing.inputs import CustomerInput
from fakturabro.ops import reference
from fakturabro.ops.startup import check
from fakturabro.settings import Settings
from fakturabro.store.migrate import upgrade
from fakturabro.sync.connection import DatabaseTokenStore
from fakturabro.visma.oauth import TokenSet

PERSONNUMMER = "19121212-1212"
DEPLOYMENT = Path(__file__).parents[2] / "docs" / "DEPLOYMENT.md"


def _env(data_dir: Path, **extra: str) -> dict[str, str]:
    return {"FAKTURABRO_DATA_DIR": str(data_dir), "FAKTURABRO_SECRET_KEY": "keys-test", **extra}


def _seed(settings: Settings) -> tuple[int, int]:
    container = build(settings)
    upgrade(container.engine)
    company = create_company_with_details(container.db, "Nyckel AB")
    customer = create_customer(
        container.db, company.id, CustomerInput(name="Tolvan Tolvansson", personal_number=PERSONNUMMER)
    )
    expires = datetime.now(UTC) + timedelta(hours=1)
    DatabaseTokenStore(container.db, company.id).save(TokenSet("access-abc", "refresh-xyz", expires))
    container.close()
    return company.id, customer.id


def _read_back(settings: Settings, company_id: int) -> tuple[str | None, TokenSet | None]:
    container = build(settings)
    from fakturabro.store.models import Customer

    with container.db.transaction() as session:
        customer = session.query(Customer).filter_by(company_id=company_id).one()
        personal = container.db.cipher.decrypt(customer.personal_number_encrypted or "")
    tokens = DatabaseTokenStore(container.db, company_id).load()
    container.close()
    return personal, tokens


def test_rotating_an_environment_key_keeps_connections_and_personnummer(tmp_path: Path) -> None:
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    company_id, _ = _seed(Settings(data_dir=tmp_path, token_key=old, secret_key="k"))

    result = CliRunner().invoke(
        app, ["keys", "rotate"], env=_env(tmp_path, FAKTURABRO_TOKEN_KEY=old, FAKTURABRO_NEW_TOKEN_KEY=new)
    )

    assert result.exit_code == 0, result.output
    assert "krypterade värden" in result.output
    personal, tokens = _read_back(Settings(data_dir=tmp_path, token_key=new, secret_key="k"), company_id)
    assert personal is not None
    assert personal.replace("-", "").endswith("1212121212")
    assert tokens is not None
    assert (tokens.access_token, tokens.refresh_token) == ("access-abc", "refresh-xyz")
    with pytest.raises(RuntimeError):  # the old key opens nothing any more
        _read_back(Settings(data_dir=tmp_path, token_key=old, secret_key="k"), company_id)
    again = CliRunner().invoke(
        app, ["keys", "rotate"], env=_env(tmp_path, FAKTURABRO_TOKEN_KEY=new, FAKTURABRO_NEW_TOKEN_KEY=new)
    )
    assert again.exit_code == 0, again.output  # an interrupted rotation is simply run again


def test_rotating_the_key_file_replaces_it_and_keeps_the_old_one_aside(tmp_path: Path) -> None:
    company_id, _ = _seed(Settings(data_dir=tmp_path, secret_key="k"))
    old_key = (tmp_path / "token_key").read_text().strip()

    result = CliRunner().invoke(app, ["keys", "rotate"], env=_env(tmp_path))

    assert result.exit_code == 0, result.output
    new_key = (tmp_path / "token_key").read_text().strip()
    assert new_key != old_key
    assert new_key not in result.output  # the file holds it; the terminal does not
    assert [p.read_text().strip() for p in tmp_path.glob("token_key.replaced-*")] == [old_key]
    personal, tokens = _read_back(Settings(data_dir=tmp_path, secret_key="k"), company_id)
    assert personal is not None
    assert tokens is not None
    assert tokens.access_token == "access-abc"


def test_a_wrong_old_key_changes_nothing(tmp_path: Path) -> None:
    right = Fernet.generate_key().decode()
    company_id, _ = _seed(Settings(data_dir=tmp_path, token_key=right, secret_key="k"))
    wrong = Fernet.generate_key().decode()

    result = CliRunner().invoke(app, ["keys", "rotate"], env=_env(tmp_path, FAKTURABRO_TOKEN_KEY=wrong))

    assert result.exit_code == 1
    assert "nothing was changed" in result.output
    _personal, tokens = _read_back(Settings(data_dir=tmp_path, token_key=right, secret_key="k"), company_id)
    assert tokens is not None
    assert tokens.access_token == "access-abc"


def test_an_invalid_token_key_is_refused_with_a_clear_message(tmp_path: Path) -> None:
    report = check(Settings(data_dir=tmp_path, token_key="not-a-key"))
    assert any("FAKTURABRO_TOKEN_KEY är ingen giltig Fernet-nyckel" in error for error in report.errors)
    assert all("not-a-key" not in error for error in report.errors)


def test_postgresql_without_a_token_key_is_refused(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, database_url="postgresql+psycopg://u:hemligt@127.0.0.1:9/x")
    report = check(settings)
    assert any("FAKTURABRO_TOKEN_KEY saknas" in error for error in report.errors)


def test_a_database_that_does_not_connect_is_named_without_its_password(tmp_path: Path) -> None:
    settings = Settings(
        data_dir=tmp_path,
        token_key=Fernet.generate_key().decode(),
        database_url="postgresql+psycopg://fakturabro:hemligt@127.0.0.1:9/fakturabro",
    )
    report = check(settings)
    [error] = report.errors
    assert error.startswith("DATABASE_URL: kan inte ansluta till postgresql+psycopg://fakturabro:***@127.0.0.1:9")
    assert "hemligt" not in error


def test_a_lost_key_file_next_to_encrypted_data_is_refused(tmp_path: Path) -> None:
    _seed(Settings(data_dir=tmp_path, secret_key="k"))
    (tmp_path / "token_key").unlink()
    report = check(Settings(data_dir=tmp_path, secret_key="k"))
    assert any("saknas men databasen har krypterade värden" in error for error in report.errors)


def test_serve_and_worker_stop_at_start_on_a_bad_configuration(tmp_path: Path) -> None:
    for command in ("serve", "worker"):
        result = CliRunner().invoke(app, [command], env=_env(tmp_path, FAKTURABRO_TOKEN_KEY="kort"))
        assert result.exit_code == 2, result.output
        assert "Fel i konfigurationen" in result.output
    bad_number = CliRunner().invoke(app, ["worker"], env=_env(tmp_path, FAKTURABRO_SESSION_MAX_AGE="länge"))
    assert bad_number.exit_code == 2
    assert "FAKTURABRO_SESSION_MAX_AGE" in bad_number.output


def test_a_good_configuration_passes(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["config", "check"], env=_env(tmp_path))
    assert result.exit_code == 0, result.output
    assert "i ordning" in result.output


def test_the_deployment_guide_carries_the_current_configuration_reference() -> None:
    generated = reference.render()
    for name in Settings.model_fields:
        assert name in reference.EXPLANATIONS, f"explain {name} in fakturabro.ops.reference"
    assert reference.section_of(DEPLOYMENT.read_text()) == generated, (
        "docs/DEPLOYMENT.md is stale: paste the output of `fakturabro config reference` between its markers"
    )
