"""write versions: optimistic locking on onboarding sessions and CS alerts

Revision ID: 0012_write_versions
Revises: 0011
Create Date: 2026-12-07 14:00:00

Every write to an onboarding session (its draft and the row's own fields) or to a CS
alert compares the version the user's form read and bumps it: a write from a window
that read an older version is refused instead of overwriting what another one saved.
"""

import sqlalchemy as sa
from alembic import op


revision = '0012_write_versions'
down_revision = '0011'
branch_labels = None
depends_on = None

TABLES = ('onboarding_sessions', 'cs_alerts')


def upgrade() -> None:
    # A plain ADD COLUMN (a constant default makes NOT NULL legal on SQLite): a batch
    # copy would drop and recreate tables that other tables' rows point to.
    for table in TABLES:
        op.add_column(
            table, sa.Column('version', sa.Integer(), server_default=sa.text('1'), nullable=False)
        )


def downgrade() -> None:
    for table in reversed(TABLES):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column('version')
