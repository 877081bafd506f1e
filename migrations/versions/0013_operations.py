"""operations: monitors, incidents, probes, page timings

Revision ID: 0013_operations
Revises: 0012_write_versions
Create Date: 2026-12-07 17:10:14

Production operations (issue 16): the monitors' time series and current states, admin
overrides, ops incidents, maintenance windows, the ops notification outbox, the
availability probes and the page render timings (see core/schema/ops.py).
"""

from alembic import op
import sqlalchemy as sa


revision = "0013_operations"
down_revision = "0012_write_versions"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ops_monitor_results",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("monitor_id", sa.String(length=60), nullable=False),
        sa.Column("checked_at", sa.DateTime(), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("value", sa.Float(), nullable=True),
        sa.Column("evidence", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("ops_monitor_results", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_ops_monitor_results_checked_at"), ["checked_at"], unique=False
        )
        batch_op.create_index(
            "ix_ops_monitor_results_monitor_checked", ["monitor_id", "checked_at"], unique=False
        )

    op.create_table(
        "ops_page_timings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("minute", sa.DateTime(), nullable=False),
        sa.Column("page", sa.String(length=60), nullable=False),
        sa.Column("process", sa.String(length=80), nullable=False),
        sa.Column("renders", sa.Integer(), nullable=False),
        sa.Column("total_ms", sa.Float(), nullable=False),
        sa.Column("max_ms", sa.Float(), nullable=False),
        sa.Column("buckets", sa.JSON(), nullable=False),
        sa.Column("failed", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("ops_page_timings", schema=None) as batch_op:
        batch_op.create_index("ix_ops_page_timings_minute", ["minute"], unique=False)

    op.create_table(
        "ops_probes",
        sa.Column("component", sa.String(length=20), nullable=False),
        sa.Column("minute", sa.DateTime(), nullable=False),
        sa.Column("value", sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint("component", "minute"),
    )
    op.create_table(
        "ops_incidents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("monitor_id", sa.String(length=60), nullable=False),
        sa.Column("severity", sa.String(length=10), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("opened_at", sa.DateTime(), nullable=False),
        sa.Column("evidence", sa.Text(), nullable=False),
        sa.Column("acknowledged_at", sa.DateTime(), nullable=True),
        sa.Column("acknowledged_by", sa.Integer(), nullable=True),
        sa.Column("silenced_until", sa.DateTime(), nullable=True),
        sa.Column("resolved_at", sa.DateTime(), nullable=True),
        sa.Column("resolved_by", sa.Integer(), nullable=True),
        sa.Column("resolution_note", sa.Text(), nullable=True),
        sa.Column("version", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.ForeignKeyConstraint(
            ["acknowledged_by"],
            ["console_users.id"],
        ),
        sa.ForeignKeyConstraint(
            ["resolved_by"],
            ["console_users.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("ops_incidents", schema=None) as batch_op:
        batch_op.create_index(
            "ix_ops_incidents_monitor_status", ["monitor_id", "status"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_ops_incidents_opened_at"), ["opened_at"], unique=False)

    op.create_table(
        "ops_maintenance_windows",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("monitor_id", sa.String(length=60), nullable=True),
        sa.Column("starts_at", sa.DateTime(), nullable=False),
        sa.Column("ends_at", sa.DateTime(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["console_users.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("ops_maintenance_windows", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_ops_maintenance_windows_ends_at"), ["ends_at"], unique=False
        )

    op.create_table(
        "ops_monitor_overrides",
        sa.Column("monitor_id", sa.String(length=60), nullable=False),
        sa.Column("warning", sa.Float(), nullable=True),
        sa.Column("critical", sa.Float(), nullable=True),
        sa.Column("window_s", sa.Float(), nullable=True),
        sa.Column("consecutive", sa.Integer(), nullable=True),
        sa.Column("channel", sa.String(length=10), nullable=True),
        sa.Column("updated_by", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("version", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.ForeignKeyConstraint(
            ["updated_by"],
            ["console_users.id"],
        ),
        sa.PrimaryKeyConstraint("monitor_id"),
    )
    op.create_table(
        "ops_monitor_states",
        sa.Column("monitor_id", sa.String(length=60), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("since", sa.DateTime(), nullable=False),
        sa.Column("observed", sa.String(length=10), nullable=False),
        sa.Column("streak", sa.Integer(), nullable=False),
        sa.Column("value", sa.Float(), nullable=True),
        sa.Column("evidence", sa.Text(), nullable=False),
        sa.Column("checked_at", sa.DateTime(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["ops_incidents.id"],
        ),
        sa.PrimaryKeyConstraint("monitor_id"),
    )
    op.create_table(
        "ops_notification_outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("event", sa.String(length=12), nullable=False),
        sa.Column("channel", sa.String(length=10), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("delivered_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["ops_incidents.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("ops_notification_outbox", schema=None) as batch_op:
        batch_op.create_index(
            "ix_ops_notification_outbox_due", ["status", "next_attempt_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_ops_notification_outbox_incident_id"), ["incident_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("ops_notification_outbox", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ops_notification_outbox_incident_id"))
        batch_op.drop_index("ix_ops_notification_outbox_due")

    op.drop_table("ops_notification_outbox")
    op.drop_table("ops_monitor_states")
    op.drop_table("ops_monitor_overrides")
    with op.batch_alter_table("ops_maintenance_windows", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ops_maintenance_windows_ends_at"))

    op.drop_table("ops_maintenance_windows")
    with op.batch_alter_table("ops_incidents", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ops_incidents_opened_at"))
        batch_op.drop_index("ix_ops_incidents_monitor_status")

    op.drop_table("ops_incidents")
    op.drop_table("ops_probes")
    with op.batch_alter_table("ops_page_timings", schema=None) as batch_op:
        batch_op.drop_index("ix_ops_page_timings_minute")

    op.drop_table("ops_page_timings")
    with op.batch_alter_table("ops_monitor_results", schema=None) as batch_op:
        batch_op.drop_index("ix_ops_monitor_results_monitor_checked")
        batch_op.drop_index(batch_op.f("ix_ops_monitor_results_checked_at"))

    op.drop_table("ops_monitor_results")
