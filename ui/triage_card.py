"""The triage page's tenant card: why the alert fired, the tenant's recent life, and the
forms that work the alert (playbook tasks, log an action, assign, snooze, escalate, close).

Every form runs one command from ``core.workflows.alerts.commands``; a refused command
shows its one-sentence message and changes nothing.
"""

from __future__ import annotations

import time
from datetime import timedelta

import pandas as pd
import streamlit as st

from core import formatting as fmt
from core.clock import now, today
from core.commands import Command
from core.errors import DomainError
from core.security import markdown_safe
from core.workflows.alerts import commands
from core.workflows.alerts.definitions import ACTION_KINDS, CLOSE_OUTCOMES
from core.workflows.alerts.queries import TenantCard, tenant_card
from core.workflows.alerts.signals import model_function
from dashboards import triage as view
from dashboards.links import tenant_url
from ui import db
from ui.auth import current_actor, current_scope, personal_data
from ui.errors import error_text
from ui.i18n import _, current_locale
from ui.job_notice import notice_for
from ui.render import show_figure, show_table, show_tiles
from ui.versions import shown_version

_FLASH = "triage_flash"


def run_command(command: Command[object], success: str) -> bool:
    """Run a command as the sidebar's operator; on success remember a message and rerun."""
    try:
        db.execute(command, actor=current_actor())
    except DomainError as error:
        st.error(error_text(error), icon=":material/block:")
        return False
    st.session_state[_FLASH] = success
    st.rerun()
    return True  # pragma: no cover - st.rerun() does not return


def show_flash() -> None:
    message = st.session_state.pop(_FLASH, None)
    if message:
        st.success(message, icon=":material/check_circle:")


def load_card(alert_id: int) -> tuple[TenantCard | None, float]:
    model_function("health", "health_history")  # a first import is not the card's time
    started = time.perf_counter()
    with db.session() as session:
        card = tenant_card(session=session, alert_id=alert_id, at=now())
    return card, (time.perf_counter() - started) * 1000


def render_card(alert_id: int, me: int | None, users: pd.DataFrame) -> None:
    locale = current_locale()
    card, elapsed_ms = load_card(alert_id)
    if card is None:
        st.warning(_("Alert #{id} does not exist.").format(id=alert_id))
        return
    # Every form's command carries the version the user saw: a stale card is refused.
    card.alert["version"] = shown_version("alert", alert_id, card.alert["version"])
    a, t = card.alert, card.tenant
    if not current_scope().allows(int(t["id"])):
        st.warning(
            _("Alert #{id} is for a tenant outside your book of business.").format(id=alert_id)
        )
        return
    t = personal_data(dict(t), int(t["id"]), page="triage")  # masked, or shown and audited
    link = tenant_url(t["id"], t["trade_name"], locale=locale).split("&name=")[0]
    st.subheader(
        f"{markdown_safe(t['trade_name'])} · {view.reason_label(a['reason'], locale)}",
        anchor=False,
    )
    # Our own link, then what tenants and users typed, shown as text.
    facts = (
        f"{t['tier']} · {t['plan']} · {t['city']}, {t['province']} · {_('CS owner')}: "
        f"{t['cs_owner'] or fmt.MISSING} · {t['owner_name']} {t['phone']}"
    )
    st.markdown(f"[{_('Open Tenant 360')}]({link}) · {markdown_safe(facts)}")
    if a["arm"] == "holdout":
        st.warning(
            _(
                "Holdout: this alert was drawn at random to get no outreach, so the "
                "Outcomes view can measure what interventions change. Do not contact the tenant."
            ),
            icon=":material/science:",
        )
    if a["status"] == "closed":
        st.info(
            _("Closed on {day} with outcome: {outcome}.").format(
                day=fmt.format_datetime(a["closed_at"], locale=locale),
                outcome=view.outcome_label(a["outcome"], locale),
            )
        )
    show_tiles(view.card_tiles(a, locale=locale))

    why, drivers = st.columns(2)
    with why:
        st.markdown(f"**{_('Why this alert')}**")
        for line in view.signal_lines(a["reason"], card.signal, locale=locale):
            st.markdown(f"- {markdown_safe(line)}")  # quotes NPS comments
        if a["status"] == "snoozed":
            st.caption(
                _("Snoozed until {day}: {reason}").format(
                    day=fmt.format_datetime(a["snoozed_until"], locale=locale),
                    reason=markdown_safe(a["snooze_reason"] or ""),
                )
            )
        if a["escalated_at"]:
            st.caption(
                _("Escalated: {note}").format(note=markdown_safe(a["escalation_note"] or ""))
            )
    with drivers:
        st.markdown(f"**{_('Risk drivers')}**")
        texts = view.driver_texts(card.drivers, card.driver_messages, locale=locale)
        if texts:
            for driver in texts:
                st.markdown(f"- {driver}")
        else:
            st.caption(_("No churn-model drivers for this tenant yet."))
    left, right = st.columns(2)
    with left:
        note = card.health_note
        if card.health is None or card.health.empty:  # say why: the job failed, or runs
            notice = notice_for("health_scores", at=now(), locale=locale)
            note = notice.text if notice is not None else note
        show_figure(view.health_figure(card.health, locale=locale, note=note))
    with right:
        show_figure(view.bookings_figure(card.bookings, locale=locale))

    work, act, manage, close, activity, history = st.tabs(
        [
            _("Playbook"),
            _("Log action"),
            _("Assign · snooze · escalate"),
            _("Close"),
            _("Recent activity"),
            _("History"),
        ],
        key="triage_card_tabs",  # keyed, so a form's rerun stays on its tab
    )
    live = a["status"] != "closed"
    with work:
        _playbook(card, me, live)
    with act:
        _log_action(card, me, live)
    with manage:
        _manage(card, me, users, live)
    with close:
        _close(card, me, live)
    with activity:
        if card.events.empty:
            st.info(_("Nothing recorded for this tenant in the last 90 days."))
        else:
            show_table(view.events_table(card.events, locale=locale))
    with history:
        show_table(view.history_table(card.history, locale=locale))
    st.caption(_("Card loaded in {ms} ms (server side).").format(ms=f"{elapsed_ms:.0f}"))


