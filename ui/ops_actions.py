"""The System status page's actions for administrators: incidents, maintenance, overrides.

Each control runs one command of ``core.ops.commands`` as the signed-in user (the
command checks the role again) with the version of the record the user saw
(``ui.versions.shown_version``); a refusal is shown as one translated sentence.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

import streamlit as st

from core.clock import now
from core.errors import DomainError
from core.ops.commands import (
    AcknowledgeIncident,
    EndMaintenance,
    OverrideMonitor,
    ResetMonitor,
    ResolveIncident,
    ScheduleMaintenance,
    SilenceIncident,
)
from core.ops.status_types import IncidentView, MaintenanceView, SystemStatus
from ui import db
from ui.auth import current_actor
from ui.errors import show_error
from ui.i18n import _
from ui.versions import shown_version

SILENCE_HOURS = (1, 4, 24, 72)
_DONE_KEY = "ops_action_done"


def _run(command: Any, done: str) -> bool:
    """Run ``command``; on success remember ``done`` for the next run and rerun the page."""
    try:
        db.execute(command, actor=current_actor())
    except DomainError as error:
        show_error(error)
        return False
    st.session_state[_DONE_KEY] = done
    st.rerun()
    return True  # not reached: st.rerun raises


def show_done() -> None:
    """The confirmation of the previous run's action, once."""
    done = st.session_state.pop(_DONE_KEY, None)
    if done:
        st.success(done, icon=":material/check:")


def incident_actions(incident: IncidentView) -> None:
    """Acknowledge, silence for a period (or lift it), resolve with a note."""
    seen = shown_version("ops_incident", incident.incident_id, incident.version)
    key = f"incident_{incident.incident_id}"
    ack, silence, resolve = st.columns([1, 1.4, 2.6], vertical_alignment="bottom")
    if incident.status == "open" and ack.button(
        _("Acknowledge"), key=f"{key}_ack", icon=":material/front_hand:"
    ):
        _run(
            AcknowledgeIncident(incident.incident_id, expected_version=seen),
            _("Incident #{id} acknowledged.").format(id=incident.incident_id),
        )
    with silence.popover(_("Silence"), icon=":material/notifications_off:"):
        # Labels computed in this run (AppTest calls format_func outside the run).
        periods = {h: _("{n} h").format(n=h) for h in SILENCE_HOURS}
        hours = st.selectbox(
            _("Silence notifications for"),
            SILENCE_HOURS,
            format_func=periods.__getitem__,
            key=f"{key}_hours",
        )
        if st.button(_("Silence"), key=f"{key}_silence"):
            _run(
                SilenceIncident(
                    incident.incident_id,
                    now() + timedelta(hours=int(hours)),
                    expected_version=seen,
                ),
                _("Incident #{id} silenced for {n} h.").format(id=incident.incident_id, n=hours),
            )
        if incident.silenced(now()) and st.button(_("Lift the silence"), key=f"{key}_unsilence"):
            _run(
                SilenceIncident(incident.incident_id, None, expected_version=seen),
                _("Incident #{id} notifies again.").format(id=incident.incident_id),
            )
    with resolve.popover(_("Resolve…"), icon=":material/task_alt:"):
        note = st.text_area(
            _("What was done (required)"), key=f"{key}_note", max_chars=2000, height=90
        )
        if st.button(_("Resolve the incident"), key=f"{key}_resolve", type="primary"):
            _run(
                ResolveIncident(incident.incident_id, note, expected_version=seen),
                _("Incident #{id} resolved.").format(id=incident.incident_id),
            )


def _moment(day: Any, clock: Any) -> datetime | None:
    if day is None or clock is None:
        return None
    return datetime.combine(day, clock if isinstance(clock, time) else time())


