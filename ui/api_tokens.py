"""API tokens on pages: the list, issuing one (shown once) and revoking one.

Shared by the API tokens page (administrators, every token) and My account (a user's
own). Writes go through IssueApiToken and RevokeApiToken as the signed-in user; the
commands check who may do what again.

The plain token exists only in the run that issued it: it is a local variable drawn in
a code block, never put in the session state, the query string or a log. Any rerun
(the "hide" button, a filter, another page) draws the page without it.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from core.auth.api_tokens import (
    MAX_EXPIRES_DAYS,
    NAME_MAX_LENGTH,
    IssueApiToken,
    IssuedToken,
    RevokeApiToken,
)
from core.auth.roles import ROLE_LABELS
from core.errors import DomainError
from core.formatting import format_datetime
from core.security import markdown_safe
from dashboards.api_tokens import (
    STATE_LABELS,
    revocable,
    token_choice,
    token_table,
)
from ui import db
from ui.auth import current_actor
from ui.errors import show_error
from ui.i18n import _, current_locale
from ui.render import show_table

DEFAULT_EXPIRES_DAYS = 90
_DONE_KEY = "api_token_done"


def show_done() -> None:
    """The previous run's confirmation (a revocation), once."""
    done = st.session_state.pop(_DONE_KEY, None)
    if done:
        st.success(done, icon=":material/check:")


def user_choice(user: pd.Series) -> str:
    """A console user in a picker: name, e-mail and role."""
    role = _(ROLE_LABELS.get(user["role"], user["role"]))
    return f"{user['full_name']} · {user['email']} · {role}"


def token_list(frame: pd.DataFrame, *, own: bool = False) -> None:
    """The tokens as a table: hints only, never a secret."""
    table = token_table(frame, locale=current_locale(), own=own)
    moment = "DD/MM/YYYY HH:mm"
    show_table(
        table,
        column_config={
            "token_id": st.column_config.NumberColumn("#", format="%d", width="small"),
            "full_name": _("User"),
            "email": _("Email"),
            "role": _("Role"),
            "name": st.column_config.TextColumn(_("Label"), width="medium"),
            "hint": st.column_config.TextColumn(
                _("Hint"), help=_("The token's first characters, to recognise it.")
            ),
            "created_at": st.column_config.DatetimeColumn(_("Created"), format=moment),
            "created_by": _("Issued by"),
            "expires_at": st.column_config.DatetimeColumn(
                _("Expires"), format=moment, help=_("A dash: it never expires.")
            ),
            "last_used_at": st.column_config.DatetimeColumn(
                _("Last used"), format=moment, help=_("A dash: not used yet.")
            ),
            "state": _("State"),
        },
    )


def state_summary(frame: pd.DataFrame) -> str:
    """ "5 tokens: 3 active, 1 expired, 1 revoked, 0 of deactivated users"."""
    counts = frame["state"].value_counts()
    return _(
        "{total} tokens: {active} active, {expired} expired, {revoked} revoked, "
        "{deactivated} of deactivated users."
    ).format(
        total=len(frame),
        active=int(counts.get("active", 0)),
        expired=int(counts.get("expired", 0)),
        revoked=int(counts.get("revoked", 0)),
        deactivated=int(counts.get("user_deactivated", 0)),
    )


def state_filter(key: str) -> list[str]:
    """The states to show (none picked: all)."""
    labels = {state: _(label) for state, label in STATE_LABELS.items()}
    return st.multiselect(
        _("State"),
        list(labels),
        format_func=labels.__getitem__,
        placeholder=_("Every state"),
        key=key,
    )


def issue_form(users: pd.DataFrame) -> IssuedToken | None:
    """Choose an active user, a label and an expiry; issue the token as the signed-in
    administrator. Returns the issued token (show it now, once) or None."""
    active = users[users["active"]]
    choices = {int(row["user_id"]): user_choice(row) for _i, row in active.iterrows()}
    with st.form("issue_api_token", clear_on_submit=True):
        user_id = st.selectbox(
            _("For"),
            list(choices),
            index=None,
            format_func=choices.__getitem__,
            placeholder=_("Choose an active user"),
            help=_("The token acts as this user, with their role as it is at each request."),
        )
        label = st.text_input(
            _("Label"),
            max_chars=NAME_MAX_LENGTH,
            placeholder=_("What it is for: signup flow, finance export..."),
        )
        days = st.number_input(
            _("Expires in (days)"),
            value=DEFAULT_EXPIRES_DAYS,
            step=1,
            help=_("From 1 to {n} days.").format(n=MAX_EXPIRES_DAYS),
        )
        never = st.checkbox(
            _("Never expires"),
            help=_("Only for integrations someone looks after: it works until revoked."),
        )
        submitted = st.form_submit_button(
            _("Issue the token"), type="primary", icon=":material/key:"
        )
    if not submitted:
        return None
    if user_id is None:
        st.error(_("Choose who the token is for."))
        return None
    try:
        return db.execute(
            IssueApiToken(int(user_id), label, None if never else int(days)),
            actor=current_actor(),
        )
    except DomainError as error:
        show_error(error)
        return None


def show_issued_once(issued: IssuedToken, holder: str) -> None:
    """The new token in a code block with a copy button, and the warning that this is
    the only time it is shown."""
    with st.container(border=True):
        expires = (
            format_datetime(issued.expires_at, locale=current_locale())
            if issued.expires_at
            else _("never")
        )
        st.success(
            _("Token #{id} \u201c{label}\u201d issued for {holder}; it expires: {expires}.").format(
                id=issued.token_id,
                label=markdown_safe(issued.name),
                holder=markdown_safe(holder),
                expires=expires,
            ),
            icon=":material/key:",
        )
        st.warning(
            _(
                "Copy it now: it is shown only this once. Only its fingerprint is stored, so "
                "it cannot be shown again; a lost token is revoked and replaced."
            ),
            icon=":material/warning:",
        )
        st.code(issued.token, language=None, wrap_lines=True)
        st.caption(_("Send it in every request's header: `Authorization: Bearer <token>`."))
        st.button(_("I copied it: hide the token"), icon=":material/visibility_off:")


def revoke_form(frame: pd.DataFrame, *, key: str) -> None:
    """Pick a token that is not revoked, confirm, revoke it (then rerun with a note)."""
    choices = {int(row["token_id"]): token_choice(row) for _i, row in frame.iterrows()}
    options = [int(t) for t in revocable(frame)["token_id"]]
    # A pick stays a choice after someone revoked it in another window: the command then
    # says so, instead of the pick vanishing silently.
    kept = st.session_state.get(f"{key}_pick")
    if kept is not None and kept in choices and kept not in options:
        options.append(kept)
    with st.form(key, clear_on_submit=True):
        token_id = st.selectbox(
            _("Token"),
            options,
            index=None,
            format_func=choices.__getitem__,
            placeholder=_("Choose a token to revoke"),
            key=f"{key}_pick",
        )
        sure = st.checkbox(
            _("Yes, revoke it: whatever uses it gets 401 from the next request on."),
            key=f"{key}_sure",
        )
        submitted = st.form_submit_button(_("Revoke"), icon=":material/block:")
    if not submitted:
        return
    if token_id is None:
        st.error(_("Choose the token to revoke."))
        return
    if not sure:
        st.error(_("Tick the confirmation to revoke the token."))
        return
    try:
        db.execute(RevokeApiToken(int(token_id)), actor=current_actor())
    except DomainError as error:
        show_error(error)
        return
    st.session_state[_DONE_KEY] = _("Token #{id} revoked: it no longer signs in.").format(
        id=token_id
    )
    st.rerun()
