"""h18feat: the churn features' measures in the tenant-day rollup

Revision ID: 0019_h18feat
Revises: 0018_h18health
Create Date: 2026-12-07 23:45:00

``console_rollup_tenant_day`` gains three per-tenant measures the point-in-time churn
features read for whole days instead of the raw rows (core/models/features.py): online
bookings by start day, payments by creation day whose status is final, and rejected
payments. The existing rows do not have them yet, so the bookings and payments
watermarks are dropped: the next metrics refresh is a full rebuild (the refresh's own
rule for a database without watermarks), and until it runs the features read the raw
rows (they read the rollup only behind a watermark).
"""

import sqlalchemy as sa
from alembic import op

revision = "0019_h18feat"
down_revision = "0018_h18health"
branch_labels = None
depends_on = None

COLUMNS = ("online_bookings", "payments_resolved", "payments_rejected")


def upgrade() -> None:
    # A plain ADD COLUMN (a constant default makes NOT NULL legal on SQLite).
    for name in COLUMNS:
        op.add_column(
            "console_rollup_tenant_day",
            sa.Column(name, sa.Integer(), server_default=sa.text("0"), nullable=False),
        )
    op.execute("DELETE FROM console_watermarks WHERE source IN ('bookings', 'payments')")


def downgrade() -> None:
    with op.batch_alter_table("console_rollup_tenant_day", schema=None) as batch_op:
        for name in reversed(COLUMNS):
            batch_op.drop_column(name)
