"""onboarding wizard: opening and working hours, staff services, integrations, reviews

Revision ID: 0007
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0004"
branch_labels = None
depends_on = None


def _updated_at() -> sa.Column:
    return sa.Column("updated_at", sa.DateTime(), nullable=False)


def upgrade() -> None:
    op.create_table(
        "location_opening_hours",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("location_id", sa.Integer(), nullable=False),
        sa.Column("weekday", sa.Integer(), nullable=False),
        sa.Column("opens", sa.String(length=5), nullable=False),
        sa.Column("closes", sa.String(length=5), nullable=False),
        _updated_at(),
        sa.ForeignKeyConstraint(["location_id"], ["locations.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_location_opening_hours_location_id", "location_opening_hours", ["location_id"]
    )
    op.create_index(
        "ix_location_opening_hours_updated_at", "location_opening_hours", ["updated_at"]
    )

    op.create_table(
        "staff_working_hours",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("weekday", sa.Integer(), nullable=False),
        sa.Column("starts", sa.String(length=5), nullable=False),
        sa.Column("ends", sa.String(length=5), nullable=False),
        _updated_at(),
        sa.ForeignKeyConstraint(["staff_id"], ["staff.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_staff_working_hours_staff_id", "staff_working_hours", ["staff_id"])
    op.create_index("ix_staff_working_hours_updated_at", "staff_working_hours", ["updated_at"])

    op.create_table(
        "staff_services",
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("service_id", sa.Integer(), nullable=False),
        _updated_at(),
        sa.ForeignKeyConstraint(["service_id"], ["services.id"]),
        sa.ForeignKeyConstraint(["staff_id"], ["staff.id"]),
        sa.PrimaryKeyConstraint("staff_id", "service_id"),
    )
    op.create_index("ix_staff_services_service_id", "staff_services", ["service_id"])
    op.create_index("ix_staff_services_updated_at", "staff_services", ["updated_at"])

    op.create_table(
        "tenant_integrations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("settings", sa.JSON(), nullable=True),
        _updated_at(),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("tenant_id", "kind"),
    )
    op.create_index("ix_tenant_integrations_tenant_id", "tenant_integrations", ["tenant_id"])
    op.create_index("ix_tenant_integrations_updated_at", "tenant_integrations", ["updated_at"])

    op.create_table(
        "onboarding_reviews",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("decision", sa.String(length=10), nullable=False),
        sa.Column("reviewer_id", sa.Integer(), nullable=True),
        sa.Column("reasons", sa.Text(), nullable=True),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("decided_at", sa.DateTime(), nullable=False),
        _updated_at(),
        sa.ForeignKeyConstraint(["reviewer_id"], ["console_users.id"]),
        sa.ForeignKeyConstraint(["session_id"], ["onboarding_sessions.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_onboarding_reviews_session_id", "onboarding_reviews", ["session_id"])
    op.create_index("ix_onboarding_reviews_updated_at", "onboarding_reviews", ["updated_at"])

    # The resume list and the review queue filter sessions by status and step events by
    # session; the verification checks look tenants up by CUIT (unique already), e-mail
    # and phone.
    op.create_index("ix_tenants_email", "tenants", ["email"])
    op.create_index("ix_tenants_phone", "tenants", ["phone"])
    op.create_index(
        "ix_onboarding_sessions_verification_status", "onboarding_sessions", ["verification_status"]
    )


def downgrade() -> None:
    op.drop_index("ix_onboarding_sessions_verification_status", "onboarding_sessions")
    op.drop_index("ix_tenants_phone", "tenants")
    op.drop_index("ix_tenants_email", "tenants")
    for table in (
        "onboarding_reviews",
        "tenant_integrations",
        "staff_services",
        "staff_working_hours",
        "location_opening_hours",
    ):
        op.drop_table(table)
