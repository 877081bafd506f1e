"""System status: component tiles, incidents, the monitors table, uptime and SLO budgets.

Pure builders from a :class:`~core.ops.status_types.SystemStatus` (read by
``core.queries.ops``): no Streamlit, no SQL. Texts in the read model are already in the
reader's locale; what users wrote (resolution notes, maintenance reasons) and what
monitors quote (error messages) is escaped here wherever it ends up in markdown.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import pandas as pd
import plotly.graph_objects as go

from core import formatting as fmt
from core.i18n import N_, translator
from core.ops.status_types import (
    CRITICAL,
    OK,
    STATE_RANK,
    UNKNOWN,
    WARNING,
    ComponentStatus,
    IncidentView,
    MaintenanceView,
    MonitorView,
    SloView,
    SystemStatus,
    UptimeView,
)
from core.security import markdown_safe
from dashboards.theme import Colors, empty_figure, new_figure

STATE_LABELS = {
    OK: N_("Operational"),
    WARNING: N_("Degraded"),
    CRITICAL: N_("Down"),
    UNKNOWN: N_("No data"),
}
MONITOR_STATE_LABELS = {
    OK: N_("OK"),
    WARNING: N_("Warning"),
    CRITICAL: N_("Critical"),
    UNKNOWN: N_("Not evaluated"),
}
# Streamlit markdown colour names (green/orange/red/gray) and Material icons per state.
STATE_MARKDOWN_COLOURS = {OK: "green", WARNING: "orange", CRITICAL: "red", UNKNOWN: "gray"}
STATE_ICONS = {
    OK: ":material/check_circle:",
    WARNING: ":material/warning:",
    CRITICAL: ":material/error:",
    UNKNOWN: ":material/help:",
}
STATE_HEX = {OK: Colors.POSITIVE, WARNING: "#d97706", CRITICAL: Colors.NEGATIVE, UNKNOWN: "#94a3b8"}
INCIDENT_STATUSES = {
    "open": N_("open"),
    "acknowledged": N_("acknowledged"),
    "resolved": N_("resolved"),
}
UPTIME_WINDOWS = {"24h": N_("24 h"), "7d": N_("7 days"), "30d": N_("30 days")}


def _since(moment: datetime | None, *, at: datetime, locale: str) -> str:
    if moment is None:
        return fmt.MISSING
    _ = translator(locale)
    return _("since {when} ({age})").format(
        when=fmt.format_datetime(moment, locale=locale),
        age=fmt.format_age((at - moment).total_seconds(), locale=locale),
    )


def state_badge(state: str, *, locale: str, labels: dict[str, str] = STATE_LABELS) -> str:
    """``:red[:material/error: Down]``: a coloured state word for markdown."""
    _ = translator(locale)
    colour = STATE_MARKDOWN_COLOURS.get(state, "gray")
    return f":{colour}[{STATE_ICONS.get(state, '')} **{_(labels.get(state, state))}**]"


@dataclass(frozen=True)
class Headline:
    """The page's first line: how bad, in one sentence, and its level (for the box colour)."""

    level: str  # ok, warning, critical, unknown
    text: str


def headline(status: SystemStatus, *, at: datetime, locale: str) -> Headline:
    """ "All systems operational", or which components are down or degraded, or that the
    watchdog stopped (its verdicts are then old news, whatever colour they were)."""
    _ = translator(locale)
    if status.newest_check is None:
        return Headline(
            UNKNOWN,
            _(
                "No monitor has been evaluated yet: start the watchdog "
                "(`python -m core.ops.watchdog`; `make run` starts it)."
            ),
        )
    if status.watchdog_stale(at):
        return Headline(
            CRITICAL,
            _(
                "**The watchdog is not running**: monitors not evaluated since {when} "
                "({age}). The states below are as of then. Start it: "
                "`python -m core.ops.watchdog`."
            ).format(
                when=fmt.format_datetime(status.newest_check, locale=locale),
                age=fmt.format_age((at - status.newest_check).total_seconds(), locale=locale),
            ),
        )
    down = [c.label for c in status.components if c.state == CRITICAL]
    degraded = [c.label for c in status.components if c.state == WARNING]
    if down:
        text = _("**Down**: {components}.").format(components=", ".join(down))
        if degraded:
            text += " " + _("Degraded: {components}.").format(components=", ".join(degraded))
        return Headline(CRITICAL, text)
    if degraded:
        return Headline(
            WARNING, _("**Degraded**: {components}.").format(components=", ".join(degraded))
        )
    return Headline(OK, _("**All systems operational.**"))


