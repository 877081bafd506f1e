"""System status: every component green/amber/red with its evidence and since when, open
incidents (with actions for administrators), monitors, uptime, SLOs and launch readiness.

Reads stored results only (the watchdog measures); refreshes itself every 30 s.
"""

import streamlit as st

from core.auth.roles import Capability
from core.formatting import format_age
from core.ops.status_types import CRITICAL, OK, WARNING, SystemStatus
from core.security import markdown_safe
from dashboards import system_status as view
from ui import ops_actions
from ui.auth import may, signed_in_user
from ui.i18n import _, current_locale
from ui.live import live_controls, read_settings
from ui.ops_status import StatusRead, read_status
from ui.render import show_figure, show_table

BOX = {OK: st.success, WARNING: st.warning, CRITICAL: st.error}


def show_components(status: SystemStatus, read: StatusRead, locale: str) -> None:
    tiles = view.component_tiles(status, at=read.at, locale=locale)
    for start in range(0, len(tiles), 4):
        for cell, tile in zip(st.columns(4), tiles[start : start + 4], strict=False):
            with cell.container(border=True):
                st.markdown(tile.title)
                st.caption(tile.since)
                st.markdown(tile.detail)
                if tile.runbook:
                    st.caption(_("What to do: {runbook}").format(runbook=tile.runbook))


def show_incidents(status: SystemStatus, read: StatusRead, locale: str, admin: bool) -> None:
    st.subheader(_("Open incidents"), divider="gray")
    if not status.open_incidents:
        st.caption(_("No open incident."))
    for incident in status.open_incidents:
        with st.container(border=True):
            st.markdown(view.incident_heading(incident, at=read.at, locale=locale))
            for line in view.incident_details(incident, at=read.at, locale=locale):
                st.markdown(line)
            if admin:
                ops_actions.incident_actions(incident)
    if status.resolved_incidents:
        with st.expander(
            _("Resolved in the last 7 days ({n})").format(n=len(status.resolved_incidents))
        ):
            show_table(
                view.resolved_table(status.resolved_incidents, locale=locale),
                column_config={
                    "incident": st.column_config.NumberColumn("#", format="%d", width="small"),
                    "monitor": _("Monitor"),
                    "severity": _("Severity"),
                    "opened_at": _("Opened"),
                    "resolved_at": _("Resolved"),
                    "duration": _("Lasted"),
                    "resolved_by": _("Resolved by"),
                    "note": st.column_config.TextColumn(_("Note"), width="large"),
                    "evidence": st.column_config.TextColumn(_("Evidence"), width="large"),
                },
            )


def show_monitors(status: SystemStatus, read: StatusRead, locale: str) -> None:
    st.subheader(_("Monitors"), divider="gray")
    show_table(
        view.monitors_table(status, at=read.at, locale=locale),
        column_config={
            "state": st.column_config.TextColumn(_("State"), width="small"),
            "monitor": st.column_config.TextColumn(_("Monitor"), width="medium"),
            "component": _("Component"),
            "value": _("Value"),
            "trend": st.column_config.LineChartColumn(_("Last 24 h"), width="small"),
            "since": _("Since"),
            "thresholds": _("Warning / critical"),
            "window": _("Window · flapping guard"),
            "channel": _("Notifies"),
            "evidence": st.column_config.TextColumn(_("Evidence"), width="large"),
            "runbook": st.column_config.TextColumn(_("What to do"), width="large"),
            "checked": _("Checked"),
            "id": _("Id"),
        },
        height=420,
    )


def show_availability(status: SystemStatus, locale: str) -> None:
    left, right = st.columns(2)
    with left:
        st.subheader(_("Uptime"), divider="gray")
        show_figure(view.uptime_figure(status.uptime, locale=locale))
        if status.uptime:
            show_table(
                view.uptime_table(status.uptime, locale=locale),
                column_config={
                    "component": _("Component"),
                    "window": _("Window"),
                    "uptime": _("Uptime"),
                    "downtime": _("Downtime"),
                    "observed": _("Observed"),
                },
            )
    with right:
        st.subheader(_("Service level objectives"), divider="gray")
        show_figure(view.slo_figure(status.slos, locale=locale))
        for met, line in view.slo_lines(status.slos, locale=locale):
            st.markdown((":material/check_circle: " if met else ":material/error: ") + line)


