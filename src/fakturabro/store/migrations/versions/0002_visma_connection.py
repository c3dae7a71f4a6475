"""The Visma connection: connections (encrypted tokens), pending OAuth requests, settings check results.

Revision ID: 0002_visma_connection
Revises: 0001_invoicing_core
Create Date: 2026-11-24 22:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002_visma_connection"
down_revision: str | None = "0001_invoicing_core"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "visma_connections",
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("activated", sa.Boolean(), nullable=False),
        sa.Column("mode", sa.String(length=10), nullable=False),
        sa.Column("visma_company_name", sa.String(length=200), nullable=True),
        sa.Column("visma_company_org_number", sa.String(length=50), nullable=True),
        sa.Column("access_token_encrypted", sa.Text(), nullable=True),
        sa.Column("refresh_token_encrypted", sa.Text(), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("scope", sa.Text(), nullable=True),
        sa.Column("connected_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("needs_reconnect", sa.Boolean(), nullable=False),
        sa.Column("last_error_code", sa.String(length=50), nullable=True),
        sa.Column("last_error_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("token_generation", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["company_id"], ["companies.id"], name=op.f("fk_visma_connections_company_id_companies")
        ),
        sa.PrimaryKeyConstraint("company_id", name=op.f("pk_visma_connections")),
    )
    op.create_table(
        "visma_oauth_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("state_hash", sa.String(length=64), nullable=False),
        sa.Column("code_verifier_encrypted", sa.Text(), nullable=False),
        sa.Column("redirect_uri", sa.String(length=2000), nullable=False),
        sa.Column("browser_binding_hash", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["company_id"], ["companies.id"], name=op.f("fk_visma_oauth_requests_company_id_companies")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_visma_oauth_requests")),
        sa.UniqueConstraint("state_hash", name=op.f("uq_visma_oauth_requests_state_hash")),
    )
    with op.batch_alter_table("visma_oauth_requests", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_visma_oauth_requests_company_id"), ["company_id"], unique=False)

    op.create_table(
        "visma_preflight_results",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("trigger", sa.String(length=20), nullable=False),
        sa.Column("ok", sa.Boolean(), nullable=False),
        sa.Column("items", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["company_id"], ["companies.id"], name=op.f("fk_visma_preflight_results_company_id_companies")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_visma_preflight_results")),
    )
    with op.batch_alter_table("visma_preflight_results", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_visma_preflight_results_company_id"), ["company_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("visma_preflight_results", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_visma_preflight_results_company_id"))
    op.drop_table("visma_preflight_results")
    with op.batch_alter_table("visma_oauth_requests", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_visma_oauth_requests_company_id"))
    op.drop_table("visma_oauth_requests")
    op.drop_table("visma_connections")
