"""The triage page's configuration tabs: alert rules, programme settings, playbooks, and
the current user's notification preferences. Each save is one audited command."""

from __future__ import annotations

import streamlit as st

from core import formatting as fmt
from core.auth.roles import Capability
from core.queries.triage import notification_pref, sent_notifications
from core.security import markdown_safe
from core.workflows.alerts import commands
from core.workflows.alerts.definitions import REASONS, RULE_SPECS, AlertConfig
from dashboards import triage as view
from ui import db
from ui.auth import may
from ui.i18n import _, current_locale
from ui.render import show_table
from ui.triage_card import run_command


def rules_tab(config: AlertConfig, me: int | None) -> None:
    if not may(Capability.EDIT_SETTINGS):
        st.caption(_("Only administrators change the rules, the holdout share and playbooks."))
    locale = current_locale()
    st.caption(
        _(
            "The rules run after every refresh. An alert closes by itself when its signal "
            "clears or the tenant churns; a person closes it with an outcome."
        )
    )
    for reason in REASONS:
        spec, rule = RULE_SPECS[reason], config.rules[reason]
        with st.form(f"triage_rule_{reason}"), st.container(border=False):
            st.markdown(f"**{view.reason_label(reason, locale)}** — {_(spec.description)}")
            cols = st.columns([1, 2, 2, 1], vertical_alignment="bottom")
            enabled = cols[0].toggle(_("On"), value=rule.enabled, key=f"rule_on_{reason}")
            threshold = days = None
            if spec.threshold:
                threshold = cols[1].number_input(
                    _(spec.threshold.label),
                    value=float(
                        spec.threshold.default if rule.threshold is None else rule.threshold
                    ),
                    step=1.0 if spec.threshold.integer else 0.05,
                    key=f"rule_threshold_{reason}",
                )
            if spec.days:
                days = cols[2].number_input(
                    _(spec.days.label),
                    value=int(rule.days if rule.days is not None else spec.days.default),
                    step=1,
                    key=f"rule_days_{reason}",
                )
            if cols[3].form_submit_button(_("Save"), disabled=not may(Capability.EDIT_SETTINGS)):
                run_command(
                    commands.UpdateRule(reason, enabled, threshold, days),
                    _("Rule saved."),
                )
    st.divider()
    s = config.settings
    with st.form("triage_programme"):
        st.markdown(f"**{_('Programme')}**")
        cols = st.columns(3)
        share = cols[0].number_input(
            _("Holdout share (%)"),
            value=round(s.holdout_share * 100, 1),
            step=1.0,
            help=_("Share of new alerts drawn at random to get no outreach (default 10%)."),
        )
        bar = cols[1].number_input(
            _("Notify from priority (ARS)"), value=float(s.notify_min_priority), step=5000.0
        )
        cooldown = cols[2].number_input(
            _("Reopen cooldown (days)"),
            value=int(s.reopen_cooldown_days),
            step=1,
            help=_(
                "After a person closes an alert, the same signal does not reopen it for this long."
            ),
        )
        if st.form_submit_button(_("Save"), disabled=not may(Capability.EDIT_SETTINGS)):
            run_command(
                commands.UpdateSettings(share / 100, bar, int(cooldown)),
                _("Settings saved."),
            )


def playbooks_tab(config: AlertConfig, me: int | None) -> None:
    locale = current_locale()
    reason = st.selectbox(
        _("Playbook for"),
        REASONS,
        format_func=lambda r: view.reason_label(r, locale),
        key="triage_playbook_reason",
    )
    book = config.playbooks[reason]
    st.caption(_("New alerts start with these tasks; open alerts keep theirs."))
    with st.form(f"triage_playbook_{reason}"):
        title = st.text_input(_("Title"), value=_(book.title))
        steps = st.text_area(
            _("Tasks, one per line"), value="\n".join(_(s) for s in book.steps), height=180
        )
        if st.form_submit_button(_("Save playbook"), disabled=not may(Capability.EDIT_SETTINGS)):
            run_command(
                commands.UpdatePlaybook(reason, title, steps.splitlines()),
                _("Playbook saved."),
            )


_CLEAR_WEBHOOK = "triage_notify_clear_webhook"


def notifications_tab(me: int | None) -> None:
    if me is None:
        st.info(_("Pick who you are in the sidebar to set your notifications."))
        return
    with db.session() as session:
        pref = notification_pref(session=session, user_id=me)
        sent = sent_notifications(session=session, user_id=me)
    st.caption(
        _(
            "New treated alerts of your book whose priority reaches the programme's bar. A "
            "Slack incoming-webhook URL works as is; e-mail goes through the SMTP relay."
        )
    )
    if st.session_state.pop(_CLEAR_WEBHOOK, False):
        # Saved: the field does not keep the secret for the next run (set before the widget).
        st.session_state["triage_notify_webhook"] = ""
    with st.form("triage_notifications"):
        enabled = st.toggle(_("Notify me"), value=pref.enabled, key="triage_notify_on")
        # The stored URL is a secret: never sent back to the browser, only its masked form.
        if pref.webhook_hint:
            st.caption(_("Current webhook: {hint}").format(hint=markdown_safe(pref.webhook_hint)))
        webhook = st.text_input(
            _("Webhook URL"),
            value="",
            placeholder=_("Leave empty to keep the current one")
            if pref.webhook_hint
            else "https://hooks.slack.com/services/…",
            help=_("An https:// address of an allowed service, such as a Slack incoming webhook."),
            key="triage_notify_webhook",
        )
        remove = (
            st.checkbox(_("Remove the webhook"), value=False, key="triage_notify_remove")
            if pref.webhook_hint
            else False
        )
        email = st.text_input(_("E-mail"), value=pref.email, key="triage_notify_email")
        if st.form_submit_button(_("Save"), key="triage_notify_save"):
            st.session_state[_CLEAR_WEBHOOK] = True
            saved = run_command(
                commands.SetNotificationPref(
                    me, enabled, None if remove else webhook, email, keep_webhook=not remove
                ),
                _("Notification settings saved."),
            )
            if not saved:  # refused: the user corrects what they typed
                st.session_state.pop(_CLEAR_WEBHOOK, None)
    if not sent.empty:
        sent["created_at"] = [
            fmt.format_datetime(v, locale=current_locale()) for v in sent["created_at"]
        ]
        # Fixed statuses (core.workflows.alerts.notify), in the user's language.
        sent["last_error"] = [_(v) if isinstance(v, str) else v for v in sent["last_error"]]
        show_table(sent)
