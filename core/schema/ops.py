"""Production operations (issue 16): monitor results, incidents, probes and page timings.

* ``ops_monitor_results``: every evaluation of every monitor, a time series (kept
  :data:`core.ops.watchdog.RESULTS_KEPT_DAYS` days); ``ops_monitor_states`` is its head,
  one row per monitor, which the System status page reads without scanning the series.
* ``ops_monitor_overrides``: an admin's thresholds, window, flapping guard or channel
  for one monitor, over the declaration in ``core.ops.monitors`` (audited, versioned).
* ``ops_incidents``: a monitor out of ``ok`` long enough (the flapping guard) opens one;
  at most one open incident per monitor; back to ``ok`` closes it.
* ``ops_maintenance_windows``: while one is on, incidents of the monitors it covers do
  not notify (all monitors when ``monitor_id`` is NULL).
* ``ops_notification_outbox``: messages to the ops channel, delivered by the watchdog.
* ``ops_probes``: one row per component per minute it was up (uptime = the minutes
  with a row); the watchdog also records the snapshot age of each minute there
  (component ``freshness``, ``value`` seconds) for the freshness SLO.
* ``ops_page_timings``: page render times, aggregated in memory by each console process
  and written once a minute as a histogram per page.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, DateTime, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from core.schema.base import Base, write_version

__all__ = [
    "OpsIncident",
    "OpsMaintenanceWindow",
    "OpsMonitorOverride",
    "OpsMonitorResult",
    "OpsMonitorState",
    "OpsNotification",
    "OpsPageTiming",
    "OpsProbe",
]


class OpsMonitorResult(Base):
    __tablename__ = "ops_monitor_results"
    __table_args__ = (Index("ix_ops_monitor_results_monitor_checked", "monitor_id", "checked_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    monitor_id: Mapped[str] = mapped_column(String(60))
    checked_at: Mapped[datetime] = mapped_column(DateTime, index=True)
    state: Mapped[str] = mapped_column(String(10))  # ok, warning, critical, unknown
    value: Mapped[float | None] = mapped_column(Float, nullable=True)
    evidence: Mapped[str] = mapped_column(Text)


class OpsMonitorState(Base):
    __tablename__ = "ops_monitor_states"

    monitor_id: Mapped[str] = mapped_column(String(60), primary_key=True)
    # The state the page shows: changes only after the flapping guard agrees.
    state: Mapped[str] = mapped_column(String(10))
    since: Mapped[datetime] = mapped_column(DateTime)
    # The latest evaluation's own state, and how many evaluations in a row gave it.
    observed: Mapped[str] = mapped_column(String(10))
    streak: Mapped[int] = mapped_column(Integer)
    value: Mapped[float | None] = mapped_column(Float, nullable=True)
    evidence: Mapped[str] = mapped_column(Text)
    checked_at: Mapped[datetime] = mapped_column(DateTime)
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("ops_incidents.id"), nullable=True)


class OpsMonitorOverride(Base):
    __tablename__ = "ops_monitor_overrides"

    monitor_id: Mapped[str] = mapped_column(String(60), primary_key=True)
    warning: Mapped[float | None] = mapped_column(Float, nullable=True)
    critical: Mapped[float | None] = mapped_column(Float, nullable=True)
    window_s: Mapped[float | None] = mapped_column(Float, nullable=True)
    consecutive: Mapped[int | None] = mapped_column(Integer, nullable=True)
    channel: Mapped[str | None] = mapped_column(String(10), nullable=True)  # ops, none
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("console_users.id"), nullable=True)
    updated_at: Mapped[datetime] = mapped_column(DateTime)
    version: Mapped[int] = write_version()


class OpsIncident(Base):
    __tablename__ = "ops_incidents"
    __table_args__ = (Index("ix_ops_incidents_monitor_status", "monitor_id", "status"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    monitor_id: Mapped[str] = mapped_column(String(60))
    severity: Mapped[str] = mapped_column(String(10))  # warning, critical (the worst seen)
    status: Mapped[str] = mapped_column(String(12))  # open, acknowledged, resolved
    opened_at: Mapped[datetime] = mapped_column(DateTime, index=True)
    evidence: Mapped[str] = mapped_column(Text)  # the evidence when it opened
    acknowledged_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    acknowledged_by: Mapped[int | None] = mapped_column(
        ForeignKey("console_users.id"), nullable=True
    )
    silenced_until: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    # Closed by the monitor going back to ok (resolved_by NULL) or by a person, with a note.
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    resolved_by: Mapped[int | None] = mapped_column(ForeignKey("console_users.id"), nullable=True)
    resolution_note: Mapped[str | None] = mapped_column(Text, nullable=True)
    version: Mapped[int] = write_version()


class OpsMaintenanceWindow(Base):
    __tablename__ = "ops_maintenance_windows"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    monitor_id: Mapped[str | None] = mapped_column(String(60), nullable=True)  # NULL: all
    starts_at: Mapped[datetime] = mapped_column(DateTime)
    ends_at: Mapped[datetime] = mapped_column(DateTime, index=True)
    reason: Mapped[str] = mapped_column(Text)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("console_users.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)


class OpsNotification(Base):
    __tablename__ = "ops_notification_outbox"
    __table_args__ = (Index("ix_ops_notification_outbox_due", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("ops_incidents.id"), index=True)
    event: Mapped[str] = mapped_column(String(12))  # opened, escalated, resolved
    channel: Mapped[str] = mapped_column(String(10))  # webhook, email
    payload: Mapped[dict] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(12), default="pending")  # delivered, failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)


class OpsProbe(Base):
    __tablename__ = "ops_probes"

    component: Mapped[str] = mapped_column(String(20), primary_key=True)
    minute: Mapped[datetime] = mapped_column(DateTime, primary_key=True)
    value: Mapped[float | None] = mapped_column(Float, nullable=True)


class OpsPageTiming(Base):
    __tablename__ = "ops_page_timings"
    __table_args__ = (Index("ix_ops_page_timings_minute", "minute"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    minute: Mapped[datetime] = mapped_column(DateTime)
    page: Mapped[str] = mapped_column(String(60))
    process: Mapped[str] = mapped_column(String(80))  # hostname:pid of the console process
    renders: Mapped[int] = mapped_column(Integer)
    total_ms: Mapped[float] = mapped_column(Float)
    max_ms: Mapped[float] = mapped_column(Float)
    # Render counts per bucket of core.ops.timings.BUCKET_EDGES_MS (the last: above all).
    buckets: Mapped[list] = mapped_column(JSON)
    # Renders that raised (the incident path): timed too, and counted apart.
    failed: Mapped[int] = mapped_column(Integer, default=0)
