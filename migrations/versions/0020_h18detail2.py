"""finance ledger cells: the finance detail provider's per-tenant-day state (issue 18)

Revision ID: 0020_h18detail2
Revises: 0019_h18feat
Create Date: 2026-12-08 00:00:00

The finance provider's ledger (payment outcomes per tenant, day and method;
reconciliation per tenant and day) moves out of every detail snapshot into its own
tables, where a run deletes and re-inserts only the cells it recomputed (see
core/metrics/frames/finance.py, core/schema/finance_ledger.py).
"""

from alembic import op
import sqlalchemy as sa


revision = "0020_h18detail2"
down_revision = "0019_h18feat"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "console_finance_payment_cells",
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("method", sa.String(length=12), nullable=False),
        sa.Column("payments", sa.Integer(), nullable=False),
        sa.Column("approved", sa.Integer(), nullable=False),
        sa.Column("failed", sa.Integer(), nullable=False),
        sa.Column("pending", sa.Integer(), nullable=False),
        sa.Column("refunded", sa.Integer(), nullable=False),
        sa.Column("approved_ars", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "day", "method"),
    )
    op.create_table(
        "console_finance_reconciliation_cells",
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("completed", sa.Integer(), nullable=False),
        sa.Column("completed_ars", sa.Float(), nullable=False),
        sa.Column("paid_ars", sa.Float(), nullable=False),
        sa.Column("unpaid", sa.Integer(), nullable=False),
        sa.Column("amount_differs", sa.Integer(), nullable=False),
        sa.Column("paid_not_completed", sa.Integer(), nullable=False),
        sa.Column("paid_not_completed_ars", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "day"),
    )


def downgrade() -> None:
    op.drop_table("console_finance_reconciliation_cells")
    op.drop_table("console_finance_payment_cells")
