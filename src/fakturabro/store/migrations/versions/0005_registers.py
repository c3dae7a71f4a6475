"""Register runs: bulk imports, pushes and pulls of articles and customers, resumable.

Revision ID: 0005_registers
Revises: 0004_payment_import
Create Date: 2026-11-24 23:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_registers"
down_revision: str | None = "0004_payment_import"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "register_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("operation", sa.String(length=30), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("source_name", sa.String(length=200), nullable=True),
        sa.Column("source_encrypted", sa.Text(), nullable=True),
        sa.Column("columns_json", sa.Text(), nullable=False),
        sa.Column("decisions_json", sa.Text(), nullable=False),
        sa.Column("counts_json", sa.Text(), nullable=False),
        sa.Column("problems_json", sa.Text(), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("done", sa.Integer(), nullable=False),
        sa.Column("api_calls", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["company_id"], ["companies.id"], name=op.f("fk_register_runs_company_id_companies")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_register_runs")),
    )
    with op.batch_alter_table("register_runs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_register_runs_company_id"), ["company_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("register_runs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_register_runs_company_id"))
    op.drop_table("register_runs")
