"""Onboarding sessions: who is onboarding which business, at which step, how idle."""

import streamlit as st

from core.queries.onboarding import onboarding_sessions
from dashboards import onboarding_sessions as onboarding
from ui import db
from ui.i18n import _
from ui.live import LiveContext, live_page
from ui.render import show_table, show_tiles

st.title(_("Onboarding sessions"))

COLUMNS = {
    "session_id": st.column_config.NumberColumn(_("ID"), format="%d", width="small"),
    "resume": st.column_config.LinkColumn(
        _("Resume"), display_text=_("Open"), help=_("Open this onboarding in the wizard")
    ),
    "business_name": st.column_config.TextColumn(_("Business")),
    "vertical": _("Vertical"),
    "tier": _("Tier"),
    "operator": _("Operator"),
    "status": _("Status"),
    "current_step": _("Step"),
    "verification_status": _("Verification"),
    "started_at": _("Started"),
    "activated_at": _("Went live"),
    "last_activity_at": _("Last activity"),
    "idle_s": st.column_config.Column(_("Idle"), help=_("Time since the last step or save")),
    "elapsed_min": st.column_config.Column(_("Elapsed"), help=_("From start to live (or to now)")),
}
# Who, where and how stuck first; the details after.
ORDER = [
    "resume",
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
    with db.session() as session:
        sessions = onboarding_sessions(session=session, at=ctx.at)
    if sessions.empty:
        st.info(_("No onboarding session is in progress or finished in the last 7 days."))
        return
    summary = onboarding.summarize(sessions)
    show_tiles(onboarding.summary_tiles(summary, locale=ctx.locale))
    # The wizard resumes a session from its URL (?session=N); finished ones open read-only.
    sessions["resume"] = "/onboarding-wizard?session=" + sessions["session_id"].astype(str)
    show_table(
        onboarding.style_sessions(sessions, locale=ctx.locale),
        column_config=COLUMNS,
        column_order=ORDER,
    )


live_page(body, needs_snapshot=False)
