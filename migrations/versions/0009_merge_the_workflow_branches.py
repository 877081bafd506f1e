"""merge the workflow branches

Revision ID: 0009
Revises: 0005, 0006, 0007, 0008
Create Date: 2026-11-27 02:45:58.644473
"""

from alembic import op
import sqlalchemy as sa


revision = '0009'
down_revision = ('0005', '0006', '0007', '0008')
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