def _version(card: TenantCard) -> int:
    return int(card.alert["version"])


def _holdout_or_closed(card: TenantCard, live: bool) -> bool:
    if not live:
        st.caption(_("This alert is closed."))
        return True
    if card.alert["arm"] == "holdout":
        st.caption(_("Held out from outreach: nothing to do here."))
        return True
    return False


def _playbook(card: TenantCard, me: int | None, live: bool) -> None:
    alert_id = card.alert["id"]
    frozen = _holdout_or_closed(card, live)
    for index, task in enumerate(card.tasks):
        done = bool(task.get("done_at"))
        ticked = st.checkbox(
            _(task["text"]),
            value=done,
            key=f"triage_task_{alert_id}_{index}_{done}",
            disabled=frozen,
        )
        if ticked != done:
            run_command(
                commands.SetTask(alert_id, index, ticked, expected_version=_version(card)),
                _("Task updated."),
            )


def _log_action(card: TenantCard, me: int | None, live: bool) -> None:
    if _holdout_or_closed(card, live):
        return
    locale = current_locale()
    with st.form(f"triage_action_{card.alert['id']}", clear_on_submit=True):
        kind = st.selectbox(
            _("What did you do?"),
            ACTION_KINDS,
            format_func=lambda k: view.action_label(k, locale),
            key="triage_action_kind",
        )
        note = st.text_area(_("Note"), key="triage_action_note", height=80)
        if st.form_submit_button(_("Log action"), icon=":material/add_task:"):
            run_command(
                commands.LogAction(card.alert["id"], kind, note, expected_version=_version(card)),
                _("Action logged."),
            )


def _manage(card: TenantCard, me: int | None, users: pd.DataFrame, live: bool) -> None:
    if not live:
        st.caption(_("This alert is closed."))
        return
    alert_id = card.alert["id"]
    names = dict(zip(users["id"], users["full_name"] + " (" + users["role"] + ")", strict=True))
    ids = list(names)
    assign, snooze, escalate = st.columns(3)
    with assign, st.form(f"triage_assign_{alert_id}"):
        current = card.alert["assignee_id"]
        who = st.selectbox(
            _("Assign to"),
            ids,
            index=ids.index(current) if current in ids else None,
            format_func=names.__getitem__,
            key="triage_assignee",
        )
        if st.form_submit_button(_("Assign"), icon=":material/person_add:"):
            run_command(
                commands.AssignAlert(alert_id, who, expected_version=_version(card)),
                _("Alert assigned."),
            )
    with snooze, st.form(f"triage_snooze_{alert_id}"):
        until = st.date_input(
            _("Snooze until"), value=today() + timedelta(days=7), key="triage_snooze_until"
        )
        why = st.text_input(_("Reason"), key="triage_snooze_reason")
        if st.form_submit_button(_("Snooze"), icon=":material/snooze:"):
            run_command(
                commands.SnoozeAlert(alert_id, until, why, expected_version=_version(card)),
                _("Alert snoozed."),
            )
    with escalate, st.form(f"triage_escalate_{alert_id}"):
        if card.alert["arm"] == "holdout":
            st.caption(_("Held out from outreach: nothing to do here."))
        admins = [i for i in ids if str(names[i]).endswith("(admin)")]
        to = st.selectbox(
            _("Escalate to"),
            ids,
            index=ids.index(admins[0]) if admins else None,
            format_func=names.__getitem__,
            key="triage_escalate_to",
        )
        note = st.text_input(_("Why"), key="triage_escalate_note")
        if st.form_submit_button(_("Escalate"), icon=":material/priority_high:"):
            run_command(
                commands.EscalateAlert(alert_id, to, note, expected_version=_version(card)),
                _("Alert escalated."),
            )


def _close(card: TenantCard, me: int | None, live: bool) -> None:
    if not live:
        st.caption(_("This alert is closed."))
        return
    locale = current_locale()
    with st.form(f"triage_close_{card.alert['id']}"):
        outcome = st.selectbox(
            _("Outcome"),
            CLOSE_OUTCOMES,
            index=None,
            placeholder=_("Choose an outcome"),
            format_func=lambda o: view.outcome_label(o, locale),
            key="triage_close_outcome",
        )
        note = st.text_area(_("Note"), key="triage_close_note", height=80)
        if st.form_submit_button(_("Close alert"), icon=":material/task_alt:", type="primary"):
            run_command(
                commands.CloseAlert(
                    card.alert["id"], outcome, note, expected_version=_version(card)
                ),
                _("Alert closed."),
            )
