"""The wizard's lists: onboardings to resume, and the manual-review queue with decisions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import streamlit as st

from core import formatting as fmt
from core.errors import DomainError
from core.queries.onboarding import in_progress, review_queue
from core.security import markdown_safe
from core.workflows.onboarding.drafts import SESSION_PARAM
from core.workflows.onboarding.steps import STEP_TITLES
from core.workflows.onboarding.verification import DecideReview, describe
from ui import db
from ui.auth import current_actor
from ui.errors import show_error
from ui.i18n import _, current_locale
from ui.versions import shown_version


def open_session(session_id: int) -> None:
    st.query_params[SESSION_PARAM] = str(session_id)
    st.rerun()


def check_lines(draft: dict[str, Any] | None, locale: str) -> list[str]:
    checks = ((draft or {}).get("verification") or {}).get("checks") or []
    return [f"`{c['code']}` {describe(c, locale)}" for c in checks]


def resume_list(at: datetime) -> None:
    locale = current_locale()
    with db.session() as session:
        sessions = in_progress(session=session, at=at)
    st.subheader(_("Onboardings in progress"), divider="gray")
    if sessions.empty:
        st.info(_("No onboarding is in progress."), icon=":material/inbox:")
        return
    for row in sessions.head(30).itertuples():
        name = row.business_name or _("(no business name yet)")
        who = row.operator if isinstance(row.operator, str) else _("nobody")
        step = _(STEP_TITLES.get(row.current_step, row.current_step))
        idle = fmt.format_duration(row.idle_s, locale=locale)
        text, button = st.columns([5, 1], vertical_alignment="center")
        text.markdown(
            _("**{name}** · #{id} · {who} · step: {step} · idle {idle}").format(
                name=markdown_safe(name),
                id=row.session_id,
                who=markdown_safe(who),
                step=step,
                idle=idle,
            )
        )
        if button.button(_("Resume"), key=f"resume_{row.session_id}", icon=":material/play_arrow:"):
            open_session(int(row.session_id))


def decision_form(session_id: int, key: str, version: int) -> None:
    """Approve or reject one flagged onboarding, with a comment (the sidebar operator decides);
    ``version`` is the session's version the user saw."""
    locale = current_locale()
    comment = st.text_input(_("Reviewer's comment"), key=f"{key}_comment")
    approve, reject, _spacer = st.columns([1, 1, 3])
    choice = None
    if approve.button(_("Approve"), key=f"{key}_approve", icon=":material/check:", type="primary"):
        choice = True
    if reject.button(_("Reject"), key=f"{key}_reject", icon=":material/block:"):
        choice = False
    if choice is None:
        return
    try:
        db.execute(
            DecideReview(
                session_id,
                approve=choice,
                comment=comment,
                locale=locale,
                expected_version=version,
            ),
            actor=current_actor(),
        )
    except DomainError as exc:
        show_error(exc)
        return
    st.session_state["onboarding_notice"] = _("Decision recorded for onboarding #{id}.").format(
        id=session_id
    )
    st.rerun()


def review_queue_panel() -> None:
    locale = current_locale()
    with db.session() as session:
        queue = review_queue(session=session)
    st.subheader(_("Manual review queue"), divider="gray")
    if not queue:
        st.info(_("No onboarding is waiting for review."), icon=":material/verified:")
        return
    for row in queue:
        with st.container(border=True):
            st.markdown(f"**{markdown_safe(row.business_name)}** · #{row.id}")
            for line in check_lines(row.draft, locale):
                st.markdown(f"- {markdown_safe(line)}")
            version = shown_version("onboarding", row.id, row.version)
            decision_form(row.id, key=f"queue_{row.id}", version=version)
