"""The user's language in pages: picked in the sidebar, kept in the URL (``?lang=en``).

The URL wins, so a shared link opens in its language; the session remembers the choice
when navigation drops the query string, and the choice is written back into the URL.
"""

from __future__ import annotations

import streamlit as st

from core.i18n import DEFAULT_LOCALE, gettext, normalize_locale

LANG_PARAM = "lang"
_STATE_KEY = "console_locale"


def current_locale() -> str:
    """The locale of this session: the URL's ``lang``, else the session's, else es_AR."""
    value = st.query_params.get(LANG_PARAM)
    if value:
        locale = normalize_locale(value)
        st.session_state[_STATE_KEY] = locale
        return locale
    return str(st.session_state.get(_STATE_KEY, DEFAULT_LOCALE))


def set_locale(locale: str) -> None:
    locale = normalize_locale(locale)
    st.session_state[_STATE_KEY] = locale
    st.query_params[LANG_PARAM] = locale


def _(message: str) -> str:
    """``message`` translated into the session's language."""
    return gettext(message, current_locale())
