"""api tokens: bearer tokens of the JSON API

Revision ID: 0014_api_tokens
Revises: 0013_operations
Create Date: 2026-12-07 17:57:35

The JSON API (issue 17) signs requests in with bearer tokens issued to console users;
only each token's SHA-256 is stored (see core/schema/identity.py, core/auth/api_tokens.py).
"""

from alembic import op
import sqlalchemy as sa


revision = "0014_api_tokens"
down_revision = "0013_operations"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "console_api_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("hint", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("expires_at", sa.DateTime(), nullable=True),
        sa.Column("revoked_at", sa.DateTime(), nullable=True),
        sa.Column("last_used_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["created_by"], ["console_users.id"]),
        sa.ForeignKeyConstraint(["user_id"], ["console_users.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash"),
    )
    with op.batch_alter_table("console_api_tokens", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_console_api_tokens_user_id"), ["user_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("console_api_tokens", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_console_api_tokens_user_id"))

    op.drop_table("console_api_tokens")
