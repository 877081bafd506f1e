"""sign-in: password hashes, server-side sessions, sign-in attempts

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07 11:00:00
"""

import sqlalchemy as sa
from alembic import op


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('console_users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('password_hash', sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column('password_changed_at', sa.DateTime(), nullable=True))
    op.create_table(
        'console_auth_sessions',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('method', sa.String(length=10), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('last_active_at', sa.DateTime(), nullable=False),
        sa.Column('idle_timeout_s', sa.Float(), nullable=False),
        sa.Column('revoked_at', sa.DateTime(), nullable=True),
        sa.Column('revoked_reason', sa.String(length=20), nullable=True),
        sa.Column('address', sa.String(length=64), nullable=True),
        sa.Column('user_agent', sa.String(length=200), nullable=True),
        sa.Column('source_hash', sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(['user_id'], ['console_users.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('token_hash'),
        sa.UniqueConstraint('source_hash'),
    )
    with op.batch_alter_table('console_auth_sessions', schema=None) as batch_op:
        batch_op.create_index('ix_console_auth_sessions_user_id', ['user_id'], unique=False)
    op.create_table(
        'console_sign_in_attempts',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('attempted_at', sa.DateTime(), nullable=False),
        sa.Column('account_key', sa.String(length=160), nullable=False),
        sa.Column('address', sa.String(length=64), nullable=False),
        sa.Column('succeeded', sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('console_sign_in_attempts', schema=None) as batch_op:
        batch_op.create_index(
            'ix_console_sign_in_attempts_account', ['account_key', 'attempted_at'], unique=False
        )
        batch_op.create_index(
            'ix_console_sign_in_attempts_address', ['address', 'attempted_at'], unique=False
        )


def downgrade() -> None:
    op.drop_table('console_sign_in_attempts')
    op.drop_table('console_auth_sessions')
    with op.batch_alter_table('console_users', schema=None) as batch_op:
        batch_op.drop_column('password_changed_at')
        batch_op.drop_column('password_hash')
