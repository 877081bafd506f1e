"""Triage queue: the CS team's alerts by priority, each opening its tenant's card."""

import logging

import pandas as pd
import streamlit as st

from core.auth.roles import Capability
from core.db import DATABASE_ERRORS
from core.labels import code_label
from core.security import markdown_safe, parse_id
from core.vocabulary import TIERS
from core.workflows.alerts.config import load_config
from core.workflows.alerts.definitions import REASONS
from core.workflows.alerts.queries import alert_queue, users
from dashboards import triage as view
from ui import db
from ui.auth import may, signed_in_user
from ui.i18n import _, current_locale
from ui.incidents import show_database_error
from ui.live import read_settings
from ui.render import show_table, show_tiles
from ui.triage_card import render_card, show_flash
from ui.triage_settings import notifications_tab, playbooks_tab, rules_tab

ALERT_PARAM = "alert"
ALL = 0  # the owner filter's "everyone" entry
_log = logging.getLogger(__name__)

st.title(_("Triage queue"))


def owner_filter(people: pd.DataFrame, me: int | None) -> int | None:
    names = {ALL: _("Everyone")} | dict(zip(people["id"], people["full_name"], strict=True))
    ids = list(names)
    # The queue opens on the current user's book when they have one.
    default = me if me in ids else ALL
    chosen = st.selectbox(
        _("Book of"),
        ids,
        index=ids.index(default),
        format_func=names.__getitem__,
        key=f"triage_owner_{me}",
    )
    return None if chosen == ALL else int(chosen)


def queue_section(me: int | None) -> pd.DataFrame:
    locale = current_locale()
    with db.session() as session:
        people = users(session=session)
    book_people = people[people["role"].isin(["cs_manager", "cs_lead", "admin"])]
    cols = st.columns([2, 3, 2, 2], vertical_alignment="bottom")
    with cols[0]:
        if may(Capability.ALL_BOOKS):
            owner = owner_filter(book_people, me)
        else:  # a CS manager works their own book (the commands check it too)
            owner = me
            st.caption(_("Your book of business"))
    reasons = cols[1].multiselect(
        _("Reason"),
        REASONS,
        format_func=lambda r: view.reason_label(r, locale),
        key="triage_reason",
        placeholder=_("All"),
    )
    tiers = cols[2].multiselect(
        _("Tier"),
        TIERS,
        key="triage_tier",
        placeholder=_("All"),
        format_func=lambda tier: code_label("tier", tier, locale),
    )
    min_priority = cols[3].number_input(
        _("Minimum priority (ARS)"), min_value=0.0, value=0.0, step=5000.0, key="triage_min"
    )
    flags = st.columns(3)
    snoozed = flags[0].toggle(_("Include snoozed"), value=True, key="triage_snoozed")
    holdout = flags[1].toggle(_("Include holdout"), value=False, key="triage_holdout")
    closed = flags[2].toggle(_("Show closed"), value=False, key="triage_closed")
    statuses = ["open"] + (["snoozed"] if snoozed else []) + (["closed"] if closed else [])
    with db.session() as session:
        queue = alert_queue(
            session=session,
            owner_id=owner,
            reasons=reasons,
            tiers=tiers,
            min_priority=min_priority,
            statuses=statuses,
            include_holdout=holdout,
        )
    summary = view.summarize(queue)
    show_tiles(view.queue_tiles(summary, locale=locale))
    if queue.empty:
        st.info(_("No alerts match these filters."), icon=":material/inbox:")
        return queue
    show_table(
        view.queue_table(queue, locale=locale),
        column_config={
            "alert_id": st.column_config.NumberColumn("#", format="%d", width="small"),
            "tenant": st.column_config.LinkColumn(_("Tenant"), display_text=r"&name=(.*)$"),
            "tier": _("Tier"),
            "reason": _("Reason"),
            "priority": _("Priority"),
            "churn_probability": st.column_config.TextColumn(
                _("Churn prob."), help=_("* no churn score yet: the holdout churn rate instead")
            ),
            "mrr_at_risk": _("MRR at risk"),
            "status": _("Status"),
            "assignee": _("Assignee"),
            "triggered_at": _("Triggered"),
            "arm": _("Arm"),
        },
    )
    return queue


def pick_alert(queue: pd.DataFrame) -> int | None:
    locale = current_locale()
    wanted = st.query_params.get(ALERT_PARAM)
    ids = [int(i) for i in queue["alert_id"]] if len(queue) else []
    asked = parse_id(wanted)
    if wanted and asked is None:
        st.warning(
            _(
                "This link's alert={value} is not valid: an alert number is a positive "
                "whole number."
            ).format(value=markdown_safe(wanted, max_length=40)),
            icon=":material/link_off:",
        )
    if asked is not None and asked not in ids:
        ids = [asked, *ids]  # a link to an alert outside the filters still opens it
    if not ids:
        return None
    labels = {int(r.alert_id): view.option_label(r, locale=locale) for r in queue.itertuples()}
    chosen = st.selectbox(
        _("Open alert"),
        ids,
        index=ids.index(asked) if asked in ids else None,
        placeholder=_("Choose an alert to open its tenant card"),
        format_func=lambda i: labels.get(i, f"#{i}"),
        key="triage_open_alert",
    )
    if chosen is not None:
        st.query_params[ALERT_PARAM] = str(chosen)
    return chosen


def main() -> None:
    settings = read_settings()
    if settings is None:
        return
    user = signed_in_user()
    me = user.user_id if user is not None else None
    show_flash()
    with db.session() as session:
        config = load_config(session=session)
        people = users(session=session)
    queue_tab, rules, playbooks, notes = st.tabs(
        [_("Queue"), _("Rules"), _("Playbooks"), _("My notifications")], key="triage_tabs"
    )
    with queue_tab:
        queue = queue_section(me)
        alert_id = pick_alert(queue)
        if alert_id is not None:
            st.divider()
            render_card(alert_id, me, people)
    with rules:
        rules_tab(config, me)
    with playbooks:
        playbooks_tab(config, me)
    with notes:
        notifications_tab(me)


try:
    main()
except DATABASE_ERRORS as exc:
    show_database_error(exc, where="triage")
