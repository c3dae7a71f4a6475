"""Sending invoices: per-invoice delivery state, per-company delivery settings, a credit's reason and a
customer's e-invoice address.

Revision ID: 0013_delivery
Revises: 0012_husavdrag_claims
Create Date: 2026-12-04 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013_delivery"
down_revision: str | None = "0012_husavdrag_claims"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "invoice_deliveries",
        sa.Column("invoice_id", sa.Integer(), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("recipients", sa.Text(), nullable=False),
        sa.Column("message", sa.Text(), nullable=True),
        sa.Column("generation", sa.Integer(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("visma_invoice_id", sa.String(length=36), nullable=True),
        sa.Column("visma_invoice_number", sa.Integer(), nullable=True),
        sa.Column("visma_ocr", sa.String(length=50), nullable=True),
        sa.Column("convert_in_flight_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("send_in_flight_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("message_id", sa.String(length=200), nullable=True),
        sa.Column("pdf", sa.LargeBinary(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("error_id", sa.String(length=50), nullable=True),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["company_id"], ["companies.id"], name=op.f("fk_invoice_deliveries_company_id_companies")
        ),
        sa.ForeignKeyConstraint(
            ["invoice_id"], ["invoices.id"], name=op.f("fk_invoice_deliveries_invoice_id_invoices")
        ),
        sa.PrimaryKeyConstraint("invoice_id", name=op.f("pk_invoice_deliveries")),
    )
    op.create_index(op.f("ix_invoice_deliveries_company_id"), "invoice_deliveries", ["company_id"], unique=False)
    op.create_index(op.f("ix_invoice_deliveries_state"), "invoice_deliveries", ["state"], unique=False)
    op.create_table(
        "company_delivery_settings",
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("default_channel", sa.String(length=20), nullable=False),
        sa.Column("smtp_host", sa.String(length=200), nullable=True),
        sa.Column("smtp_port", sa.Integer(), nullable=True),
        sa.Column("smtp_security", sa.String(length=20), nullable=True),
        sa.Column("smtp_username", sa.String(length=200), nullable=True),
        sa.Column("smtp_password_encrypted", sa.Text(), nullable=True),
        sa.Column("sender_address", sa.String(length=254), nullable=True),
        sa.Column("sender_name", sa.String(length=200), nullable=True),
        sa.Column("subject_template", sa.Text(), nullable=True),
        sa.Column("message_template", sa.Text(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["company_id"], ["companies.id"], name=op.f("fk_company_delivery_settings_company_id_companies")
        ),
        sa.PrimaryKeyConstraint("company_id", name=op.f("pk_company_delivery_settings")),
    )
    with op.batch_alter_table("invoices") as batch:
        batch.add_column(sa.Column("credit_reason", sa.Text(), nullable=True))
    with op.batch_alter_table("customers") as batch:
        batch.add_column(sa.Column("einvoice_address", sa.String(length=50), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("customers") as batch:
        batch.drop_column("einvoice_address")
    with op.batch_alter_table("invoices") as batch:
        batch.drop_column("credit_reason")
    op.drop_table("company_delivery_settings")
    op.drop_index(op.f("ix_invoice_deliveries_state"), table_name="invoice_deliveries")
    op.drop_index(op.f("ix_invoice_deliveries_company_id"), table_name="invoice_deliveries")
    op.drop_table("invoice_deliveries")
