"""The database schema, as a typed SQLAlchemy 2.0 ORM.

Two families of tables live here:

* platform tables (no prefix): what the booking platform itself records about tenants,
  their bookings, payments, subscriptions... The console reads them and, through its
  workflows (onboarding, interventions), writes a few.
* console tables (``console_`` prefix): what the console derives and keeps for itself:
  rollups, metric snapshots, watermarks, job runs, heartbeats and locks.

Every mutable table has ``updated_at``; the incremental refresh reads changes from it.
All timestamps are naive local Argentine time (see ``core.clock``).

This package's ``__init__`` holds the platform tables and the console's shared tables
(metrics, jobs, audit log, CPI). Each workflow or model family keeps its own tables in a
module of this package (``health``, ``churn_models``, ``onboarding_wizard``,
``interventions``), imported at the bottom so ``Base.metadata`` always has every table.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    Numeric,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from core.clock import now
from core.schema.base import Base, write_version

# Money: ARS with cents. Numeric keeps exact sums in PostgreSQL; SQLite stores REAL.
Money = Numeric(14, 2, asdecimal=False)


def _updated_at() -> Mapped[datetime]:
    return mapped_column(DateTime, default=now, onupdate=now, nullable=False, index=True)


# --------------------------------------------------------------------------- platform


class Partner(Base):
    __tablename__ = "partners"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    kind: Mapped[str] = mapped_column(String(30))  # reseller, agency, distributor, influencer
    revenue_share_pct: Mapped[float] = mapped_column(Float)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=now)
    updated_at: Mapped[datetime] = _updated_at()


class Tenant(Base):
    __tablename__ = "tenants"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    legal_name: Mapped[str] = mapped_column(String(160))
    trade_name: Mapped[str] = mapped_column(String(120))
    cuit: Mapped[str] = mapped_column(String(13), unique=True)  # NN-NNNNNNNN-N
    tax_status: Mapped[str] = mapped_column(String(30))
    vertical: Mapped[str] = mapped_column(String(20), index=True)
    plan: Mapped[str] = mapped_column(String(20))
    tier: Mapped[str] = mapped_column(String(20), index=True)
    province: Mapped[str] = mapped_column(String(60), index=True)
    city: Mapped[str] = mapped_column(String(80))
    owner_name: Mapped[str] = mapped_column(String(120))
    email: Mapped[str] = mapped_column(String(160))
    phone: Mapped[str] = mapped_column(String(20))
    signup_date: Mapped[date] = mapped_column(Date, index=True)
    status: Mapped[str] = mapped_column(String(20), default="active")
    churned_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    churn_reason: Mapped[str | None] = mapped_column(String(40), nullable=True)
    partner_id: Mapped[int | None] = mapped_column(ForeignKey("partners.id"), nullable=True)
    cs_owner_id: Mapped[int | None] = mapped_column(ForeignKey("console_users.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=now)
    updated_at: Mapped[datetime] = _updated_at()


class Location(Base):
    __tablename__ = "locations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    address: Mapped[str] = mapped_column(String(200))
    province: Mapped[str] = mapped_column(String(60))
    city: Mapped[str] = mapped_column(String(80))
    latitude: Mapped[float] = mapped_column(Float)
    longitude: Mapped[float] = mapped_column(Float)
    opened_on: Mapped[date] = mapped_column(Date)
    updated_at: Mapped[datetime] = _updated_at()


class Staff(Base):
    __tablename__ = "staff"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"), index=True)
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"))
    full_name: Mapped[str] = mapped_column(String(120))
    role: Mapped[str] = mapped_column(String(40))
    # Minutes a week this person is available for appointments (utilization's denominator).
    weekly_minutes: Mapped[int] = mapped_column(Integer)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    hired_on: Mapped[date] = mapped_column(Date)
    updated_at: Mapped[datetime] = _updated_at()


class Service(Base):
    __tablename__ = "services"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    category: Mapped[str] = mapped_column(String(40))
    duration_min: Mapped[int] = mapped_column(Integer)
    # Current list price (repriced with inflation; ``updated_at`` tells when it was last
    # set); bookings carry the price actually charged when they were booked.
    price_ars: Mapped[float] = mapped_column(Money)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[datetime] = _updated_at()


class Customer(Base):
    """An end customer of one tenant (a client of the barbershop, not of BarberPro)."""

    __tablename__ = "customers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"), index=True)
    full_name: Mapped[str] = mapped_column(String(120))
    phone: Mapped[str | None] = mapped_column(String(20), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=now)
    updated_at: Mapped[datetime] = _updated_at()


class Booking(Base):
    """An appointment. ``start_at`` never changes: a reschedule cancels and rebooks."""

    __tablename__ = "bookings"
    # Covers the refresh's per-(tenant, day) aggregation without touching the table rows.
    __table_args__ = (
        Index(
            "ix_bookings_tenant_start_cover",
            "tenant_id",
            "start_at",
            "status",
            "duration_min",
            "price_ars",
        ),
        # The "today so far" figures count the bookings made since midnight.
        Index("ix_bookings_created_at", "created_at"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"))
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"))
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"))
    service_id: Mapped[int] = mapped_column(ForeignKey("services.id"))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    start_at: Mapped[datetime] = mapped_column(DateTime)
    duration_min: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(12))
    channel: Mapped[str] = mapped_column(String(12))
    price_ars: Mapped[float] = mapped_column(Money)
    updated_at: Mapped[datetime] = _updated_at()


class Payment(Base):
    __tablename__ = "payments"
    # Covers the refresh's per-(tenant, day) aggregation without touching the table rows.
    __table_args__ = (
        Index(
            "ix_payments_tenant_created_cover", "tenant_id", "created_at", "status", "amount_ars"
        ),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"))
    booking_id: Mapped[int | None] = mapped_column(
        ForeignKey("bookings.id"), nullable=True, index=True
    )
    created_at: Mapped[datetime] = mapped_column(DateTime)
    amount_ars: Mapped[float] = mapped_column(Money)
    method: Mapped[str] = mapped_column(String(12))
    status: Mapped[str] = mapped_column(String(14))
    fee_ars: Mapped[float] = mapped_column(Money)
    updated_at: Mapped[datetime] = _updated_at()


class Subscription(Base):
    """One priced period of a tenant's BarberPro plan.

    A plan change, a price update for inflation or a reactivation closes the current
    period and opens a new one, so MRR at any date is the sum of the periods open then.
    """

    __tablename__ = "subscriptions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"), index=True)
    plan: Mapped[str] = mapped_column(String(20))
    tier: Mapped[str] = mapped_column(String(20))
    mrr_ars: Mapped[float] = mapped_column(Money)
    started_on: Mapped[date] = mapped_column(Date)
    ended_on: Mapped[date | None] = mapped_column(Date, nullable=True)  # exclusive
    change_reason: Mapped[str] = mapped_column(String(20))  # new, price_update, upgrade...
    updated_at: Mapped[datetime] = _updated_at()


class Invoice(Base):
    __tablename__ = "invoices"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"), index=True)
    subscription_id: Mapped[int] = mapped_column(ForeignKey("subscriptions.id"))
    period_start: Mapped[date] = mapped_column(Date)
    issued_on: Mapped[date] = mapped_column(Date)
    due_on: Mapped[date] = mapped_column(Date)
    amount_ars: Mapped[float] = mapped_column(Money)
    status: Mapped[str] = mapped_column(String(12))
    attempts: Mapped[int] = mapped_column(Integer, default=1)
    paid_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    updated_at: Mapped[datetime] = _updated_at()


class SupportTicket(Base):
    __tablename__ = "support_tickets"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"), index=True)
    opened_at: Mapped[datetime] = mapped_column(DateTime)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    severity: Mapped[str] = mapped_column(String(10))
    category: Mapped[str] = mapped_column(String(40))
    subject: Mapped[str] = mapped_column(String(200))
    csat: Mapped[int | None] = mapped_column(Integer, nullable=True)  # 1..5
    updated_at: Mapped[datetime] = _updated_at()


class AdminActivity(Base):
    """What a tenant's own staff do in the BarberPro back office: logins and features."""

    __tablename__ = "admin_activity"
    __table_args__ = (Index("ix_admin_activity_tenant_at", "tenant_id", "occurred_at"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"))
    occurred_at: Mapped[datetime] = mapped_column(DateTime)
    kind: Mapped[str] = mapped_column(String(20))  # login, feature
    # online_booking, reminders, payments, reports, marketing, inventory (for kind=feature)
    feature: Mapped[str | None] = mapped_column(String(30), nullable=True)
    updated_at: Mapped[datetime] = _updated_at()


class NpsResponse(Base):
    __tablename__ = "nps_responses"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"), index=True)
    responded_at: Mapped[datetime] = mapped_column(DateTime)
    score: Mapped[int] = mapped_column(Integer)  # 0..10
    comment: Mapped[str | None] = mapped_column(Text, nullable=True)
    updated_at: Mapped[datetime] = _updated_at()


class Referral(Base):
    """A partner's claim on a tenant; ``tenants.partner_id`` holds the winning one."""

    __tablename__ = "referrals"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.id"), index=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"), index=True)
    referred_at: Mapped[datetime] = mapped_column(DateTime)
    attribution: Mapped[str] = mapped_column(String(20))  # first_touch, last_touch
    updated_at: Mapped[datetime] = _updated_at()


