"""Onboarding Funnel: sessions started, step conversion, time to activate, stalled sessions."""

import streamlit as st

from dashboards import onboarding_funnel as funnel
from dashboards.links import TENANT_LINK_TEXT
from ui.dashboard_page import dashboard_page
from ui.filters import filter_bar
from ui.i18n import _
from ui.live import LiveContext
from ui.render import download_csv, show_figure, show_table, show_tiles

PAGE = "onboarding-funnel"


def _columns() -> dict:
    number = st.column_config.NumberColumn
    return {
        "session_id": number(_("Session"), format="%d", width="small"),
        "tenant": st.column_config.LinkColumn(
            _("Tenant"), display_text=TENANT_LINK_TEXT, help=_("Opens Tenant 360")
        ),
        "business_name": _("Business"),
        "vertical": _("Vertical"),
        "tier": _("Tier"),
        "status": _("Status"),
        "current_step": _("Step"),
        "verification_status": _("Verification"),
        "assisted": st.column_config.CheckboxColumn(
            _("Assisted"), help=_("An onboarding operator ran the wizard with the business")
        ),
        "started_at": st.column_config.DatetimeColumn(_("Started"), format="DD/MM/YYYY HH:mm"),
        "activated_at": st.column_config.DatetimeColumn(_("Activated"), format="DD/MM/YYYY HH:mm"),
        "minutes_to_activate": number(_("Minutes to activate"), format="%.0f"),
        "hours_to_first_booking": number(_("Hours to first booking"), format="%.1f"),
        "last_activity_at": st.column_config.DatetimeColumn(
            _("Last activity"), format="DD/MM/YYYY HH:mm"
        ),
        "idle_hours": number(_("Idle (h)"), format="%.1f"),
        "step_title": _("Step"),
        "entered": number(_("Entered"), format="%d"),
        "completed": number(_("Completed"), format="%d"),
        "step_conversion": number(
            _("Step conversion"), format="percent", help=_("Completed ÷ entered")
        ),
        "share_of_started": number(
            _("Of sessions started"), format="percent", help=_("Entered ÷ sessions started")
        ),
        "median_minutes": number(_("Median minutes"), format="%.1f"),
    }


def body(ctx: LiveContext) -> None:
    filters = filter_bar(ctx, page=PAGE, dimensions=("date", "tier", "vertical"), money=False)
    problem = filters.problem(today=ctx.at.date(), locale=ctx.locale)
    if problem:
        st.info(problem, icon=":material/event_busy:")
        return
    all_sessions = ctx.frame("onboarding_funnel_sessions")
    steps = ctx.frame("onboarding_funnel_steps")
    sessions = funnel.select_sessions(all_sessions, filters)

    tiles = funnel.build_tiles(all_sessions, filters, at=ctx.at, locale=ctx.locale)
    show_tiles(tiles, per_row=4)
    if sessions.empty:
        st.info(_("No onboarding session started in this period for these filters."))
        return

    table = funnel.step_table(sessions, steps, locale=ctx.locale)
    left, right = st.columns(2)
    with left:
        show_figure(funnel.funnel_figure(table, locale=ctx.locale))
    with right:
        show_figure(funnel.step_time_figure(table, locale=ctx.locale))
    show_figure(funnel.outcomes_figure(sessions, locale=ctx.locale))

    st.subheader(_("Step conversion"), divider="gray")
    show_table(
        table,
        column_config=_columns(),
        column_order=[
            "step_title",
            "entered",
            "completed",
            "step_conversion",
            "share_of_started",
            "median_minutes",
        ],
    )

    # Stalled is a state now: sessions of any start day, of the chosen tiers and verticals.
    open_sessions = funnel.select_sessions(all_sessions, filters.with_(start=None, end=None))
    stalled = funnel.stalled_table(open_sessions, at=ctx.at, locale=ctx.locale)
    st.subheader(_("Stalled sessions"), divider="gray")
    st.caption(funnel.definition("stalled", locale=ctx.locale))
    if stalled.empty:
        st.caption(_("No session is stalled."))
    else:
        show_table(stalled, column_config=_columns())

    st.subheader(_("Sessions"), divider="gray")
    detail = funnel.session_table(sessions, at=ctx.at, locale=ctx.locale)
    download_csv(detail, "onboarding_sessions.csv")
    show_table(detail, column_config=_columns(), height=min(480, 38 + 35 * len(detail)))


dashboard_page(_("Onboarding Funnel"), body)
