"""My account: who I am, my role, changing my own password, and my API tokens."""

import streamlit as st

from core.auth.passwords import MIN_LENGTH
from core.auth.roles import ROLE_LABELS
from core.clock import now
from core.errors import DomainError
from core.queries.api_tokens import api_tokens
from core.users import ChangeOwnPassword
from ui import api_tokens as tokens_ui
from ui import db
from ui.auth import current_actor, signed_in_user
from ui.errors import show_error
from ui.i18n import _

st.title(_("My account"))
user = signed_in_user()
if user is not None:
    st.text(f"{user.full_name} · {user.email} · {_(ROLE_LABELS.get(user.role, user.role))}")
    st.subheader(_("Change my password"), anchor=False)
    st.caption(
        _(
            "At least {n} characters; a few unrelated words in a row work well. "
            "After the change, every session of yours ends and you sign in again."
        ).format(n=MIN_LENGTH)
    )
    with st.form("change_password", clear_on_submit=True):
        current = st.text_input(_("Current password"), type="password")
        new = st.text_input(_("New password"), type="password")
        again = st.text_input(_("New password, again"), type="password")
        submitted = st.form_submit_button(_("Change password"), type="primary")
    if submitted:
        if new != again:
            st.error(_("The two new passwords differ."))
        else:
            try:
                db.execute(ChangeOwnPassword(current, new), actor=current_actor())
            except DomainError as error:
                show_error(error)
            else:
                st.success(_("Password changed. Sign in again with the new one."))

    st.subheader(_("My API tokens"), anchor=False)
    tokens_ui.show_done()
    with db.session() as session:
        mine = api_tokens(session=session, at=now(), user_id=user.user_id)
    if mine.empty:
        st.caption(
            _(
                "You have no API tokens. Tokens for the JSON API are issued by an "
                "administrator (page API tokens); each acts as you, with your role."
            )
        )
    else:
        st.caption(
            _(
                "Tokens for the JSON API that act as you. Revoke one you no longer use or "
                "that may have leaked; to get a new one, ask an administrator."
            )
        )
        tokens_ui.token_list(mine, own=True)
        tokens_ui.revoke_form(mine, key="revoke_my_api_token")
