"""The sidebar every page shares: the language, and who is signed in with a way out."""

from __future__ import annotations

import streamlit as st

from core.auth.roles import ROLE_LABELS
from core.auth.sessions import SignedInUser
from core.i18n import LANGUAGE_NAMES, SUPPORTED_LOCALES
from ui.auth import sign_out_now
from ui.i18n import _, current_locale, set_locale


def _language_picker() -> None:
    locale = current_locale()
    choice = st.sidebar.selectbox(
        _("Language"),
        SUPPORTED_LOCALES,
        index=SUPPORTED_LOCALES.index(locale),
        format_func=LANGUAGE_NAMES.__getitem__,
        key="sidebar_language",
    )
    if choice != locale:
        set_locale(choice)
        st.rerun()
    st.query_params["lang"] = locale  # keep it in the URL so links carry it


def _signed_in(user: SignedInUser) -> None:
    role = _(ROLE_LABELS.get(user.role, user.role))
    # A name is user-written text: shown as plain text, never as markdown.
    st.sidebar.text(f"{user.full_name} · {role}")
    if st.sidebar.button(_("Sign out"), icon=":material/logout:", key="sidebar_sign_out"):
        sign_out_now()  # reruns (or, after single sign-on, leaves through the provider)


def render_sidebar(user: SignedInUser) -> None:
    _language_picker()
    _signed_in(user)
