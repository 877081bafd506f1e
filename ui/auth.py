"""Who is signed in, for every page run: the one place pages learn it.

The browser holds a session token in an HttpOnly cookie set by the sign-in route
(``web/auth_routes.py``); a page reads it from the request that opened its connection and
asks the database who it belongs to, on every run, fragment reruns included, so a
sign-out or a deactivation reaches an open tab at its next refresh. Automatic
(fragment) reruns don't count as activity for the idle timeout.

AppTest cannot carry cookies: tests sign in with :func:`sign_in_for_tests`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import quote

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from core.auth.access import RecordPersonalDataView
from core.auth.masking import PERSONAL_FIELDS, masked
from core.auth.roles import Capability, can
from core.auth.scope import NO_TENANT, TenantScope, tenant_scope
from core.auth.sessions import SESSION_COOKIE, SIGN_IN_PATH, SignedInUser
from core.auth.signin import current_user, sign_out
from core.commands import Actor, execute
from core.config import ConfigError, get_settings
from core.db import DATABASE_ERRORS, get_engine, read_session
from core.errors import DomainError

_log = logging.getLogger(__name__)
_test_user: SignedInUser | None = None


def sign_in_for_tests(user: SignedInUser | None) -> None:
    """Make every page run in this process see ``user`` (None: nobody). Tests only."""
    global _test_user
    _test_user = user


@contextmanager
def signed_in_as(user: SignedInUser | None) -> Iterator[None]:
    previous = _test_user
    sign_in_for_tests(user)
    try:
        yield
    finally:
        sign_in_for_tests(previous)


def _is_automatic_rerun() -> bool:
    ctx = get_script_run_ctx()
    return bool(ctx is not None and ctx.fragment_ids_this_run)


def session_token() -> str | None:
    try:
        token = st.context.cookies.get(SESSION_COOKIE)
    except Exception:  # no request behind this run (a bare script run)
        return None
    return token if isinstance(token, str) else None


# One run asks "who is this?" from many places (actor, role, scope per table); the
# answer is reused for a moment instead of a database round trip each time.
_MEMO_KEY = "_signed_in_memo"
_MEMO_S = 2.0
# While the database does not answer, a browser session checked within this long keeps
# its user, read-only (every write needs the database anyway), so people keep reading the
# last good numbers through an outage instead of being sent to a sign-in that cannot work.
# Nothing can be revoked meanwhile: revoking writes to that same database.
OUTAGE_GRACE_S = 900.0
_SCOPE_MEMO_KEY = "_scope_memo"


def signed_in_user() -> SignedInUser | None:
    """The user this run acts for, re-read from the database now; None when nobody is."""
    if _test_user is not None:
        return _test_user
    token = session_token()
    if not token:
        return None
    memo = st.session_state.get(_MEMO_KEY)
    if memo is not None and memo[0] == token and time.monotonic() - memo[1] < _MEMO_S:
        return memo[2]  # type: ignore[no-any-return]
    try:
        engine = get_engine(get_settings().database_url)
        user = current_user(token=token, activity=not _is_automatic_rerun(), engine=engine)
    except ConfigError as exc:
        _log.warning("cannot check the session: %s", exc)
        return None
    except DATABASE_ERRORS as exc:
        _log.warning("cannot check the session: %s", exc)
        if memo is not None and memo[0] == token and time.monotonic() - memo[1] < OUTAGE_GRACE_S:
            return memo[2]  # type: ignore[no-any-return]
        return None
    st.session_state[_MEMO_KEY] = (token, time.monotonic(), user)
    return user


def current_actor() -> Actor | None:
    """Who this run's changes are made by (``core.commands.execute`` refuses None)."""
    user = signed_in_user()
    return Actor(user.user_id, user.role) if user is not None else None


def current_role() -> str | None:
    user = signed_in_user()
    return user.role if user is not None else None


def may(capability: Capability) -> bool:
    """Whether the signed-in user's role has ``capability`` (pages hide what it can't)."""
    return can(current_role(), capability)


def current_scope() -> TenantScope:
    """The tenants whose rows this run may show (nobody signed in: none)."""
    user = signed_in_user()
    if user is None:
        return NO_TENANT
    try:
        engine = get_engine(get_settings().database_url)
        # Roles that see every tenant (or none) are answered without a query.
        with read_session(engine) as session:
            scope = tenant_scope(session=session, user_id=user.user_id, role=user.role)
    except DATABASE_ERRORS as exc:
        _log.warning("cannot read the book of business: %s", exc)
        # Through an outage, the book this session last read (see OUTAGE_GRACE_S).
        memo = st.session_state.get(_SCOPE_MEMO_KEY)
        return memo[1] if memo is not None and memo[0] == user.user_id else NO_TENANT  # type: ignore[no-any-return]
    except ConfigError as exc:
        _log.warning("cannot read the book of business: %s", exc)
        return NO_TENANT
    st.session_state[_SCOPE_MEMO_KEY] = (user.user_id, scope)
    return scope


def personal_data(record: dict[str, Any], tenant_id: int, *, page: str) -> dict[str, Any]:
    """``record`` with owners' personal data in clear for roles that need it, each such
    view audited (once per page load, not per automatic refresh); masked for the rest."""
    shown = [field for field in PERSONAL_FIELDS if record.get(field)]
    if not shown or not may(Capability.VIEW_PERSONAL_DATA):
        return masked(record)
    if _is_automatic_rerun():
        return record
    try:
        execute(
            RecordPersonalDataView(tenant_id, tuple(shown), page),
            actor=current_actor(),
            engine=get_engine(get_settings().database_url),
        )
    except (DomainError, ConfigError, *DATABASE_ERRORS) as exc:
        # No record, no clear data: the view stays masked.
        _log.warning("personal data view not recorded: %s", exc)
        return masked(record)
    return record


def sign_in_url(locale: str) -> str:
    """The sign-in form, coming back to this page afterwards."""
    try:
        path = st.context.url or "/"
    except Exception:
        path = "/"
    return f"{SIGN_IN_PATH}?lang={quote(locale)}&next={quote(_local_path(path), safe='')}"


def _local_path(url: str) -> str:
    # st.context.url is absolute; keep only the path and query, so "next" stays local.
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    path = parts.path or "/"
    return f"{path}?{parts.query}" if parts.query else path


def sign_out_now() -> None:
    """End this browser's session (every tab of it follows at its next run); after single
    sign-on, also forget the provider login Streamlit keeps (``st.logout``)."""
    user = signed_in_user()
    sign_out(token=session_token(), engine=get_engine(get_settings().database_url))
    st.session_state.pop(_MEMO_KEY, None)
    if user is not None and user.method == "oidc":
        st.logout()  # sends the browser through /auth/logout, then to the sign-in form
        st.stop()  # a rerun here would drop that redirect
    st.rerun()
