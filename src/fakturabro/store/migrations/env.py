"""Alembic environment: the engine (or connection) comes from ``fakturabro.store.migrate``."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection, engine_from_config, pool

from fakturabro.store import (  # noqa: F401 - their tables in the metadata autogenerate compares
    company_models,
    delivery_models,
    integrator_models,
    session_models,
    visma_models,
)
from fakturabro.store.models import Base

config = context.config
target_metadata = Base.metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = engine_from_config(config.get_section(config.config_ini_section, {}), poolclass=pool.NullPool)
    with engine.connect() as fresh:
        _run(fresh)


if context.is_offline_mode():
    raise SystemExit("offline migrations are not supported; run `fakturabro db upgrade`")
run_migrations_online()
