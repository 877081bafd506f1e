"""onboarding api: idempotency keys of the JSON API's POSTs

Revision ID: 0016_onboarding_api
Revises: 0015_api_rate_limits
Create Date: 2026-12-07 20:40:00

POST /api/enterprise/onboarding/initiate accepts an Idempotency-Key: a retry with the
same key and body replays the first result (core/schema/api_idempotency.py,
core/idempotency.py). The unique (user, route, key) makes racing retries create one
onboarding.
"""

from alembic import op
import sqlalchemy as sa


revision = "0016_onboarding_api"
down_revision = "0015_api_rate_limits"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "api_idempotency_keys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("route", sa.String(length=60), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("request_sha256", sa.String(length=64), nullable=False),
        sa.Column("result", sa.JSON(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["console_users.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("user_id", "route", "key", name="uq_api_idempotency_key"),
    )
    with op.batch_alter_table("api_idempotency_keys", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_api_idempotency_keys_expires_at"), ["expires_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("api_idempotency_keys", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_api_idempotency_keys_expires_at"))

    op.drop_table("api_idempotency_keys")
