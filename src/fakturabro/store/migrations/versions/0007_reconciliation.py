"""Reconciliation with a Visma company's books: runs, resolutions, and what the export needs to re-check links.

Revision ID: 0007_reconciliation
Revises: 0006_rate_buckets
Create Date: 2026-12-04 06:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007_reconciliation"
down_revision: str | None = "0006_rate_buckets"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "visma_reconciliation_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("trigger", sa.String(length=20), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("visma_calls", sa.Integer(), nullable=False),
        sa.Column("customers", sa.Text(), nullable=True),
        sa.Column("articles", sa.Text(), nullable=True),
        sa.Column("numbering", sa.Text(), nullable=True),
        sa.Column("settings", sa.Text(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["company_id"], ["companies.id"], name=op.f("fk_visma_reconciliation_runs_company_id_companies")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_visma_reconciliation_runs")),
    )
    op.create_index(
        op.f("ix_visma_reconciliation_runs_company_id"), "visma_reconciliation_runs", ["company_id"], unique=False
    )
    op.create_table(
        "visma_resolutions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("subject", sa.String(length=20), nullable=False),
        sa.Column("number", sa.String(length=50), nullable=False),
        sa.Column("action", sa.String(length=30), nullable=False),
        sa.Column("finding_kind", sa.String(length=30), nullable=False),
        sa.Column("visma_id", sa.String(length=36), nullable=True),
        sa.Column("visma_number", sa.String(length=50), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["company_id"], ["companies.id"], name=op.f("fk_visma_resolutions_company_id_companies")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_visma_resolutions")),
        sa.UniqueConstraint(
            "company_id", "subject", "number", name=op.f("uq_visma_resolutions_company_id_subject_number")
        ),
    )
    op.create_index(op.f("ix_visma_resolutions_company_id"), "visma_resolutions", ["company_id"], unique=False)
    with op.batch_alter_table("visma_customer_links") as batch:
        batch.add_column(sa.Column("contradiction", sa.Text(), nullable=True))
    with op.batch_alter_table("visma_company_cache") as batch:
        batch.add_column(sa.Column("customers_cursor", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("customers_checked_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("visma_company_cache") as batch:
        batch.drop_column("customers_checked_at")
        batch.drop_column("customers_cursor")
    with op.batch_alter_table("visma_customer_links") as batch:
        batch.drop_column("contradiction")
    op.drop_index(op.f("ix_visma_resolutions_company_id"), table_name="visma_resolutions")
    op.drop_table("visma_resolutions")
    op.drop_index(op.f("ix_visma_reconciliation_runs_company_id"), table_name="visma_reconciliation_runs")
    op.drop_table("visma_reconciliation_runs")
