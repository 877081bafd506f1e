"""What the System status page shows, as plain frozen dataclasses (no SQL, no Streamlit).

``core.queries.ops.system_status`` fills a :class:`SystemStatus` from the stored monitor
states, results, incidents, maintenance windows, probes and readiness; the pure builder
``dashboards.system_status`` turns it into tiles, tables and figures; the coming API
serialises it. Texts (titles, evidence, runbooks) are already in the reader's locale:
the read model is built per locale, so a builder never needs the monitor catalogue
(which imports the measures and the schema).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

OK, WARNING, CRITICAL, UNKNOWN = "ok", "warning", "critical", "unknown"
# How bad a state is, for the worst-of rules (unknown: not evaluated, sorts below ok).
STATE_RANK = {UNKNOWN: -1, OK: 0, WARNING: 1, CRITICAL: 2}
# The watchdog is called "not running" when its newest evaluation is older than this many
# intervals (two rounds may be missed: a slow round, a lease changing hands).
WATCHDOG_STALE_INTERVALS = 3


@dataclass(frozen=True)
class ComponentStatus:
    """One tile: a component's worst monitor state, that monitor's evidence, since when.

    ``since`` is when the component entered its state: for a failing component, the
    earliest ``since`` among its monitors in the worst state; for a healthy one, the
    latest return to ok of any of its monitors.
    """

    component: str
    label: str
    state: str
    since: datetime | None
    monitor_id: str | None
    monitor_title: str
    evidence: str
    runbook: str
    monitors: int
    failing: int
    # Monitors whose latest check failed but the flapping guard has not confirmed yet.
    pending: int = 0


@dataclass(frozen=True)
class IncidentView:
    incident_id: int
    monitor_id: str
    monitor_title: str
    component: str
    severity: str
    status: str  # open, acknowledged, resolved
    opened_at: datetime
    evidence: str
    runbook: str
    version: int
    monitor_state: str  # the monitor's state now
    acknowledged_at: datetime | None = None
    acknowledged_by: str | None = None
    silenced_until: datetime | None = None
    resolved_at: datetime | None = None
    resolved_by: str | None = None  # None with resolved_at: the monitor recovered itself
    resolution_note: str | None = None  # hostile text: escape it where markdown shows it

    def silenced(self, at: datetime) -> bool:
        return self.silenced_until is not None and self.silenced_until > at


@dataclass(frozen=True)
class MonitorView:
    """One row of the monitors table, with the limits in force and the declared ones."""

    monitor_id: str
    title: str
    component: str
    component_label: str
    measures: str
    state: str  # unknown: never evaluated
    since: datetime | None
    observed: str | None  # the latest evaluation's own state (before the flapping guard)
    value: float | None
    unit: str
    unit_label: str
    direction: str  # above, below
    warning: float | None
    critical: float | None
    window_s: float
    consecutive: int
    channel: str
    thresholds: str  # "≥ 30 / ≥ 60 seconds"
    declared_warning: float | None
    declared_critical: float | None
    declared_window_s: float
    declared_consecutive: int
    overridden: bool
    override_version: int  # 0: no override stored
    runbook: str
    evidence: str
    checked_at: datetime | None
    # Up to SPARKLINE_POINTS averages of the last 24 h, oldest first (None: no value).
    sparkline: tuple[float | None, ...] = ()


@dataclass(frozen=True)
class MaintenanceView:
    window_id: int
    monitor_id: str | None  # None: every monitor
    scope: str  # the monitor's title, or "All monitors"
    starts_at: datetime
    ends_at: datetime
    reason: str  # hostile text
    created_by: str | None
    active: bool


@dataclass(frozen=True)
class UptimeView:
    """A component's availability over one window, in minutes."""

    component: str
    label: str
    window: str  # 24h, 7d, 30d
    minutes_observed: int
    minutes_up: int
    downtime_minutes: int
    percent: float | None  # None: nothing observed yet
    # The longest downtime runs, (start, end exclusive), newest first.
    downtime: tuple[tuple[datetime, datetime], ...] = ()


@dataclass(frozen=True)
class SloView:
    slo_id: str
    objective: str
    window: str
    target: float  # 0.99
    measured: float | None  # the good fraction
    observed: int  # minutes (freshness) or renders (page render) counted
    budget_total: float
    budget_used: float
    budget_left: float
    budget_left_fraction: float | None
    met: bool
    indicator: float | None
    indicator_label: str


@dataclass(frozen=True)
class ReadinessItemView:
    item_id: str
    title: str
    status: str  # pass, warn, fail
    weight: float
    evidence: str
    owner: str  # who should fix it
    fix: str


@dataclass(frozen=True)
class ReadinessView:
    score: float  # 0..100
    items: tuple[ReadinessItemView, ...]

    @property
    def blocking(self) -> tuple[ReadinessItemView, ...]:
        """What stands between the score and 100, heaviest first."""
        return tuple(sorted((i for i in self.items if i.status != "pass"), key=lambda i: -i.weight))


@dataclass(frozen=True)
class SystemStatus:
    """Everything the System status page shows, read from stored results only."""

    built_at: datetime
    locale: str
    version: tuple[object, ...]
    newest_check: datetime | None
    watchdog_interval_s: float
    components: tuple[ComponentStatus, ...]
    open_incidents: tuple[IncidentView, ...]
    resolved_incidents: tuple[IncidentView, ...]
    monitors: tuple[MonitorView, ...]
    maintenance: tuple[MaintenanceView, ...]
    uptime: tuple[UptimeView, ...] = ()
    slos: tuple[SloView, ...] = ()
    readiness: ReadinessView | None = None
    notes: tuple[str, ...] = field(default=())  # parts that could not be read, and why

    @property
    def overall(self) -> str:
        """The worst component state (unknown when nothing was ever evaluated)."""
        states = [c.state for c in self.components]
        return max(states, key=lambda s: STATE_RANK.get(s, 0), default=UNKNOWN)

    def watchdog_stale(self, at: datetime) -> bool:
        """Whether the monitors have not been evaluated for WATCHDOG_STALE_INTERVALS rounds."""
        if self.newest_check is None:
            return True
        limit = WATCHDOG_STALE_INTERVALS * self.watchdog_interval_s
        return (at - self.newest_check).total_seconds() > limit

    def monitor(self, monitor_id: str) -> MonitorView | None:
        return next((m for m in self.monitors if m.monitor_id == monitor_id), None)
