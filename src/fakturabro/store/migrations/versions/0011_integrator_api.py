"""The integrator API: idempotency keys, the event feed, webhooks, token scopes/expiry and external ids.

Revision ID: 0011_integrator_api
Revises: 0007_reconciliation
Create Date: 2026-12-04 08:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from fakturabro.store.types import UtcDateTime

revision: str = "0011_integrator_api"
down_revision: str | None = "0007_reconciliation"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

EXTERNAL_ID_TABLES = ("customers", "articles", "invoices")


def _company_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(["company_id"], ["companies.id"], name=op.f(f"fk_{table}_company_id_companies"))


def upgrade() -> None:
    op.create_table(
        "event_cursors",
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("last_cursor", sa.Integer(), nullable=False),
        _company_fk("event_cursors"),
        sa.PrimaryKeyConstraint("company_id", name=op.f("pk_event_cursors")),
    )
    op.create_table(
        "events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("cursor", sa.Integer(), nullable=False),
        sa.Column("type", sa.String(length=50), nullable=False),
        sa.Column("occurred_at", UtcDateTime(), nullable=False),
        sa.Column("data", sa.Text(), nullable=False),
        _company_fk("events"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_events")),
        sa.UniqueConstraint("company_id", "cursor", name=op.f("uq_events_company_id_cursor")),
    )
    op.create_table(
        "idempotency_keys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("content_type", sa.String(length=100), nullable=True),
        sa.Column("body", sa.LargeBinary(), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("expires_at", UtcDateTime(), nullable=False),
        _company_fk("idempotency_keys"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_idempotency_keys")),
        sa.UniqueConstraint("company_id", "key", name=op.f("uq_idempotency_keys_company_id_key")),
    )
    op.create_index("ix_idempotency_keys_expires_at", "idempotency_keys", ["expires_at"], unique=False)
    op.create_table(
        "webhook_endpoints",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("url", sa.String(length=2000), nullable=False),
        sa.Column("events", sa.Text(), nullable=False),
        sa.Column("secret_encrypted", sa.Text(), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("paused_reason", sa.Text(), nullable=True),
        sa.Column("delivered_cursor", sa.Integer(), nullable=False),
        sa.Column("generation", sa.Integer(), nullable=False),
        sa.Column("failing_since", UtcDateTime(), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("deleted_at", UtcDateTime(), nullable=True),
        _company_fk("webhook_endpoints"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_endpoints")),
    )
    op.create_index(op.f("ix_webhook_endpoints_company_id"), "webhook_endpoints", ["company_id"], unique=False)
    op.create_table(
        "webhook_deliveries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("endpoint_id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("event_type", sa.String(length=50), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("attempted_at", UtcDateTime(), nullable=False),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("error", sa.String(length=500), nullable=True),
        sa.Column("duration_ms", sa.Integer(), nullable=False),
        _company_fk("webhook_deliveries"),
        sa.ForeignKeyConstraint(
            ["endpoint_id"], ["webhook_endpoints.id"], name=op.f("fk_webhook_deliveries_endpoint_id_webhook_endpoints")
        ),
        sa.ForeignKeyConstraint(["event_id"], ["events.id"], name=op.f("fk_webhook_deliveries_event_id_events")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_deliveries")),
    )
    op.create_index("ix_webhook_deliveries_endpoint_id_id", "webhook_deliveries", ["endpoint_id", "id"], unique=False)
    with op.batch_alter_table("api_tokens") as batch_op:
        # Tokens made before scopes existed could do everything; they keep doing so.
        batch_op.add_column(sa.Column("scopes", sa.String(length=50), nullable=False, server_default="read write"))
        batch_op.add_column(sa.Column("expires_at", UtcDateTime(), nullable=True))
        batch_op.add_column(sa.Column("last_used_at", UtcDateTime(), nullable=True))
    with op.batch_alter_table("api_tokens") as batch_op:
        batch_op.alter_column("scopes", server_default=None)
    for table in EXTERNAL_ID_TABLES:
        with op.batch_alter_table(table) as batch_op:
            batch_op.add_column(sa.Column("external_id", sa.String(length=255), nullable=True))
            batch_op.create_unique_constraint(op.f(f"uq_{table}_company_id_external_id"), ["company_id", "external_id"])


def downgrade() -> None:
    for table in reversed(EXTERNAL_ID_TABLES):
        with op.batch_alter_table(table) as batch_op:
            batch_op.drop_constraint(op.f(f"uq_{table}_company_id_external_id"), type_="unique")
            batch_op.drop_column("external_id")
    with op.batch_alter_table("api_tokens") as batch_op:
        batch_op.drop_column("last_used_at")
        batch_op.drop_column("expires_at")
        batch_op.drop_column("scopes")
    op.drop_index("ix_webhook_deliveries_endpoint_id_id", table_name="webhook_deliveries")
    op.drop_table("webhook_deliveries")
    op.drop_index(op.f("ix_webhook_endpoints_company_id"), table_name="webhook_endpoints")
    op.drop_table("webhook_endpoints")
    op.drop_index("ix_idempotency_keys_expires_at", table_name="idempotency_keys")
    op.drop_table("idempotency_keys")
    op.drop_table("events")
    op.drop_table("event_cursors")
