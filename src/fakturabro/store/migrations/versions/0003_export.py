"""The export to Visma: per-invoice export state and log, customer links, article and company caches.

Revision ID: 0003_export
Revises: 0002_visma_connection
Create Date: 2026-11-24 22:11:16.106672
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003_export"
down_revision: str | None = "0002_visma_connection"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "visma_article_cache",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=50), nullable=False),
        sa.Column("visma_id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("coding_id", sa.String(length=36), nullable=True),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["company_id"], ["companies.id"], name=op.f("fk_visma_article_cache_company_id_companies")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_visma_article_cache")),
        sa.UniqueConstraint("company_id", "number", name=op.f("uq_visma_article_cache_company_id_number")),
    )
    with op.batch_alter_table("visma_article_cache", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_visma_article_cache_company_id"), ["company_id"], unique=False)

    op.create_table(
        "visma_company_cache",
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("articles_cursor", sa.DateTime(timezone=True), nullable=True),
        sa.Column("articles_checked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("terms_of_payment_id", sa.String(length=36), nullable=True),
        sa.Column("unit_id", sa.String(length=36), nullable=True),
        sa.Column("codings", sa.Text(), nullable=True),
        sa.Column("refreshed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["company_id"], ["companies.id"], name=op.f("fk_visma_company_cache_company_id_companies")
        ),
        sa.PrimaryKeyConstraint("company_id", name=op.f("pk_visma_company_cache")),
    )
    op.create_table(
        "visma_customer_links",
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("visma_customer_id", sa.String(length=36), nullable=False),
        sa.Column("is_private_person", sa.Boolean(), nullable=False),
        sa.Column("linked_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["company_id"], ["companies.id"], name=op.f("fk_visma_customer_links_company_id_companies")
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_visma_customer_links_customer_id_customers")
        ),
        sa.PrimaryKeyConstraint("company_id", "customer_id", name=op.f("pk_visma_customer_links")),
    )
    op.create_table(
        "invoice_export_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("invoice_id", sa.Integer(), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("generation", sa.Integer(), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("step", sa.String(length=30), nullable=False),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column("message", sa.Text(), nullable=True),
        sa.Column("error_id", sa.String(length=50), nullable=True),
        sa.Column("http_status", sa.Integer(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["company_id"], ["companies.id"], name=op.f("fk_invoice_export_log_company_id_companies")
        ),
        sa.ForeignKeyConstraint(
            ["invoice_id"], ["invoices.id"], name=op.f("fk_invoice_export_log_invoice_id_invoices")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invoice_export_log")),
    )
    with op.batch_alter_table("invoice_export_log", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_invoice_export_log_company_id"), ["company_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_invoice_export_log_invoice_id"), ["invoice_id"], unique=False)

    op.create_table(
        "invoice_exports",
        sa.Column("invoice_id", sa.Integer(), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("mode", sa.String(length=10), nullable=True),
        sa.Column("generation", sa.Integer(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("marker", sa.String(length=50), nullable=True),
        sa.Column("in_flight_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("visma_customer_id", sa.String(length=36), nullable=True),
        sa.Column("visma_document_type", sa.String(length=20), nullable=True),
        sa.Column("visma_id", sa.String(length=36), nullable=True),
        sa.Column("visma_invoice_number", sa.Integer(), nullable=True),
        sa.Column("visma_link_id", sa.String(length=36), nullable=True),
        sa.Column("totals_difference", sa.Text(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("error_id", sa.String(length=50), nullable=True),
        sa.Column("exported_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["company_id"], ["companies.id"], name=op.f("fk_invoice_exports_company_id_companies")),
        sa.ForeignKeyConstraint(["invoice_id"], ["invoices.id"], name=op.f("fk_invoice_exports_invoice_id_invoices")),
        sa.PrimaryKeyConstraint("invoice_id", name=op.f("pk_invoice_exports")),
    )
    with op.batch_alter_table("invoice_exports", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_invoice_exports_company_id"), ["company_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_invoice_exports_state"), ["state"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("invoice_exports", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_invoice_exports_state"))
        batch_op.drop_index(batch_op.f("ix_invoice_exports_company_id"))

    op.drop_table("invoice_exports")
    with op.batch_alter_table("invoice_export_log", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_invoice_export_log_invoice_id"))
        batch_op.drop_index(batch_op.f("ix_invoice_export_log_company_id"))

    op.drop_table("invoice_export_log")
    op.drop_table("visma_customer_links")
    op.drop_table("visma_company_cache")
    with op.batch_alter_table("visma_article_cache", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_visma_article_cache_company_id"))

    op.drop_table("visma_article_cache")
