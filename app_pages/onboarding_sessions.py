"""Onboarding sessions: who is onboarding which business, at which step, how idle."""

import streamlit as st

from core.formatting import format_count, format_duration
from core.queries.onboarding import onboarding_sessions
from dashboards import onboarding_sessions as onboarding
from ui.live import LiveContext, live_page
from ui.render import show_table

st.title("Onboarding sessions")

COLUMNS = {
    "session_id": st.column_config.NumberColumn("ID", format="%d", width="small"),
    "business_name": st.column_config.TextColumn("Business"),
    "vertical": "Vertical",
    "tier": "Tier",
    "operator": "Operator",
    "status": "Status",
    "current_step": "Step",
    "verification_status": "Verification",
    "started_at": "Started",
    "activated_at": "Went live",
    "last_activity_at": "Last activity",
    "idle_s": st.column_config.Column("Idle", help="Time since the last step or save"),
    "elapsed_min": st.column_config.Column("Elapsed", help="From start to live (or to now)"),
}
# Who, where and how stuck first; the details after.
ORDER = [
    "business_name",
    "operator",
    "status",
    "current_step",
    "idle_s",
    "elapsed_min",
    "verification_status",
    "last_activity_at",
    "started_at",
    "activated_at",
    "tier",
    "vertical",
    "session_id",
]


def body(ctx: LiveContext) -> None:
    with ctx.session() as session:
        sessions = onboarding_sessions(session=session, at=ctx.at)
    if sessions.empty:
        st.info("No onboarding session is in progress or finished in the last 7 days.")
        return
    summary = onboarding.summarize(sessions)
    tiles = st.columns(4)
    tiles[0].metric(
        "In progress", format_count(summary.in_progress, locale=ctx.locale), border=True
    )
    tiles[1].metric(
        "Idle > 15 min",
        format_count(summary.idle, locale=ctx.locale),
        border=True,
        help="In-progress sessions with no step or save for 15 min",
    )
    tiles[2].metric(
        "Went live (7 d)", format_count(summary.activated, locale=ctx.locale), border=True
    )
    median = summary.median_minutes_to_live
    tiles[3].metric(
        "Median time to live",
        format_duration(None if median is None else median * 60, locale=ctx.locale),
        border=True,
        help=f"Target: under {onboarding.TARGET_MINUTES} min; "
        f"{summary.within_target} of {summary.activated} made it.",
    )
    show_table(
        onboarding.style_sessions(sessions, locale=ctx.locale),
        column_config=COLUMNS,
        column_order=ORDER,
    )


live_page(body, needs_snapshot=False)
