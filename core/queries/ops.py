"""What the System status page (and the coming API) reads: the stored operations state.

:func:`status_version` is one cheap round trip (a handful of indexed aggregates) that
changes whenever anything the page shows changes: a new watchdog round, an incident
opened or changed by a command, an override, a maintenance window. Pages cache the
:func:`system_status` read model per version, like dashboards cache per snapshot
version. Nothing here measures anything: monitors are evaluated by the watchdog
(``core.ops.watchdog``); this module reads what it stored.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import ColumnElement, Float, Integer, and_, cast, func, or_, select
from sqlalchemy.orm import Session

from core.config import Settings
from core.i18n import N_, gettext
from core.ops.catalog import COMPONENTS, MONITORS
from core.ops.incidents import OPEN_STATUSES
from core.ops.monitors import UNIT_LABELS, Monitor, evidence_text, limits_for, threshold_text
from core.ops.status_types import (
    STATE_RANK,
    UNKNOWN,
    ComponentStatus,
    IncidentView,
    MaintenanceView,
    MonitorView,
    ReadinessItemView,
    ReadinessView,
    SloView,
    SystemStatus,
    UptimeView,
)
from core.ops.uptime import freshness_slo, render_slo, uptime

if TYPE_CHECKING:
    from core.ops.readiness import Readiness
from core.schema import (
    ConsoleUser,
    OpsIncident,
    OpsMaintenanceWindow,
    OpsMonitorOverride,
    OpsMonitorResult,
    OpsMonitorState,
)

SPARKLINE_HOURS = 24
SPARKLINE_POINTS = 96  # one per 15 minutes
RESOLVED_SHOWN_DAYS = 7
RESOLVED_SHOWN = 20
UPCOMING_MAINTENANCE_DAYS = 14
ALL_MONITORS = N_("All monitors")

__all__ = [
    "SPARKLINE_POINTS",
    "launch_readiness",
    "monitor_view",
    "sparklines",
    "status_version",
    "system_status",
]


def status_version(*, session: Session, at: datetime) -> tuple[object, ...]:
    """A key that changes whenever anything :func:`system_status` shows changes.

    The newest evaluation (every watchdog round moves it), the incidents' count and
    summed ``version`` (every command bumps it), the overrides' and maintenance windows'
    counts and newest change, and how many windows are still on at ``at`` (ending one
    early changes it).
    """
    row = session.execute(
        select(
            select(func.max(OpsMonitorResult.checked_at)).scalar_subquery(),
            select(func.count(OpsIncident.id)).scalar_subquery(),
            select(func.coalesce(func.sum(OpsIncident.version), 0)).scalar_subquery(),
            select(func.count()).select_from(OpsMonitorOverride).scalar_subquery(),
            select(func.max(OpsMonitorOverride.updated_at)).scalar_subquery(),
            select(func.coalesce(func.sum(OpsMonitorOverride.version), 0)).scalar_subquery(),
            select(func.count(OpsMaintenanceWindow.id)).scalar_subquery(),
            select(func.count(OpsMaintenanceWindow.id))
            .where(OpsMaintenanceWindow.ends_at > at)
            .scalar_subquery(),
        )
    ).one()
    return tuple(str(v) if isinstance(v, datetime) else v for v in row)


def _bucket(session: Session, start: datetime, points: int, hours: int) -> ColumnElement[int]:
    """The index (0..points-1) of the equal slice of ``hours`` after ``start`` a result is in."""
    slice_s = hours * 3600 / points
    seconds: ColumnElement[Any]
    if session.get_bind().dialect.name == "postgresql":
        seconds = func.extract("epoch", OpsMonitorResult.checked_at - start)
    else:  # SQLite stores text timestamps: julianday gives days as a real number
        seconds = (func.julianday(OpsMonitorResult.checked_at) - func.julianday(start)) * 86400.0
    return cast(func.floor(cast(seconds, Float) / slice_s), Integer)


def sparklines(
    *,
    session: Session,
    at: datetime,
    hours: int = SPARKLINE_HOURS,
    points: int = SPARKLINE_POINTS,
) -> dict[str, tuple[float | None, ...]]:
    """Each monitor's values over the last ``hours``, averaged into ``points`` slices.

    Downsampled in SQL (one GROUP BY over the indexed ``checked_at`` range), so a day of
    30-second results (2,880 per monitor) comes back as at most ``points`` numbers per
    monitor, oldest first; a slice without a value is None.

    Parameters
    ----------
    session
        A read session.
    at
        The end of the window (now).
    hours, points
        The window's length and how many slices it is cut into.

    Returns
    -------
    dict
        ``{monitor_id: (value or None, ...)}`` with ``points`` entries each, for the
        monitors that have at least one value in the window.
    """
    start = at - timedelta(hours=hours)
    bucket = _bucket(session, start, points, hours).label("bucket")
    rows = session.execute(
        select(OpsMonitorResult.monitor_id, bucket, func.avg(OpsMonitorResult.value))
        .where(
            OpsMonitorResult.checked_at > start,
            OpsMonitorResult.checked_at <= at,
            OpsMonitorResult.value.is_not(None),
        )
        .group_by(OpsMonitorResult.monitor_id, bucket)
    ).all()
    series: dict[str, list[float | None]] = {}
    for monitor_id, index, value in rows:
        line = series.setdefault(monitor_id, [None] * points)
        if index is not None and 0 <= int(index) < points:
            line[int(index)] = float(value)
    return {monitor_id: tuple(line) for monitor_id, line in series.items()}


def _names(session: Session, ids: Iterable[int | None]) -> dict[int, str]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    rows = session.execute(
        select(ConsoleUser.id, ConsoleUser.full_name).where(ConsoleUser.id.in_(wanted))
    )
    return {user_id: name for user_id, name in rows}


def _monitor_views(
    session: Session, monitors: tuple[Monitor, ...], *, at: datetime, locale: str
) -> list[MonitorView]:
    states = {s.monitor_id: s for s in session.scalars(select(OpsMonitorState))}
    overrides = {o.monitor_id: o for o in session.scalars(select(OpsMonitorOverride))}
    lines = sparklines(session=session, at=at)
    labels = dict(COMPONENTS)
    views = []
    for monitor in monitors:
        state, override = states.get(monitor.monitor_id), overrides.get(monitor.monitor_id)
        limits = limits_for(monitor, override)
        views.append(
            MonitorView(
                monitor_id=monitor.monitor_id,
                title=monitor.title_text(locale),
                component=monitor.component,
                component_label=gettext(labels.get(monitor.component, monitor.component), locale),
                measures=gettext(monitor.measures, locale),
                state=state.state if state is not None else UNKNOWN,
                since=state.since if state is not None else None,
                observed=state.observed if state is not None else None,
                value=state.value if state is not None else None,
                unit=monitor.unit,
                unit_label=gettext(UNIT_LABELS.get(monitor.unit, monitor.unit), locale),
                direction=monitor.direction,
                warning=limits.warning,
                critical=limits.critical,
                window_s=limits.window_s,
                consecutive=limits.consecutive,
                channel=limits.channel,
                thresholds=threshold_text(monitor, limits, locale),
                declared_warning=monitor.warning,
                declared_critical=monitor.critical,
                declared_window_s=monitor.window_s,
                declared_consecutive=monitor.consecutive,
                overridden=override is not None,
                override_version=override.version if override is not None else 0,
                runbook=gettext(monitor.runbook, locale),
                evidence=evidence_text(state.evidence, locale) if state is not None else "",
                checked_at=state.checked_at if state is not None else None,
                sparkline=lines.get(monitor.monitor_id, ()),
            )
        )
    return views


def monitor_view(
    *, session: Session, monitor_id: str, at: datetime, locale: str
) -> MonitorView | None:
    """One declared monitor as the System status page's table shows it (None: no such id).

    Its state, the limits in force (declaration merged with the admin's override) and the
    declared ones, the override's version and its 24 h sparkline.
    """
    monitor = next((m for m in MONITORS if m.monitor_id == monitor_id), None)
    if monitor is None:
        return None
    (view,) = _monitor_views(session, (monitor,), at=at, locale=locale)
    return view


def _pending(monitor: MonitorView) -> bool:
    observed = STATE_RANK.get(monitor.observed or UNKNOWN, -1)
    return observed > STATE_RANK.get(monitor.state, 0)


def _component_views(monitors: list[MonitorView], *, locale: str) -> list[ComponentStatus]:
    views = []
    for component, label in COMPONENTS:
        own = [m for m in monitors if m.component == component]
        evaluated = [m for m in own if m.state != UNKNOWN]
        if not evaluated:
            views.append(
                ComponentStatus(
                    component, gettext(label, locale), UNKNOWN, None, None, "", "", "", len(own), 0
                )
            )
            continue
        state = max((m.state for m in evaluated), key=lambda s: STATE_RANK.get(s, 0))
        in_state = [m for m in evaluated if m.state == state]
        if STATE_RANK[state] > 0:
            # Failing since the first of its monitors in the worst state started failing.
            worst = min(in_state, key=lambda m: m.since or datetime.max)
            since = worst.since
        else:
            # Healthy since the last of its monitors came back; a monitor whose latest
            # check failed (not confirmed yet) is the one worth reading.
            pending = [m for m in in_state if _pending(m)]
            worst = max(pending or in_state, key=lambda m: m.since or datetime.min)
            since = max(m.since or datetime.min for m in in_state)
        views.append(
            ComponentStatus(
                component=component,
                label=gettext(label, locale),
                state=state,
                since=since,
                monitor_id=worst.monitor_id,
                monitor_title=worst.title,
                evidence=worst.evidence,
                runbook=worst.runbook if STATE_RANK[state] > 0 else "",
                monitors=len(own),
                failing=sum(1 for m in evaluated if STATE_RANK.get(m.state, 0) > 0),
                pending=sum(1 for m in evaluated if _pending(m)),
            )
        )
    return views


def _incident_views(
    session: Session,
    rows: list[OpsIncident],
    monitors: dict[str, MonitorView],
    *,
    locale: str,
    catalogue: dict[str, Monitor],
) -> list[IncidentView]:
    names = _names(session, [i.acknowledged_by for i in rows] + [i.resolved_by for i in rows])
    views = []
    for incident in rows:
        monitor = catalogue.get(incident.monitor_id)
        shown = monitors.get(incident.monitor_id)
        views.append(
            IncidentView(
                incident_id=incident.id,
                monitor_id=incident.monitor_id,
                monitor_title=monitor.title_text(locale) if monitor else incident.monitor_id,
                component=monitor.component if monitor else "",
                severity=incident.severity,
                status=incident.status,
                opened_at=incident.opened_at,
                evidence=evidence_text(incident.evidence, locale),
                runbook=gettext(monitor.runbook, locale) if monitor else "",
                version=incident.version,
                monitor_state=shown.state if shown else UNKNOWN,
                acknowledged_at=incident.acknowledged_at,
                acknowledged_by=names.get(incident.acknowledged_by or -1),
                silenced_until=incident.silenced_until,
                resolved_at=incident.resolved_at,
                resolved_by=names.get(incident.resolved_by or -1),
                resolution_note=incident.resolution_note,
            )
        )
    return views


def _maintenance_views(
    session: Session, catalogue: dict[str, Monitor], *, at: datetime, locale: str
) -> list[MaintenanceView]:
    rows = list(
        session.scalars(
            select(OpsMaintenanceWindow)
            .where(
                OpsMaintenanceWindow.ends_at > at,
                OpsMaintenanceWindow.starts_at <= at + timedelta(days=UPCOMING_MAINTENANCE_DAYS),
            )
            .order_by(OpsMaintenanceWindow.starts_at, OpsMaintenanceWindow.id)
        )
    )
    names = _names(session, [w.created_by for w in rows])
    views = []
    for window in rows:
        monitor = catalogue.get(window.monitor_id or "")
        scope = (
            monitor.title_text(locale)
            if monitor
            else window.monitor_id or gettext(ALL_MONITORS, locale)
        )
        views.append(
            MaintenanceView(
                window_id=window.id,
                monitor_id=window.monitor_id,
                scope=scope,
                starts_at=window.starts_at,
                ends_at=window.ends_at,
                reason=window.reason,
                created_by=names.get(window.created_by or -1),
                active=window.starts_at <= at,
            )
        )
    return views


UPTIME_COMPONENTS = (
    ("console", N_("Console")),
    ("scheduler", N_("Scheduler")),
    ("watchdog", N_("Watchdog")),
)
UPTIME_WINDOWS = (
    ("24h", timedelta(hours=24)),
    ("7d", timedelta(days=7)),
    ("30d", timedelta(days=30)),
)
_log = logging.getLogger(__name__)


def _uptime_views(session: Session, *, at: datetime, locale: str) -> list[UptimeView]:
    views = []
    for component, label in UPTIME_COMPONENTS:
        for name, window in UPTIME_WINDOWS:
            found = uptime(session, component, window=window, at=at)
            longest = sorted(found.downtime, key=lambda d: d[0] - d[1])[:5]
            views.append(
                UptimeView(
                    component=component,
                    label=gettext(label, locale),
                    window=name,
                    minutes_observed=found.minutes_observed,
                    minutes_up=found.minutes_up,
                    downtime_minutes=found.downtime_minutes,
                    percent=found.percent,
                    downtime=tuple(longest),
                )
            )
    return views


def _slo_views(session: Session, *, at: datetime, locale: str) -> list[SloView]:
    views = []
    for name, window in (("24h", timedelta(hours=24)), ("7d", timedelta(days=7))):
        for slo in (
            freshness_slo(session, window=window, at=at),
            render_slo(session, window=window, at=at),
        ):
            views.append(
                SloView(
                    slo_id=slo.id,
                    objective=gettext(slo.objective, locale),
                    window=name,
                    target=slo.target,
                    measured=slo.measured,
                    observed=slo.observed,
                    budget_total=slo.budget_total,
                    budget_used=float(slo.budget_used),
                    budget_left=slo.budget_left,
                    budget_left_fraction=slo.budget_left_fraction,
                    met=slo.met,
                    indicator=slo.indicator,
                    indicator_label=gettext(slo.indicator_label, locale),
                )
            )
    return views


def launch_readiness(*, session: Session, settings: Settings, at: datetime) -> Readiness:
    """The launch-readiness score and its judged items, as the System status page shows it.

    The hardening part is the newest stored report (an admin ran the audit), else the
    audit of this machine now (without the vulnerability scan).

    Parameters
    ----------
    session
        A read session.
    settings
        The console's settings (where reports and test results are).
    at
        The moment judged (now).
    """
    from core.ops.evidence import running_commit
    from core.ops.hardening import latest_report, reports_dir
    from core.ops.readiness import audit_now, readiness

    hardening = latest_report(reports_dir(settings)) or audit_now(settings, session)
    return readiness(
        session, settings=settings, at=at, hardening=hardening, commit=running_commit()
    )


def _readiness_view(
    session: Session, settings: Settings, *, at: datetime, locale: str
) -> ReadinessView:
    judged = launch_readiness(session=session, settings=settings, at=at)
    status = {"pass": "pass", "partial": "warn"}
    return ReadinessView(
        score=judged.score,
        items=tuple(
            ReadinessItemView(
                item_id=item.id,
                title=gettext(item.title, locale),
                status=status.get(item.status, "fail"),
                weight=item.weight,
                evidence=item.evidence_text(lambda m: gettext(m, locale)),
                owner=gettext(item.owner, locale),
                fix=gettext(item.fix, locale),
            )
            for item in judged.items
        ),
    )


def system_status(
    *,
    session: Session,
    at: datetime,
    locale: str,
    watchdog_interval_s: float,
    monitors: tuple[Monitor, ...] = MONITORS,
    settings: Settings | None = None,
) -> SystemStatus:
    """Everything the System status page shows, from stored results only.

    Parameters
    ----------
    session
        A read session.
    at
        Now: the end of the sparklines' and uptime windows; which maintenance windows are on.
    locale
        The reader's locale: titles, evidence and runbooks are translated here.
    watchdog_interval_s
        ``Settings.watchdog_interval_s``, to tell a watchdog that stopped.
    monitors
        The declared monitors (all of them, by default).
    settings
        With them, also uptime (24 h / 7 d / 30 d), the two SLOs (24 h and 7 d) and the
        launch-readiness score; a part that cannot be computed is left out and named in
        ``notes`` rather than failing the whole page.

    Returns
    -------
    SystemStatus
        Components worst first within the declared order, open incidents newest first,
        the incidents resolved in the last week, every monitor with its sparkline, the
        current and upcoming maintenance windows, uptime, SLOs and the readiness score.
    """
    version = status_version(session=session, at=at)
    catalogue = {m.monitor_id: m for m in monitors}
    monitor_views = _monitor_views(session, monitors, at=at, locale=locale)
    by_id = {m.monitor_id: m for m in monitor_views}
    open_rows = list(
        session.scalars(
            select(OpsIncident)
            .where(OpsIncident.status.in_(OPEN_STATUSES))
            .order_by(OpsIncident.opened_at.desc(), OpsIncident.id.desc())
        )
    )
    resolved_rows = list(
        session.scalars(
            select(OpsIncident)
            .where(
                OpsIncident.status == "resolved",
                or_(
                    OpsIncident.resolved_at >= at - timedelta(days=RESOLVED_SHOWN_DAYS),
                    and_(
                        OpsIncident.resolved_at.is_(None),
                        OpsIncident.opened_at >= at - timedelta(days=RESOLVED_SHOWN_DAYS),
                    ),
                ),
            )
            .order_by(OpsIncident.resolved_at.desc(), OpsIncident.id.desc())
            .limit(RESOLVED_SHOWN)
        )
    )
    newest = session.scalar(select(func.max(OpsMonitorState.checked_at)))
    uptime_views: list[UptimeView] = []
    slo_views: list[SloView] = []
    readiness_view: ReadinessView | None = None
    notes: list[str] = []
    if settings is not None:
        for part, compute in (
            ("uptime", lambda: uptime_views.extend(_uptime_views(session, at=at, locale=locale))),
            ("slos", lambda: slo_views.extend(_slo_views(session, at=at, locale=locale))),
        ):
            try:
                compute()
            except Exception as exc:  # one part must not hide the rest of the status
                _log.exception("system status: %s failed", part)
                notes.append(f"{part}: {exc}")
        try:
            readiness_view = _readiness_view(session, settings, at=at, locale=locale)
        except Exception as exc:
            _log.exception("system status: readiness failed")
            notes.append(f"readiness: {exc}")
    return SystemStatus(
        built_at=at,
        locale=locale,
        version=version,
        newest_check=newest,
        watchdog_interval_s=watchdog_interval_s,
        components=tuple(_component_views(monitor_views, locale=locale)),
        open_incidents=tuple(
            _incident_views(session, open_rows, by_id, locale=locale, catalogue=catalogue)
        ),
        resolved_incidents=tuple(
            _incident_views(session, resolved_rows, by_id, locale=locale, catalogue=catalogue)
        ),
        monitors=tuple(monitor_views),
        maintenance=tuple(_maintenance_views(session, catalogue, at=at, locale=locale)),
        uptime=tuple(uptime_views),
        slos=tuple(slo_views),
        readiness=readiness_view,
        notes=tuple(notes),
    )
