"""health client-base fits: each tenant's cached BG/NBD parameters (issue 18)

Revision ID: 0018_h18health
Revises: 0017_t11_job_requests
Create Date: 2026-12-07 22:00:00

The health score's client-base component fits a BG/NBD model per tenant; the job keeps
each tenant's latest parameters with a fingerprint of their fitting input, to reuse
them when nothing changed and warm-start the refit otherwise (see
core/models/health/client_base.py, core/schema/health.py).
"""

from alembic import op
import sqlalchemy as sa


revision = "0018_h18health"
down_revision = "0017_t11_job_requests"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "console_health_client_base_fits",
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("r", sa.Float(), nullable=False),
        sa.Column("alpha", sa.Float(), nullable=False),
        sa.Column("a", sa.Float(), nullable=False),
        sa.Column("b", sa.Float(), nullable=False),
        sa.Column("fitted_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id"),
    )


def downgrade() -> None:
    op.drop_table("console_health_client_base_fits")