# ------------------------------------------------------------- console workflows


class ConsoleUser(Base):
    """A BarberPro employee who uses the console (CS manager, onboarding, executive)."""

    __tablename__ = "console_users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    full_name: Mapped[str] = mapped_column(String(120))
    email: Mapped[str] = mapped_column(String(160), unique=True)
    # executive, cs_manager, cs_lead, onboarding, admin, display (core.auth.roles)
    role: Mapped[str] = mapped_column(String(20))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # argon2id (core.auth.passwords); None for users who sign in only through SSO.
    password_hash: Mapped[str | None] = mapped_column(String(255), nullable=True)
    password_changed_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    updated_at: Mapped[datetime] = _updated_at()


class OnboardingSession(Base):
    __tablename__ = "onboarding_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    business_name: Mapped[str] = mapped_column(String(160))
    vertical: Mapped[str] = mapped_column(String(20))
    tier: Mapped[str] = mapped_column(String(20))
    operator_id: Mapped[int | None] = mapped_column(ForeignKey("console_users.id"), nullable=True)
    started_at: Mapped[datetime] = mapped_column(DateTime)
    current_step: Mapped[str] = mapped_column(String(20))
    # in_progress, activated, abandoned, rejected
    status: Mapped[str] = mapped_column(String(20), index=True)
    # auto_approved, manual_review, approved, rejected; null until review
    verification_status: Mapped[str | None] = mapped_column(String(20), nullable=True)
    verification_reasons: Mapped[str | None] = mapped_column(Text, nullable=True)
    draft: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    tenant_id: Mapped[int | None] = mapped_column(ForeignKey("tenants.id"), nullable=True)
    activated_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    # The draft and this row are one record for optimistic locking: one version for both.
    version: Mapped[int] = write_version()
    updated_at: Mapped[datetime] = _updated_at()


