"""health scores and their weights

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27 02:10:00
"""

from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('console_health_scores',
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('tier', sa.String(length=20), nullable=True),
    sa.Column('score', sa.Float(), nullable=True),
    sa.Column('band', sa.String(length=10), nullable=True),
    sa.Column('usage_score', sa.Float(), nullable=True),
    sa.Column('adoption_score', sa.Float(), nullable=True),
    sa.Column('billing_score', sa.Float(), nullable=True),
    sa.Column('support_score', sa.Float(), nullable=True),
    sa.Column('sentiment_score', sa.Float(), nullable=True),
    sa.Column('relationship_score', sa.Float(), nullable=True),
    sa.Column('client_base_score', sa.Float(), nullable=True),
    sa.Column('missing', sa.JSON(), nullable=False),
    sa.Column('expected_active_clients', sa.Float(), nullable=True),
    sa.Column('share_clients_lapsed', sa.Float(), nullable=True),
    sa.Column('computed_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('tenant_id', 'day')
    )
    with op.batch_alter_table('console_health_scores', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_console_health_scores_day'), ['day'], unique=False)

    op.create_table('console_health_weights',
    sa.Column('tier', sa.String(length=20), nullable=False),
    sa.Column('component', sa.String(length=30), nullable=False),
    sa.Column('weight', sa.Float(), nullable=False),
    sa.Column('updated_by', sa.Integer(), nullable=True),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('tier', 'component')
    )


def downgrade() -> None:
    op.drop_table('console_health_weights')
    with op.batch_alter_table('console_health_scores', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_console_health_scores_day'))

    op.drop_table('console_health_scores')
