"""The payment import: per-company cursors, leases, run records, deviations and the documents seen.

Revision ID: 0004_payment_import
Revises: 0003_export
Create Date: 2026-11-24 22:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import fakturabro.store.types

revision: str = "0004_payment_import"
down_revision: str | None = "0003_export"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "payment_import_cursors",
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("cursor_utc", sa.DateTime(timezone=True), nullable=True),
        sa.Column("upper_bound_utc", sa.DateTime(timezone=True), nullable=True),
        sa.Column("overlap_seconds", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["company_id"], ["companies.id"], name=op.f("fk_payment_import_cursors_company_id_companies")
        ),
        sa.PrimaryKeyConstraint("company_id", "source", name=op.f("pk_payment_import_cursors")),
    )
    op.create_table(
        "payment_import_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("trigger", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("paid", sa.Integer(), nullable=False),
        sa.Column("partially_paid", sa.Integer(), nullable=False),
        sa.Column("deviations", sa.Integer(), nullable=False),
        sa.Column("registered", sa.Integer(), nullable=False),
        sa.Column("reversed", sa.Integer(), nullable=False),
        sa.Column("documents", sa.Integer(), nullable=False),
        sa.Column("pages", sa.Integer(), nullable=False),
        sa.Column("api_calls", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["company_id"], ["companies.id"], name=op.f("fk_payment_import_runs_company_id_companies")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payment_import_runs")),
    )
    with op.batch_alter_table("payment_import_runs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_payment_import_runs_company_id"), ["company_id"], unique=False)

    op.create_table(
        "payment_import_deviations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("visma_id", sa.String(length=64), nullable=False),
        sa.Column("invoice_id", sa.Integer(), nullable=True),
        sa.Column("visma_invoice_number", sa.Integer(), nullable=True),
        sa.Column("our_invoice_number", sa.Integer(), nullable=True),
        sa.Column("amount", fakturabro.store.types.ExactDecimal(precision=18, scale=2), nullable=True),
        sa.Column("detail", sa.String(length=200), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["company_id"], ["companies.id"], name=op.f("fk_payment_import_deviations_company_id_companies")
        ),
        sa.ForeignKeyConstraint(
            ["invoice_id"], ["invoices.id"], name=op.f("fk_payment_import_deviations_invoice_id_invoices")
        ),
        sa.ForeignKeyConstraint(
            ["run_id"], ["payment_import_runs.id"], name=op.f("fk_payment_import_deviations_run_id_payment_import_runs")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payment_import_deviations")),
        sa.UniqueConstraint(
            "company_id", "kind", "visma_id", name=op.f("uq_payment_import_deviations_company_id_kind_visma_id")
        ),
    )
    with op.batch_alter_table("payment_import_deviations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_payment_import_deviations_company_id"), ["company_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_payment_import_deviations_invoice_id"), ["invoice_id"], unique=False)

    op.create_table(
        "payment_import_leases",
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["company_id"], ["companies.id"], name=op.f("fk_payment_import_leases_company_id_companies")
        ),
        sa.PrimaryKeyConstraint("company_id", name=op.f("pk_payment_import_leases")),
    )
    op.create_table(
        "payment_import_documents",
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("visma_id", sa.String(length=64), nullable=False),
        sa.Column("invoice_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("visma_invoice_number", sa.Integer(), nullable=True),
        sa.Column("is_credit", sa.Boolean(), nullable=False),
        sa.Column("to_pay", fakturabro.store.types.ExactDecimal(precision=18, scale=2), nullable=False),
        sa.Column("remaining", fakturabro.store.types.ExactDecimal(precision=18, scale=2), nullable=False),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["company_id"], ["companies.id"], name=op.f("fk_payment_import_documents_company_id_companies")
        ),
        sa.ForeignKeyConstraint(
            ["invoice_id"], ["invoices.id"], name=op.f("fk_payment_import_documents_invoice_id_invoices")
        ),
        sa.PrimaryKeyConstraint("company_id", "visma_id", name=op.f("pk_payment_import_documents")),
    )
    with op.batch_alter_table("payment_import_documents", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_payment_import_documents_invoice_id"), ["invoice_id"], unique=False)


def downgrade() -> None:
    op.drop_table("payment_import_documents")
    op.drop_table("payment_import_leases")
    op.drop_table("payment_import_deviations")
    op.drop_table("payment_import_runs")
    op.drop_table("payment_import_cursors")