def show_readiness(status: SystemStatus, locale: str) -> None:
    if status.readiness is None:
        return
    st.subheader(_("Launch readiness"), divider="gray")
    score, blockers = st.columns([1, 3])
    # Not an st.metric: tiles show registry metrics; this score is core.ops.readiness's.
    with score.container(border=True):
        st.caption(
            _("Readiness score"),
            help=_("A weighted checklist; every item is computed from a check that ran."),
        )
        st.markdown(f"## {status.readiness.score:.1f} / 100")
    with blockers:
        blocking = status.readiness.blocking
        if not blocking:
            st.success(_("Nothing blocks the launch."))
        for item in blocking[:5]:
            st.markdown(
                _("**{title}** ({owner}): {fix}").format(
                    title=markdown_safe(item.title),
                    owner=markdown_safe(item.owner),
                    fix=markdown_safe(item.fix),
                )
            )
    with st.expander(_("The whole checklist")):
        show_table(
            view.readiness_table(status, locale=locale),
            column_config={
                "status": st.column_config.TextColumn("", width="small"),
                "item": _("Item"),
                "weight": st.column_config.NumberColumn(_("Weight"), format="%g"),
                "evidence": st.column_config.TextColumn(_("Evidence"), width="large"),
                "owner": _("Who fixes it"),
                "fix": st.column_config.TextColumn(_("How"), width="large"),
            },
        )


def show_maintenance(status: SystemStatus, locale: str, admin: bool) -> None:
    if not status.maintenance and not admin:
        return
    st.subheader(_("Maintenance windows"), divider="gray")
    if status.maintenance:
        st.caption(_("Incidents of the monitors covered do not notify while a window is on."))
        show_table(
            view.maintenance_table(status.maintenance, locale=locale),
            column_config={
                "window": st.column_config.NumberColumn("#", format="%d", width="small"),
                "status": _("Status"),
                "scope": _("Monitors"),
                "starts_at": _("Starts"),
                "ends_at": _("Ends"),
                "reason": st.column_config.TextColumn(_("Reason"), width="large"),
                "created_by": _("Scheduled by"),
            },
        )
        if admin:
            for window in status.maintenance:
                ops_actions.end_maintenance_button(window)
    else:
        st.caption(_("No maintenance window is on or scheduled."))


def body(read: StatusRead, locale: str) -> None:
    admin = may(Capability.OPERATE_SYSTEM)
    if read.error is not None:
        st.error(
            _(
                "**Database unreachable** (incident {id}): the error has been logged for support."
            ).format(id=markdown_safe(read.error)),
            icon=":material/database:",
        )
    status = read.status
    if status is None:
        if read.error is not None:
            st.caption(_("This console process has no earlier status to show."))
        return
    if read.error is not None:
        st.warning(
            _("Showing the last status this console read, {age}.").format(
                age=format_age(read.age_s, locale=locale)
            ),
            icon=":material/history:",
        )
    headline = view.headline(status, at=read.at, locale=locale)
    BOX.get(headline.level, st.info)(headline.text)
    st.caption(view.checked_line(status, at=read.at, locale=locale))
    ops_actions.show_done()
    show_components(status, read, locale)
    show_incidents(status, read, locale, admin and read.error is None)
    show_monitors(status, read, locale)
    show_availability(status, locale)
    show_readiness(status, locale)
    show_maintenance(status, locale, admin and read.error is None)
    if admin and read.error is None:
        # Dialogs: their forms are built only when opened (a warm render stays light).
        left, right, _spacer = st.columns([1, 1, 2])
        if left.button(_("Schedule a maintenance window"), icon=":material/build:"):
            st.dialog(_("Schedule a maintenance window"))(ops_actions.maintenance_form)(status)
        if right.button(_("Tune a monitor"), icon=":material/tune:"):
            st.dialog(_("Tune a monitor"), width="large")(ops_actions.override_form)(status)


st.title(_("System status"))
settings = read_settings()
if settings is not None:
    enabled = live_controls(settings)

    @st.fragment(run_every=settings.watchdog_interval_s if enabled else None)
    def live() -> None:
        if signed_in_user() is None:
            st.rerun(scope="app")
        locale = current_locale()
        body(read_status(settings, locale=locale), locale)

    live()