class OnboardingStepEvent(Base):
    __tablename__ = "onboarding_step_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("onboarding_sessions.id"), index=True)
    step: Mapped[str] = mapped_column(String(20))
    entered_at: Mapped[datetime] = mapped_column(DateTime)
    completed_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    updated_at: Mapped[datetime] = _updated_at()


class CsIntervention(Base):
    """A customer-success outreach triggered by a risk signal, or held out at random."""

    __tablename__ = "cs_interventions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"), index=True)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("console_users.id"), nullable=True)
    triggered_at: Mapped[datetime] = mapped_column(DateTime)
    reason: Mapped[str] = mapped_column(String(40))
    playbook: Mapped[str] = mapped_column(String(40))
    # treated or holdout, drawn at random when triggered and never changed.
    arm: Mapped[str] = mapped_column(String(10))
    action: Mapped[str | None] = mapped_column(String(30), nullable=True)
    outcome: Mapped[str | None] = mapped_column(String(30), nullable=True)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    updated_at: Mapped[datetime] = _updated_at()


# ------------------------------------------------------------ console metrics


class _DailyMeasures:
    """The measures both daily rollups carry (see ``core.metrics.rollups``)."""

    bookings: Mapped[int] = mapped_column(Integer, default=0)
    completed: Mapped[int] = mapped_column(Integer, default=0)
    cancelled: Mapped[int] = mapped_column(Integer, default=0)
    no_show: Mapped[int] = mapped_column(Integer, default=0)
    booked_minutes: Mapped[int] = mapped_column(Integer, default=0)
    gmv_ars: Mapped[float] = mapped_column(Money, default=0)
    payments_approved_ars: Mapped[float] = mapped_column(Money, default=0)
    payments_failed: Mapped[int] = mapped_column(Integer, default=0)
    payments_total: Mapped[int] = mapped_column(Integer, default=0)


class RollupTenantDay(_DailyMeasures, Base):
    """Bookings (by appointment start) and payments of one tenant on one local day."""

    __tablename__ = "console_rollup_tenant_day"

    tenant_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True, index=True)
    # Only per tenant (not folded into ``console_rollup_day``): the churn features'
    # measures (``core.models.features``), kept exact by the same refresh.
    online_bookings: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    payments_resolved: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    payments_rejected: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class RollupDay(_DailyMeasures, Base):
    """Platform totals per local day, folded from ``console_rollup_tenant_day``."""

    __tablename__ = "console_rollup_day"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    active_booking_tenants: Mapped[int] = mapped_column(Integer, default=0)


class Watermark(Base):
    """How far the incremental refresh has read each source table."""

    __tablename__ = "console_watermarks"

    source: Mapped[str] = mapped_column(String(40), primary_key=True)
    high_water: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=now, onupdate=now)