def maintenance_form(status: SystemStatus) -> None:
    """Schedule a window for every monitor or one: start, end, reason."""
    options = [None, *(m.monitor_id for m in status.monitors)]
    titles: dict[str | None, str] = {m.monitor_id: m.title for m in status.monitors}
    titles[None] = _("All monitors")
    start_default = now().replace(second=0, microsecond=0)
    end_default = start_default + timedelta(hours=1)
    with st.form("ops_maintenance", clear_on_submit=False, border=False):
        scope = st.selectbox(
            _("Monitors covered"),
            options,
            format_func=titles.__getitem__,
        )
        left, right = st.columns(2)
        start_day = left.date_input(_("Starts on"), value=start_default.date())
        start_time = left.time_input(_("at"), value=start_default.time(), step=300)
        end_day = right.date_input(_("Ends on"), value=end_default.date())
        end_time = right.time_input(_("at "), value=end_default.time(), step=300)
        reason = st.text_input(_("Reason"), max_chars=500)
        if st.form_submit_button(_("Schedule the window"), type="primary"):
            _run(
                ScheduleMaintenance(
                    scope, _moment(start_day, start_time), _moment(end_day, end_time), reason
                ),
                _("Maintenance window scheduled."),
            )


def end_maintenance_button(window: MaintenanceView) -> None:
    label = _("End now") if window.active else _("Cancel")
    if st.button(label, key=f"ops_end_window_{window.window_id}"):
        _run(
            EndMaintenance(window.window_id),
            _("Maintenance window #{id} ended.").format(id=window.window_id),
        )


def override_form(status: SystemStatus) -> None:
    """Tune one monitor's thresholds, window, flapping guard and channel, or reset it."""
    titles = {m.monitor_id: f"{m.title} ({m.monitor_id})" for m in status.monitors}
    monitor_id = st.selectbox(
        _("Monitor"),
        list(titles),
        format_func=titles.__getitem__,
        key="ops_override_monitor",
    )
    monitor = status.monitor(monitor_id)
    if monitor is None:
        return
    seen = shown_version(f"ops_override:{monitor_id}", 0, monitor.override_version)
    direction = _("higher is worse") if monitor.direction == "above" else _("lower is worse")
    st.caption(
        _(
            "{measures} ({unit}; {direction}). Declared: warning {warning}, critical {critical}."
        ).format(
            measures=monitor.measures,
            unit=monitor.unit_label,
            direction=direction,
            warning="—" if monitor.declared_warning is None else f"{monitor.declared_warning:g}",
            critical="—" if monitor.declared_critical is None else f"{monitor.declared_critical:g}",
        )
    )
    with st.form(f"ops_override_{monitor_id}", border=False):
        left, middle, right = st.columns(3)
        warning = left.number_input(_("Warning at"), value=monitor.warning, format="%g")
        critical = middle.number_input(_("Critical at"), value=monitor.critical, format="%g")
        window_min = right.number_input(
            _("Window (minutes)"), value=monitor.window_s / 60, min_value=0.0, format="%g"
        )
        left, right = st.columns(2)
        consecutive = left.number_input(
            _("Checks in a row to change state"),
            value=monitor.consecutive,
            min_value=1,
            max_value=20,
            step=1,
        )
        channels = {"ops": _("the ops channel"), "none": _("nobody")}
        channel = right.selectbox(
            _("Notify"),
            tuple(channels),
            index=0 if monitor.channel == "ops" else 1,
            format_func=channels.__getitem__,
        )
        save = st.form_submit_button(_("Save the override"), type="primary")
        reset = st.form_submit_button(
            _("Reset to the declaration"), disabled=not monitor.overridden
        )
    if save:
        _run(
            OverrideMonitor(
                monitor_id,
                warning=warning,
                critical=critical,
                window_s=float(window_min) * 60 if window_min is not None else None,
                consecutive=int(consecutive),
                channel=channel,
                expected_version=seen,
            ),
            _("{monitor}: override saved.").format(monitor=monitor.title),
        )
    if reset:
        _run(
            ResetMonitor(monitor_id, expected_version=seen),
            _("{monitor}: back to its declared limits.").format(monitor=monitor.title),
        )