def checked_line(status: SystemStatus, *, at: datetime, locale: str) -> str:
    """When the watchdog last evaluated, and how often it does."""
    _ = translator(locale)
    if status.newest_check is None:
        return _("Never evaluated.")
    return _("Last checked {when} ({age}) · the watchdog evaluates every {interval}").format(
        when=fmt.format_time(status.newest_check, locale=locale),
        age=fmt.format_age((at - status.newest_check).total_seconds(), locale=locale),
        interval=fmt.format_duration(status.watchdog_interval_s, locale=locale),
    )


@dataclass(frozen=True)
class ComponentTile:
    component: str
    state: str
    title: str  # markdown: the component and its coloured state
    since: str
    detail: str  # markdown: the worst monitor and its evidence (escaped)
    runbook: str  # what to do, when failing


def component_tiles(status: SystemStatus, *, at: datetime, locale: str) -> list[ComponentTile]:
    """One tile per component, in the declared order: state, since when, the evidence."""
    _ = translator(locale)
    tiles = []
    for component in status.components:
        tiles.append(
            ComponentTile(
                component=component.component,
                state=component.state,
                title=f"**{component.label}** · {state_badge(component.state, locale=locale)}",
                since=_since(component.since, at=at, locale=locale),
                detail=_component_detail(component, locale=locale),
                runbook=markdown_safe(component.runbook) if component.runbook else "",
            )
        )
    return tiles


def _component_detail(component: ComponentStatus, *, locale: str) -> str:
    _ = translator(locale)
    if component.monitor_id is None:
        return _("No monitor evaluated yet ({n} declared).").format(n=component.monitors)
    text = f"{markdown_safe(component.monitor_title)}: {markdown_safe(component.evidence)}"
    if component.failing > 1:
        text += " " + _("({n} of {total} monitors failing)").format(
            n=component.failing, total=component.monitors
        )
    if component.pending:
        text += " " + _("· {n} failing their latest check, not yet confirmed").format(
            n=component.pending
        )
    return text


def incident_heading(incident: IncidentView, *, at: datetime, locale: str) -> str:
    """``#12 Scheduler heartbeat · critical · open 14:03 (5 min ago)`` for an incident card."""
    _ = translator(locale)
    opened = fmt.format_datetime(incident.opened_at, locale=locale)
    age = fmt.format_age((at - incident.opened_at).total_seconds(), locale=locale)
    heading = _("#{id} {title} · {severity} · {status} · opened {when} ({age})").format(
        id=incident.incident_id,
        title=markdown_safe(incident.monitor_title),
        severity=state_badge(incident.severity, locale=locale, labels=MONITOR_STATE_LABELS),
        status=_(INCIDENT_STATUSES.get(incident.status, incident.status)),
        when=opened,
        age=age,
    )
    return heading


def incident_details(incident: IncidentView, *, at: datetime, locale: str) -> list[str]:
    """The lines under an open incident's heading: evidence, who is on it, silence, runbook."""
    _ = translator(locale)
    lines = [_("**Evidence**: {evidence}").format(evidence=markdown_safe(incident.evidence))]
    if incident.monitor_state == OK:
        lines.append(_("The monitor is back to OK; the incident closes with its next check."))
    if incident.acknowledged_at is not None:
        lines.append(
            _("Acknowledged by {who} at {when}.").format(
                who=markdown_safe(incident.acknowledged_by or "?"),
                when=fmt.format_datetime(incident.acknowledged_at, locale=locale),
            )
        )
    if incident.silenced(at):
        lines.append(
            _("Silenced until {when}: no notification is sent meanwhile.").format(
                when=fmt.format_datetime(incident.silenced_until, locale=locale)
            )
        )
    if incident.runbook:
        lines.append(_("**What to do**: {runbook}").format(runbook=markdown_safe(incident.runbook)))
    return lines


def resolved_table(incidents: tuple[IncidentView, ...], *, locale: str) -> pd.DataFrame:
    """Recently resolved incidents: who closed them (or the monitor itself) and the note."""
    _ = translator(locale)
    rows = [
        {
            "incident": incident.incident_id,
            "monitor": incident.monitor_title,
            "severity": _(MONITOR_STATE_LABELS.get(incident.severity, incident.severity)),
            "opened_at": fmt.format_datetime(incident.opened_at, locale=locale),
            "resolved_at": fmt.format_datetime(incident.resolved_at, locale=locale),
            "duration": fmt.format_duration(
                (incident.resolved_at - incident.opened_at).total_seconds()
                if incident.resolved_at
                else None,
                locale=locale,
            ),
            "resolved_by": incident.resolved_by or _("recovered by itself"),
            "note": incident.resolution_note or "",
            "evidence": incident.evidence,
        }
        for incident in incidents
    ]
    columns = [
        "incident",
        "monitor",
        "severity",
        "opened_at",
        "resolved_at",
        "duration",
        "resolved_by",
        "note",
        "evidence",
    ]
    return pd.DataFrame(rows, columns=columns)


