"""Amounts follow the Visma company: the öresavrundning an invoice was priced with, and the company's setting
as last read from Visma.

Revision ID: 0008_visma_books
Revises: 0013_delivery
Create Date: 2026-12-04 13:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008_visma_books"
down_revision: str | None = "0013_delivery"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("invoices") as batch:
        batch.add_column(sa.Column("whole_krona_rounding", sa.Boolean(), nullable=True))
    with op.batch_alter_table("visma_company_cache") as batch:
        batch.add_column(sa.Column("whole_krona_rounding", sa.Boolean(), nullable=True))
        batch.add_column(sa.Column("settings_read_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("visma_company_cache") as batch:
        batch.drop_column("settings_read_at")
        batch.drop_column("whole_krona_rounding")
    with op.batch_alter_table("invoices") as batch:
        batch.drop_column("whole_krona_rounding")
