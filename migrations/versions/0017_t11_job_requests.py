"""job requests: runs of scheduler jobs asked for through the API

Revision ID: 0017_t11_job_requests
Revises: 0016_onboarding_api
Create Date: 2026-12-07 20:40:00

``POST /api/t11/execute`` queues a request; a scheduler claims it and runs the job under
its usual lease (see core/schema/job_requests.py, core/jobs/on_demand.py).
"""

from alembic import op
import sqlalchemy as sa


revision = "0017_t11_job_requests"
down_revision = "0016_onboarding_api"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "console_job_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("job_id", sa.String(length=60), nullable=False),
        sa.Column("requested_as", sa.String(length=60), nullable=False),
        sa.Column("requested_by", sa.Integer(), nullable=False),
        sa.Column("requested_at", sa.DateTime(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("active_job_id", sa.String(length=60), nullable=True),
        sa.Column("claimed_by", sa.String(length=80), nullable=True),
        sa.Column("claimed_at", sa.DateTime(), nullable=True),
        sa.Column("job_run_id", sa.Integer(), nullable=True),
        sa.Column("attached", sa.Boolean(), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=True),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.Column("rows_touched", sa.Integer(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("skip_reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["requested_by"], ["console_users.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("active_job_id"),
    )
    with op.batch_alter_table("console_job_requests", schema=None) as batch_op:
        batch_op.create_index(
            "ix_console_job_requests_status", ["status", "requested_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_console_job_requests_job_run_id"), ["job_run_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("console_job_requests", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_console_job_requests_job_run_id"))
        batch_op.drop_index("ix_console_job_requests_status")

    op.drop_table("console_job_requests")
