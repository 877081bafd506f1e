"""churn model registry and scores

Revision ID: 0006
Revises: 0004
Create Date: 2026-11-27 02:30:00
"""

from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('console_churn_feature_sets',
    sa.Column('as_of', sa.DateTime(), nullable=False),
    sa.Column('feature_version', sa.String(length=16), nullable=False),
    sa.Column('computed_at', sa.DateTime(), nullable=False),
    sa.Column('frame', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('as_of', 'feature_version')
    )
    op.create_table('console_churn_models',
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('trained_at', sa.DateTime(), nullable=False),
    sa.Column('data_start', sa.Date(), nullable=False),
    sa.Column('data_end', sa.Date(), nullable=False),
    sa.Column('horizon_days', sa.Integer(), nullable=False),
    sa.Column('algorithm', sa.String(length=40), nullable=False),
    sa.Column('metrics', sa.JSON(), nullable=False),
    sa.Column('roc_auc', sa.Float(), nullable=False),
    sa.Column('promoted', sa.Boolean(), nullable=False),
    sa.Column('promotion_note', sa.Text(), nullable=False),
    sa.Column('model_bytes', sa.LargeBinary(), nullable=False),
    sa.Column('job_run_id', sa.Integer(), nullable=True),
    sa.PrimaryKeyConstraint('version')
    )
    with op.batch_alter_table('console_churn_models', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_console_churn_models_promoted'), ['promoted'], unique=False)
        batch_op.create_index(batch_op.f('ix_console_churn_models_trained_at'), ['trained_at'], unique=False)

    op.create_table('console_churn_scores',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('scored_at', sa.DateTime(), nullable=False),
    sa.Column('model_version', sa.Integer(), nullable=False),
    sa.Column('probability', sa.Float(), nullable=False),
    sa.Column('drivers', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('console_churn_scores', schema=None) as batch_op:
        batch_op.create_index('ix_console_churn_scores_tenant_scored', ['tenant_id', 'scored_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_console_churn_scores_scored_at'), ['scored_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('console_churn_scores', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_console_churn_scores_scored_at'))
        batch_op.drop_index('ix_console_churn_scores_tenant_scored')

    op.drop_table('console_churn_scores')
    with op.batch_alter_table('console_churn_models', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_console_churn_models_trained_at'))
        batch_op.drop_index(batch_op.f('ix_console_churn_models_promoted'))

    op.drop_table('console_churn_models')
    op.drop_table('console_churn_feature_sets')
