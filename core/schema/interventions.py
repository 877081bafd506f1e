"""Churn interventions (issue 6): alerts, their actions, rules, playbooks, notifications.

An *alert* is a call to action on one tenant for one reason (health red, failed invoice...).
At most one alert per (tenant, reason) is open at a time: ``open_key`` holds
``"<tenant>:<reason>"`` while the alert is open or snoozed and NULL once closed, and a
UNIQUE constraint on it (NULLs never collide, on SQLite and PostgreSQL alike) makes a
duplicate impossible even when two rule runs race.

Every alert also writes one row of ``cs_interventions``, the experiment ledger the demo
generator already fills with history (``CsAlert.intervention_id``): the Intervention
Outcomes analysis reads that ledger only, so generated history and live alerts are
analysed the same way. The arm (treated or holdout) is drawn once, at trigger time, on
both rows and never changed (``core.workflows.alerts_holdout`` enforces it).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    event,
)
from sqlalchemy.orm import Mapped, QueryableAttribute, mapped_column
from sqlalchemy.orm.base import NEVER_SET, NO_VALUE

from core.clock import now
from core.schema.base import Base, write_version

__all__ = [
    "ArmChangeError",
    "CsAlert",
    "CsAlertAction",
    "CsAlertRule",
    "CsAlertSettings",
    "CsNotification",
    "CsNotificationPref",
    "CsPlaybook",
]

ALERT_STATUSES = ("open", "snoozed", "closed")
_Money = Numeric(14, 2, asdecimal=False)


def _updated_at() -> Mapped[datetime]:
    return mapped_column(DateTime, default=now, onupdate=now, nullable=False, index=True)


class CsAlert(Base):
    """One call to action: a tenant, a reason, its priority and where the work stands."""

    __tablename__ = "cs_alerts"
    __table_args__ = (
        Index("ix_cs_alerts_status_priority", "status", "priority"),
        Index("ix_cs_alerts_tenant_reason", "tenant_id", "reason"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"))
    reason: Mapped[str] = mapped_column(String(30))
    status: Mapped[str] = mapped_column(String(12), default="open")
    # "<tenant_id>:<reason>" while open or snoozed, NULL once closed: one open per pair.
    open_key: Mapped[str | None] = mapped_column(String(60), unique=True, nullable=True)
    arm: Mapped[str] = mapped_column(String(10))  # treated, holdout: drawn once
    intervention_id: Mapped[int | None] = mapped_column(
        ForeignKey("cs_interventions.id"), unique=True, nullable=True
    )
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("console_users.id"), nullable=True)
    assignee_id: Mapped[int | None] = mapped_column(
        ForeignKey("console_users.id"), nullable=True, index=True
    )
    playbook: Mapped[str] = mapped_column(String(40))
    # The playbook's steps copied at trigger time: [{"text", "done_at", "done_by"}].
    tasks: Mapped[list] = mapped_column(JSON, default=list)
    triggered_at: Mapped[datetime] = mapped_column(DateTime, index=True)
    signal_key: Mapped[str] = mapped_column(String(80))
    signal_detail: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    signal_count: Mapped[int] = mapped_column(Integer, default=1)
    last_signal_at: Mapped[datetime] = mapped_column(DateTime)
    mrr_at_risk: Mapped[float] = mapped_column(_Money, default=0)
    churn_probability: Mapped[float] = mapped_column(Float)
    probability_source: Mapped[str] = mapped_column(String(12))  # model, prior
    priority: Mapped[float] = mapped_column(Float)  # mrr_at_risk x churn_probability, ARS
    snoozed_until: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    snooze_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    escalated_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    escalated_to_id: Mapped[int | None] = mapped_column(
        ForeignKey("console_users.id"), nullable=True
    )
    escalation_note: Mapped[str | None] = mapped_column(Text, nullable=True)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("console_users.id"), nullable=True)
    outcome: Mapped[str | None] = mapped_column(String(30), nullable=True)
    outcome_note: Mapped[str | None] = mapped_column(Text, nullable=True)
    version: Mapped[int] = write_version()
    updated_at: Mapped[datetime] = _updated_at()


class CsAlertAction(Base):
    """Something a CS manager did about an alert: a call, a WhatsApp, a discount..."""

    __tablename__ = "cs_alert_actions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("cs_alerts.id"), index=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    occurred_at: Mapped[datetime] = mapped_column(DateTime)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("console_users.id"), nullable=True)
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
    updated_at: Mapped[datetime] = _updated_at()


class CsAlertRule(Base):
    """A rule's stored configuration; a rule without a row runs with its code defaults."""

    __tablename__ = "cs_alert_rules"

    rule: Mapped[str] = mapped_column(String(30), primary_key=True)  # the alert reason
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    threshold: Mapped[float | None] = mapped_column(Float, nullable=True)
    days: Mapped[int | None] = mapped_column(Integer, nullable=True)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("console_users.id"), nullable=True)
    updated_at: Mapped[datetime] = _updated_at()


