"""api rate limits: a per-token write counter per window

Revision ID: 0015_api_rate_limits
Revises: 0014_api_tokens
Create Date: 2026-12-07 20:40:00

The JSON API (issue 17) limits each token's writes per minute; the counts live in the
database so every API process and replica shares them (core/auth/api_rate_limits.py).
"""

from alembic import op
import sqlalchemy as sa


revision = "0015_api_rate_limits"
down_revision = "0014_api_tokens"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "console_api_rate_windows",
        sa.Column("token_id", sa.Integer(), nullable=False),
        sa.Column("window_start", sa.DateTime(), nullable=False),
        sa.Column("writes", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["token_id"], ["console_api_tokens.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("token_id", "window_start"),
    )
    with op.batch_alter_table("console_api_rate_windows", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_console_api_rate_windows_window_start"), ["window_start"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("console_api_rate_windows", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_console_api_rate_windows_window_start"))

    op.drop_table("console_api_rate_windows")