class MetricSnapshot(Base):
    """One immutable, versioned set of computed metrics; the UI reads the newest."""

    __tablename__ = "console_metric_snapshots"

    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=now, index=True)
    as_of: Mapped[datetime] = mapped_column(DateTime)
    kind: Mapped[str] = mapped_column(String(20))  # incremental, full_rebuild
    job_run_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    kpis: Mapped[dict] = mapped_column(JSON)


class SnapshotFrame(Base):
    """A table inside a snapshot, stored as Arrow IPC stream bytes."""

    __tablename__ = "console_snapshot_frames"

    version: Mapped[int] = mapped_column(
        ForeignKey("console_metric_snapshots.version", ondelete="CASCADE"), primary_key=True
    )
    name: Mapped[str] = mapped_column(String(60), primary_key=True)
    data: Mapped[bytes] = mapped_column(LargeBinary)


class JobRun(Base):
    __tablename__ = "console_job_runs"
    __table_args__ = (Index("ix_console_job_runs_job_started", "job_id", "started_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    job_id: Mapped[str] = mapped_column(String(60))
    scheduler_id: Mapped[str] = mapped_column(String(80))
    started_at: Mapped[datetime] = mapped_column(DateTime)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    status: Mapped[str] = mapped_column(String(12))  # running, success, failed, skipped
    rows_touched: Mapped[int | None] = mapped_column(Integer, nullable=True)
    detail: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)


class SchedulerHeartbeat(Base):
    __tablename__ = "console_scheduler_heartbeats"

    scheduler_id: Mapped[str] = mapped_column(String(80), primary_key=True)
    hostname: Mapped[str] = mapped_column(String(120))
    pid: Mapped[int] = mapped_column(Integer)
    mode: Mapped[str] = mapped_column(String(20))  # embedded, standalone
    started_at: Mapped[datetime] = mapped_column(DateTime)
    beat_at: Mapped[datetime] = mapped_column(DateTime)


class ConsoleLock(Base):
    """A lease held in the database, so only one scheduler refreshes at a time."""

    __tablename__ = "console_locks"

    name: Mapped[str] = mapped_column(String(60), primary_key=True)
    holder: Mapped[str | None] = mapped_column(String(80), nullable=True)
    expires_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)


class AuditEvent(Base):
    """Who changed what, when, with the row before and after: every console write flow
    (onboarding activation, alert triage, CPI edits) records one event per change."""

    __tablename__ = "console_audit_log"
    __table_args__ = (Index("ix_console_audit_log_entity", "entity", "entity_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    occurred_at: Mapped[datetime] = mapped_column(DateTime, default=now, index=True)
    # The signed-in user who made the change (None only for the scheduler's own rows).
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("console_users.id"), nullable=True)
    action: Mapped[str] = mapped_column(String(60))  # e.g. tenant.activate, alert.snooze
    entity: Mapped[str] = mapped_column(String(40))  # e.g. tenant, alert, cpi_month
    entity_id: Mapped[str] = mapped_column(String(40))
    before: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    after: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    comment: Mapped[str | None] = mapped_column(Text, nullable=True)


class CpiMonth(Base):
    """Monthly consumer-price index used to show ARS in constant pesos of a chosen month.

    ``index_value`` is the price level at the end of the month on any fixed base; only
    ratios between months are used. The bundled series is approximate and says so.
    """

    __tablename__ = "console_cpi_monthly"

    month: Mapped[date] = mapped_column(Date, primary_key=True)  # first day of the month
    index_value: Mapped[float] = mapped_column(Float)
    source: Mapped[str] = mapped_column(String(60))  # bundled, upload, manual
    approximate: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at: Mapped[datetime] = _updated_at()


# Tables owned by one workflow or model family each live in their own module.
from core.schema.api_idempotency import *  # noqa: E402, F403
from core.schema.api_limits import *  # noqa: E402, F403
from core.schema.churn_models import *  # noqa: E402, F403
from core.schema.finance_ledger import *  # noqa: E402, F403
from core.schema.health import *  # noqa: E402, F403
from core.schema.identity import *  # noqa: E402, F403
from core.schema.interventions import *  # noqa: E402, F403
from core.schema.interventions import fix_the_arm  # noqa: E402
from core.schema.job_requests import *  # noqa: E402, F403
from core.schema.onboarding_wizard import *  # noqa: E402, F403
from core.schema.ops import *  # noqa: E402, F403

fix_the_arm(CsIntervention.arm)

# Indexes on shared tables for the wizard's lookups: verification looks tenants up by
# e-mail and phone (CUIT is unique already); the review queue filters sessions by
# verification status. Declared here so the metadata matches migration 0007.
Index("ix_tenants_email", Tenant.email)
Index("ix_tenants_phone", Tenant.phone)
Index("ix_onboarding_sessions_verification_status", OnboardingSession.verification_status)