class CsAlertSettings(Base):
    """Settings of the whole alert programme; one row (id 1), code defaults until saved."""

    __tablename__ = "cs_alert_settings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    holdout_share: Mapped[float] = mapped_column(Float)
    notify_min_priority: Mapped[float] = mapped_column(Float)
    reopen_cooldown_days: Mapped[int] = mapped_column(Integer)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("console_users.id"), nullable=True)
    updated_at: Mapped[datetime] = _updated_at()


class CsPlaybook(Base):
    """The task list a reason's alerts start with; code defaults until edited in the app."""

    __tablename__ = "cs_playbooks"

    reason: Mapped[str] = mapped_column(String(30), primary_key=True)
    playbook: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(120))
    steps: Mapped[list] = mapped_column(JSON)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("console_users.id"), nullable=True)
    updated_at: Mapped[datetime] = _updated_at()


class CsNotificationPref(Base):
    """Where a console user wants new high-priority alerts of their book (optional)."""

    __tablename__ = "cs_notification_prefs"

    user_id: Mapped[int] = mapped_column(ForeignKey("console_users.id"), primary_key=True)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    webhook_url: Mapped[str | None] = mapped_column(String(500), nullable=True)
    email: Mapped[str | None] = mapped_column(String(160), nullable=True)
    updated_at: Mapped[datetime] = _updated_at()


class CsNotification(Base):
    """The outbox: one message to deliver, retried with backoff until it goes or gives up."""

    __tablename__ = "cs_notification_outbox"
    __table_args__ = (Index("ix_cs_notification_outbox_due", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("cs_alerts.id"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("console_users.id"), nullable=True)
    channel: Mapped[str] = mapped_column(String(10))  # webhook, email
    target: Mapped[str] = mapped_column(String(500))
    payload: Mapped[dict] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(12), default="pending")  # delivered, failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=now)
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)


# ------------------------------------------------------------- the arm is fixed


class ArmChangeError(RuntimeError):
    """An attempt to change the treated/holdout arm of an alert or intervention."""


def _arm_is_fixed(target: object, value: object, oldvalue: object, _initiator: object) -> object:
    # The randomized holdout is only an experiment if nobody can move a tenant between
    # arms after the draw; the ORM refuses, whatever code path tries.
    if oldvalue not in (None, NO_VALUE, NEVER_SET) and value != oldvalue:
        raise ArmChangeError(
            f"the arm of {type(target).__name__} is drawn once at trigger time and never "
            f"changes ({oldvalue!r} -> {value!r} refused)"
        )
    return value


def fix_the_arm(arm: QueryableAttribute[Any]) -> None:
    """Refuse any change of ``arm`` once drawn (``core.schema`` applies it to
    ``CsIntervention.arm``, whose table lives there)."""
    event.listen(arm, "set", _arm_is_fixed, retval=True, active_history=True)


fix_the_arm(CsAlert.arm)
