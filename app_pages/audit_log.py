"""Audit log (administrators): every change and sign-in, by whom, with filters and CSV."""

from datetime import timedelta

import streamlit as st

from core.clock import today
from core.queries.accounts import AUDIT_ROWS_SHOWN, audit_actions, audit_log, console_users
from ui import db
from ui.i18n import _
from ui.render import download_csv, show_table

st.title(_("Audit log"))
with db.session() as session:
    people = console_users(session=session)
    kinds = audit_actions(session=session)
names = dict(zip(people["user_id"], people["full_name"], strict=True))
cols = st.columns([2, 2, 2])
end = today()
period = cols[0].date_input(
    _("Between"), (end - timedelta(days=6), end), max_value=end, format="DD/MM/YYYY"
)
actor = cols[1].selectbox(
    _("By"), [None, *names], format_func=lambda u: _("Anyone") if u is None else names[u]
)
kind = cols[2].selectbox(
    _("Kind"), [None, *kinds], format_func=lambda k: _("Everything") if k is None else k
)
if not isinstance(period, tuple) or len(period) != 2:
    st.info(_("Pick the first and the last day."))
    st.stop()
with db.session() as session:
    events = audit_log(
        session=session,
        start=period[0],
        end=period[1],
        actor_id=actor,
        action_prefix=f"{kind}." if kind else None,
    )
st.caption(
    _("{n} events (at most {limit} shown, newest first).").format(
        n=len(events), limit=AUDIT_ROWS_SHOWN
    )
)
download_csv(events, f"audit_{period[0]:%Y%m%d}_{period[1]:%Y%m%d}.csv")
show_table(
    events,
    column_config={
        "id": st.column_config.NumberColumn("#", format="%d", width="small"),
        "occurred_at": st.column_config.DatetimeColumn(_("When"), format="DD/MM/YYYY HH:mm:ss"),
        "actor": st.column_config.TextColumn(_("By"), width="medium"),
        "action": st.column_config.TextColumn(_("Action"), width="medium"),
        "entity": _("What"),
        "entity_id": _("Which"),
        "before": st.column_config.TextColumn(_("Before"), width="medium"),
        "after": st.column_config.TextColumn(_("After"), width="large"),
        "comment": st.column_config.TextColumn(_("Comment"), width="medium"),
    },
)
