"""Visma rate-limit buckets shared by every process (``sync/pacing_db.py``).

Revision ID: 0006_rate_buckets
Revises: 0005_registers
Create Date: 2026-11-24 23:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_rate_buckets"
down_revision: str | None = "0005_registers"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "visma_rate_buckets",
        sa.Column("bucket_key", sa.String(length=300), nullable=False),
        sa.Column("tokens", sa.Float(), nullable=False),
        sa.Column("updated_epoch", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("bucket_key", name=op.f("pk_visma_rate_buckets")),
    )


def downgrade() -> None:
    op.drop_table("visma_rate_buckets")
