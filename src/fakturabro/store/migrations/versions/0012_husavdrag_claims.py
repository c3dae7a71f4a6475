"""Husavdrag claims: claims made in fakturabro, each invoice's claim state and buyers, history, settings.

Revision ID: 0012_husavdrag_claims
Revises: 0011_integrator_api
Create Date: 2026-12-04 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import fakturabro.store.types

revision: str = "0012_husavdrag_claims"
down_revision: str | None = "0011_integrator_api"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "husavdrag_claims",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("name", sa.String(length=16), nullable=False),
        sa.Column("payment_year", sa.Integer(), nullable=False),
        sa.Column("requested", fakturabro.store.types.ExactDecimal(precision=18, scale=2), nullable=False),
        sa.Column("file_xml", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["company_id"], ["companies.id"], name=op.f("fk_husavdrag_claims_company_id_companies")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_husavdrag_claims")),
        sa.UniqueConstraint("company_id", "name", name=op.f("uq_husavdrag_claims_company_id_name")),
    )
    op.create_index(op.f("ix_husavdrag_claims_company_id"), "husavdrag_claims", ["company_id"], unique=False)
    op.create_table(
        "husavdrag_settings",
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("claims_in", sa.String(length=20), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["company_id"], ["companies.id"], name=op.f("fk_husavdrag_settings_company_id_companies")
        ),
        sa.PrimaryKeyConstraint("company_id", name=op.f("pk_husavdrag_settings")),
    )
    op.create_table(
        "husavdrag_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("invoice_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("step", sa.String(length=30), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["company_id"], ["companies.id"], name=op.f("fk_husavdrag_events_company_id_companies")
        ),
        sa.ForeignKeyConstraint(["invoice_id"], ["invoices.id"], name=op.f("fk_husavdrag_events_invoice_id_invoices")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_husavdrag_events")),
    )
    op.create_index(op.f("ix_husavdrag_events_invoice_id"), "husavdrag_events", ["invoice_id"], unique=False)
    op.create_table(
        "husavdrag_invoice_claims",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("invoice_id", sa.Integer(), nullable=False),
        sa.Column("claim_id", sa.Integer(), nullable=True),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("payment_date", sa.Date(), nullable=True),
        sa.Column("requested_amount", fakturabro.store.types.ExactDecimal(precision=18, scale=2), nullable=True),
        sa.Column("approved_amount", fakturabro.store.types.ExactDecimal(precision=18, scale=2), nullable=True),
        sa.Column("decided_at", sa.Date(), nullable=True),
        sa.Column("reason", sa.String(length=400), nullable=True),
        sa.Column("visma_status", sa.Integer(), nullable=True),
        sa.Column("back_invoice_id", sa.Integer(), nullable=True),
        sa.Column("back_started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["back_invoice_id"], ["invoices.id"], name=op.f("fk_husavdrag_invoice_claims_back_invoice_id_invoices")
        ),
        sa.ForeignKeyConstraint(
            ["claim_id"], ["husavdrag_claims.id"], name=op.f("fk_husavdrag_invoice_claims_claim_id_husavdrag_claims")
        ),
        sa.ForeignKeyConstraint(
            ["company_id"], ["companies.id"], name=op.f("fk_husavdrag_invoice_claims_company_id_companies")
        ),
        sa.ForeignKeyConstraint(
            ["invoice_id"], ["invoices.id"], name=op.f("fk_husavdrag_invoice_claims_invoice_id_invoices")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_husavdrag_invoice_claims")),
        sa.UniqueConstraint("invoice_id", name=op.f("uq_husavdrag_invoice_claims_invoice_id")),
    )
    op.create_index(
        op.f("ix_husavdrag_invoice_claims_claim_id"), "husavdrag_invoice_claims", ["claim_id"], unique=False
    )
    op.create_index(
        op.f("ix_husavdrag_invoice_claims_company_id"), "husavdrag_invoice_claims", ["company_id"], unique=False
    )
    op.create_table(
        "husavdrag_claim_buyers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("invoice_claim_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("requested", fakturabro.store.types.ExactDecimal(precision=18, scale=2), nullable=False),
        sa.Column("approved", fakturabro.store.types.ExactDecimal(precision=18, scale=2), nullable=True),
        sa.ForeignKeyConstraint(
            ["invoice_claim_id"],
            ["husavdrag_invoice_claims.id"],
            name=op.f("fk_husavdrag_claim_buyers_invoice_claim_id_husavdrag_invoice_claims"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_husavdrag_claim_buyers")),
        sa.UniqueConstraint(
            "invoice_claim_id", "position", name=op.f("uq_husavdrag_claim_buyers_invoice_claim_id_position")
        ),
    )


def downgrade() -> None:
    op.drop_table("husavdrag_claim_buyers")
    op.drop_index(op.f("ix_husavdrag_invoice_claims_company_id"), table_name="husavdrag_invoice_claims")
    op.drop_index(op.f("ix_husavdrag_invoice_claims_claim_id"), table_name="husavdrag_invoice_claims")
    op.drop_table("husavdrag_invoice_claims")
    op.drop_index(op.f("ix_husavdrag_events_invoice_id"), table_name="husavdrag_events")
    op.drop_table("husavdrag_events")
    op.drop_table("husavdrag_settings")
    op.drop_index(op.f("ix_husavdrag_claims_company_id"), table_name="husavdrag_claims")
    op.drop_table("husavdrag_claims")
