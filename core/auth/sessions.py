"""Server-side sign-in sessions: a random token in the browser, its hash in the database.

Every page run, fragment reruns included, resolves the token again (:func:`resolve`), so
a sign-out, an expiry, a deactivation or a role change reaches every open tab at its
next refresh. Only real activity (a click, a page) moves the idle clock.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from core.clock import now
from core.config import Settings
from core.schema import AuthSession, ConsoleUser

# The browser's cookie holding the token, and the form that sets it (web/auth_routes.py).
SESSION_COOKIE = "barberpro_session"
SIGN_IN_PATH = "/signin"
# Activity closer together than this is written once: a click is not a database write.
_ACTIVITY_GRANULARITY = timedelta(seconds=60)


@dataclass(frozen=True)
class SignedInUser:
    """The person behind a page run or a request, as the database says now."""

    user_id: int
    email: str
    full_name: str
    role: str
    session_id: int | None = None
    method: str = "password"


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def idle_timeout_for(role: str, settings: Settings) -> float:
    return settings.display_idle_timeout_s if role == "display" else settings.session_idle_timeout_s


def start_session(
    *,
    session: Session,
    user: ConsoleUser,
    method: str,
    settings: Settings,
    address: str | None = None,
    user_agent: str | None = None,
    source_hash: str | None = None,
) -> str:
    """Open a session for ``user`` and return its token (shown once, to the browser)."""
    token = secrets.token_urlsafe(32)
    moment = now()
    session.add(
        AuthSession(
            token_hash=token_hash(token),
            user_id=user.id,
            method=method,
            created_at=moment,
            last_active_at=moment,
            idle_timeout_s=idle_timeout_for(user.role, settings),
            address=(address or "")[:64] or None,
            user_agent=(user_agent or "")[:200] or None,
            source_hash=source_hash,
        )
    )
    return token


def resolve(*, session: Session, token: str | None, activity: bool) -> SignedInUser | None:
    """The user a token signs in, or None (unknown, revoked, expired or deactivated).

    An expired session is revoked on the way; ``activity`` (a click, not an automatic
    refresh) moves its idle clock. The caller commits.
    """
    if not token or len(token) > 200:
        return None
    row = session.execute(
        select(AuthSession, ConsoleUser)
        .join(ConsoleUser, ConsoleUser.id == AuthSession.user_id)
        .where(AuthSession.token_hash == token_hash(token))
    ).one_or_none()
    if row is None:
        return None
    auth, user = row
    if auth.revoked_at is not None:
        return None
    moment = now()
    if not user.active:
        _revoke(auth, moment, "deactivated")
        return None
    if moment - auth.last_active_at > timedelta(seconds=auth.idle_timeout_s):
        _revoke(auth, moment, "expired")
        return None
    if activity and moment - auth.last_active_at >= _ACTIVITY_GRANULARITY:
        auth.last_active_at = moment
    return SignedInUser(
        user_id=user.id,
        email=user.email,
        full_name=user.full_name,
        role=user.role,
        session_id=auth.id,
        method=auth.method,
    )


def end_session(*, session: Session, token: str | None, reason: str = "signed_out") -> int | None:
    """Revoke the session of ``token``; the user id it belonged to, or None."""
    if not token:
        return None
    auth = session.scalar(select(AuthSession).where(AuthSession.token_hash == token_hash(token)))
    if auth is None or auth.revoked_at is not None:
        return None
    _revoke(auth, now(), reason)
    return auth.user_id


def revoke_user_sessions(*, session: Session, user_id: int, reason: str) -> int:
    """Revoke every open session of a user (deactivation, password change); how many."""
    result = session.execute(
        update(AuthSession)
        .where(AuthSession.user_id == user_id, AuthSession.revoked_at.is_(None))
        .values(revoked_at=now(), revoked_reason=reason)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def _revoke(auth: AuthSession, moment: datetime, reason: str) -> None:
    auth.revoked_at = moment
    auth.revoked_reason = reason
