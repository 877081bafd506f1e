"""The sidebar every page shares: the language and the operator working the console.

Sign-in comes later; until then the operator picked here is who the audit log records
for onboarding activations and triage actions (``current_operator_id``).
"""

from __future__ import annotations

import logging

import streamlit as st

from core.commands import Actor, actor_for
from core.config import ConfigError, get_settings
from core.db import DATABASE_ERRORS
from core.i18n import LANGUAGE_NAMES, SUPPORTED_LOCALES
from core.queries.operators import active_operators
from ui import db
from ui.i18n import _, current_locale, set_locale

OPERATOR_PARAM = "operator"
_OPERATOR_KEY = "console_operator_id"
_log = logging.getLogger(__name__)


@st.cache_data(ttl=60, show_spinner=False)
def _operators(database_url: str) -> list[tuple[int, str, str]]:
    # Keyed on the URL, so a test or a second database gets its own list.
    with db.session(database_url) as session:
        return [(o.id, o.name, o.role) for o in active_operators(session=session)]


def operators() -> list[tuple[int, str, str]]:
    """(id, name, role) of every active console user; empty when the database is down."""
    try:
        return _operators(get_settings().database_url)
    except (ConfigError, *DATABASE_ERRORS) as exc:
        _log.warning("cannot list console users: %s", exc)
        return []


def current_operator_id() -> int | None:
    """The console user this session acts as (None until one exists)."""
    value = st.session_state.get(_OPERATOR_KEY)
    return int(value) if value is not None else None


def current_actor() -> Actor | None:
    """Who this session's changes are made by (``core.commands.execute`` refuses None)."""
    return actor_for(current_operator_id())


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


def _operator_picker() -> None:
    users = operators()
    if not users:
        return
    ids = [user_id for user_id, _name, _role in users]
    names = {user_id: f"{name} ({role})" for user_id, name, role in users}
    wanted = st.query_params.get(OPERATOR_PARAM) or st.session_state.get(_OPERATOR_KEY)
    try:
        index = ids.index(int(wanted)) if wanted is not None else 0
    except ValueError:
        index = 0
    chosen = st.sidebar.selectbox(
        _("Working as"),
        ids,
        index=index,
        format_func=names.__getitem__,
        key="sidebar_operator",
        help=_("Recorded in the audit log as the author of your changes, until sign-in."),
    )
    st.session_state[_OPERATOR_KEY] = chosen
    st.query_params[OPERATOR_PARAM] = str(chosen)


def render_sidebar() -> None:
    _language_picker()
    _operator_picker()
