"""The company's details for its invoices (Inställningar → Företaget): address, org and VAT numbers, F-skatt,
payment accounts, terms, OCR mode and logo; and each approved invoice's OCR reference.

Revision ID: 0014_company_settings
Revises: 0010_sessions
Create Date: 2026-12-04 13:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014_company_settings"
down_revision: str | None = "0010_sessions"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "company_settings",
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("org_number", sa.String(length=11), nullable=True),
        sa.Column("vat_number", sa.String(length=14), nullable=True),
        sa.Column("address_line1", sa.String(length=200), nullable=True),
        sa.Column("address_line2", sa.String(length=200), nullable=True),
        sa.Column("postal_code", sa.String(length=50), nullable=True),
        sa.Column("city", sa.String(length=200), nullable=True),
        sa.Column("phone", sa.String(length=50), nullable=True),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("website", sa.String(length=200), nullable=True),
        sa.Column("f_skatt", sa.Boolean(), nullable=False),
        sa.Column("bankgiro", sa.String(length=50), nullable=True),
        sa.Column("plusgiro", sa.String(length=50), nullable=True),
        sa.Column("iban", sa.String(length=50), nullable=True),
        sa.Column("bic", sa.String(length=50), nullable=True),
        sa.Column("payment_terms_days", sa.Integer(), nullable=False),
        sa.Column("late_interest_text", sa.Text(), nullable=True),
        sa.Column("ocr_mode", sa.String(length=20), nullable=False),
        sa.Column("logo", sa.LargeBinary(), nullable=True),
        sa.Column("logo_content_type", sa.String(length=50), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["companies.id"],
            name=op.f("fk_company_settings_company_id_companies"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("company_id", name=op.f("pk_company_settings")),
    )
    # Frozen at approval, like the number: a later change of OCR mode must not change a sent invoice's reference.
    op.add_column("invoices", sa.Column("ocr", sa.String(length=25), nullable=True))
    op.create_index("ix_invoices_company_id_ocr", "invoices", ["company_id", "ocr"])


def downgrade() -> None:
    op.drop_index("ix_invoices_company_id_ocr", table_name="invoices")
    with op.batch_alter_table("invoices") as batch:
        batch.drop_column("ocr")
    op.drop_table("company_settings")
