"""Migration 0003_export: up from 0002, down again, and up once more, on a fresh SQLite database."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from sqlalchemy import create_engine, inspect

from fakturabro.store.migrate import alembic_config, upgrade

EXPORT_TABLES = {
    "invoice_exports",
    "invoice_export_log",
    "visma_customer_links",
    "visma_article_cache",
    "visma_company_cache",
}


def test_the_export_migration_goes_up_and_down(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'm.db'}")
    upgrade(engine, "0003_export")
    assert set(inspect(engine).get_table_names()) >= EXPORT_TABLES

    config = alembic_config(engine)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0002_visma_connection")
    assert not EXPORT_TABLES & set(inspect(engine).get_table_names())

    upgrade(engine, "0003_export")
    assert set(inspect(engine).get_table_names()) >= EXPORT_TABLES
    engine.dispose()