def format_reading(monitor: MonitorView, *, locale: str) -> str:
    """The monitor's latest value with its unit, as a reader says it."""
    if monitor.value is None:
        return fmt.MISSING
    if monitor.unit == "s" and monitor.value >= 120:
        return fmt.format_duration(monitor.value, locale=locale)  # "6 h", not 21,724 seconds
    digits = 0 if monitor.unit == "count" else (2 if monitor.unit == "psi" else 1)
    number = fmt.format_number(monitor.value, digits=digits, locale=locale)
    return f"{number} {monitor.unit_label}" if monitor.unit != "%" else f"{number} %"


def _window(seconds: float) -> str:
    return fmt.format_duration(seconds)


def monitors_table(status: SystemStatus, *, at: datetime, locale: str) -> pd.DataFrame:
    """Every monitor, failing ones first: state, since, value, limits, trend, evidence, runbook.

    ``trend`` is the last 24 h as a list of numbers (st.column_config.LineChartColumn);
    slices without a value are carried from the previous one so the line has no holes.
    """
    _ = translator(locale)
    rows = []
    for monitor in status.monitors:
        limits = monitor.thresholds
        if monitor.overridden:
            limits += " " + _("(overridden)")
        guard = _("{n} in a row").format(n=monitor.consecutive)
        rows.append(
            {
                "rank": -STATE_RANK.get(monitor.state, 0),
                "state": f"{STATE_ICON_TEXT.get(monitor.state, '')} "
                f"{_(MONITOR_STATE_LABELS.get(monitor.state, monitor.state))}",
                "monitor": monitor.title,
                "component": monitor.component_label,
                "value": format_reading(monitor, locale=locale),
                "trend": _filled(monitor.sparkline),
                "since": fmt.format_datetime(monitor.since, locale=locale),
                "thresholds": limits,
                "window": f"{_window(monitor.window_s)} · {guard}",
                "channel": _("ops channel") if monitor.channel == "ops" else _("no notification"),
                "evidence": monitor.evidence,
                "runbook": monitor.runbook,
                "checked": fmt.format_age(
                    (at - monitor.checked_at).total_seconds() if monitor.checked_at else None,
                    locale=locale,
                ),
                "id": monitor.monitor_id,
            }
        )
    frame = pd.DataFrame(rows)
    if frame.empty:
        return frame
    frame = frame.sort_values("rank", kind="stable").drop(columns="rank")
    return frame.reset_index(drop=True)


# Plain symbols for table cells (markdown icons do not render inside dataframes), from the
# fonts every system has: coloured emoji are boxes where no emoji font is installed.
STATE_ICON_TEXT = {OK: "✔", WARNING: "▲", CRITICAL: "✖", UNKNOWN: "○"}


def _filled(series: tuple[float | None, ...]) -> list[float]:
    line: list[float] = []
    last: float | None = None
    for value in series:
        last = value if value is not None else last
        if last is not None:
            line.append(last)
    return line


def maintenance_table(windows: tuple[MaintenanceView, ...], *, locale: str) -> pd.DataFrame:
    """Maintenance windows on now or coming: scope, start, end, reason (hostile), who."""
    _ = translator(locale)
    rows = [
        {
            "window": w.window_id,
            "status": _("on now") if w.active else _("scheduled"),
            "scope": w.scope,
            "starts_at": fmt.format_datetime(w.starts_at, locale=locale),
            "ends_at": fmt.format_datetime(w.ends_at, locale=locale),
            "reason": w.reason,
            "created_by": w.created_by or fmt.MISSING,
        }
        for w in windows
    ]
    columns = ["window", "status", "scope", "starts_at", "ends_at", "reason", "created_by"]
    return pd.DataFrame(rows, columns=columns)


def uptime_table(uptime: tuple[UptimeView, ...], *, locale: str) -> pd.DataFrame:
    """Component × window: availability and downtime in minutes (what users lost)."""
    _ = translator(locale)
    rows = [
        {
            "component": u.label,
            "window": _(UPTIME_WINDOWS.get(u.window, u.window)),
            "uptime": fmt.format_percent(
                None if u.percent is None else u.percent / 100, locale=locale
            )
            if u.percent is not None
            else _("no data yet"),
            "downtime": _("{n} min").format(n=fmt.format_count(u.downtime_minutes, locale=locale)),
            "observed": _("{n} min").format(n=fmt.format_count(u.minutes_observed, locale=locale)),
        }
        for u in uptime
    ]
    return pd.DataFrame(rows, columns=["component", "window", "uptime", "downtime", "observed"])


def uptime_figure(uptime: tuple[UptimeView, ...], *, locale: str) -> go.Figure:
    """Downtime minutes per component, one bar group per window (24 h, 7 d, 30 d)."""
    _ = translator(locale)
    title = _("Downtime (minutes)")
    if not uptime:
        return empty_figure(title=title, locale=locale, message=_("No availability probe yet."))
    figure = new_figure(title=title, locale=locale)
    for window, colour in zip(
        UPTIME_WINDOWS, (Colors.ACCENT, Colors.PRIMARY, Colors.SECONDARY), strict=False
    ):
        own = [u for u in uptime if u.window == window]
        figure.add_bar(
            name=_(UPTIME_WINDOWS[window]),
            x=[u.label for u in own],
            y=[u.downtime_minutes for u in own],
            marker_color=colour,
            customdata=[
                fmt.format_percent(u.percent / 100, locale=locale) if u.percent is not None else "—"
                for u in own
            ],
            hovertemplate="%{x}: %{y} min (" + _("uptime") + " %{customdata})<extra></extra>",
        )
    figure.update_layout(barmode="group", height=280, hovermode="closest")
    figure.update_yaxes(rangemode="tozero")
    return figure


def slo_figure(slos: tuple[SloView, ...], *, locale: str) -> go.Figure:
    """Each SLO's error budget left, as a bar from 0 to 100 % (red once it is spent)."""
    _ = translator(locale)
    title = _("Error budget left")
    if not slos:
        return empty_figure(title=title, locale=locale, message=_("No SLO measured yet."))
    figure = new_figure(title=title, locale=locale)
    labels, values, colours, texts = [], [], [], []
    for slo in slos:
        left = slo.budget_left_fraction
        labels.append(f"{slo.objective} ({_(UPTIME_WINDOWS.get(slo.window, slo.window))})")
        values.append(max(0.0, left) * 100 if left is not None else 0.0)
        if left is None:
            colours.append(STATE_HEX[UNKNOWN])
            texts.append(_("no data yet"))
        else:
            state = OK if left > 0.25 else WARNING if left > 0 else CRITICAL
            colours.append(STATE_HEX[state])
            texts.append(fmt.format_percent(max(left, -9.99), locale=locale))
    figure.add_bar(
        x=values,
        y=labels,
        orientation="h",
        marker_color=colours,
        text=texts,
        textposition="auto",
        hoverinfo="skip",
    )
    figure.update_layout(height=90 + 60 * len(slos), showlegend=False, hovermode=False)
    figure.update_xaxes(range=[0, 100], ticksuffix=" %")
    return figure


def slo_lines(slos: tuple[SloView, ...], *, locale: str) -> list[tuple[bool, str]]:
    """One sentence per SLO: the objective, what was measured, met or not, budget left."""
    _ = translator(locale)
    lines = []
    for slo in slos:
        measured = (
            fmt.format_percent(slo.measured, locale=locale)
            if slo.measured is not None
            else _("nothing measured yet")
        )
        lines.append(
            (
                slo.met,
                _(
                    "**{objective}** ({window}): {measured} against a target of {target}; "
                    "{indicator}. Error budget: {used} used of {total} ({left} left)."
                ).format(
                    objective=slo.objective,
                    window=_(UPTIME_WINDOWS.get(slo.window, slo.window)),
                    measured=measured,
                    target=fmt.format_percent(slo.target, locale=locale),
                    indicator=f"{slo.indicator_label}: "
                    + fmt.format_number(slo.indicator, digits=1, locale=locale),
                    # A young window's budget is a fraction of one minute or render.
                    used=fmt.format_number(slo.budget_used, digits=0, locale=locale),
                    total=fmt.format_number(slo.budget_total, digits=1, locale=locale),
                    left=fmt.format_number(max(slo.budget_left, 0), digits=1, locale=locale),
                ),
            )
        )
    return lines


def readiness_table(status: SystemStatus, *, locale: str) -> pd.DataFrame:
    """The readiness checklist, failing items first: weight, evidence, who fixes it, how."""
    _ = translator(locale)
    readiness = status.readiness
    if readiness is None:
        return pd.DataFrame()
    order = {"fail": 0, "warn": 1, "pass": 2}
    rows = [
        {
            "status": {"pass": "✔", "warn": "▲", "fail": "✖"}.get(i.status, "○"),
            "item": i.title,
            "weight": i.weight,
            "evidence": i.evidence,
            "owner": i.owner,
            "fix": "" if i.status == "pass" else i.fix,
            "_order": order.get(i.status, 3),
        }
        for i in readiness.items
    ]
    frame = pd.DataFrame(rows)
    if frame.empty:
        return frame
    frame = frame.sort_values(["_order", "weight"], ascending=[True, False], kind="stable")
    return frame.drop(columns="_order").reset_index(drop=True)
