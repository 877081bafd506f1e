"""Signing in and out: the flows behind the sign-in form, single sign-on and the sidebar.

Each runs in one transaction that records the attempt and the audit event with it.
A failure has one message whatever went wrong (no account, a wrong password, a
deactivated account, a lock), so the form reveals nothing about which accounts exist.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from core.audit import record
from core.auth.passwords import hash_password, needs_rehash, verify_password
from core.auth.sessions import SignedInUser, end_session, resolve, start_session
from core.auth.throttle import account_key, is_locked, record_attempt
from core.clock import now
from core.config import Settings
from core.db import write_unit
from core.i18n import N_
from core.schema import AuthSession, ConsoleUser

SIGN_IN_FAILED = N_(
    "Those details don't let you in. Check your email and password and try again; "
    "after {n} failed attempts, sign-in pauses for {minutes} minutes."
)
SSO_AGAIN = N_("Your session ended. Sign in with your company account again.")
NO_ACCESS = N_(
    "You are signed in as {email}, but no active console account has that email. "
    "Ask an administrator for access."
)


@dataclass(frozen=True)
class SignInResult:
    user: SignedInUser | None
    token: str | None = None  # for the browser's cookie; never logged nor stored
    failure: str | None = None  # a msgid with {n} and {minutes}

    @property
    def ok(self) -> bool:
        return self.user is not None


def user_by_email(*, session: Session, email: str) -> ConsoleUser | None:
    key = account_key(email)
    return session.scalar(select(ConsoleUser).where(func.lower(ConsoleUser.email) == key))


def sign_in_with_password(
    *,
    email: str,
    password: str,
    address: str,
    settings: Settings,
    user_agent: str | None = None,
    engine: Engine | None = None,
) -> SignInResult:
    """Check an e-mail and password; on success open a session and return its token."""
    failed = SignInResult(user=None, failure=SIGN_IN_FAILED)
    with write_unit(engine) as session:
        if is_locked(session=session, email=email, address=address, settings=settings):
            record(
                session=session,
                actor_id=None,
                action="auth.sign_in_refused",
                entity="account",
                entity_id=account_key(email)[:40],
                after={"address": address, "reason": "locked"},
            )
            return failed
        user = user_by_email(session=session, email=email)
        matches = verify_password(user.password_hash if user else None, password)
        if user is None or not matches or not user.active:
            record_attempt(session=session, email=email, address=address, succeeded=False)
            session.flush()
            locked = is_locked(session=session, email=email, address=address, settings=settings)
            record(
                session=session,
                actor_id=user.id if user else None,
                action="auth.lock" if locked else "auth.sign_in_failed",
                entity="account",
                entity_id=account_key(email)[:40],
                after={"address": address},
            )
            return failed
        if user.password_hash and needs_rehash(user.password_hash):
            user.password_hash = hash_password(password)
        record_attempt(session=session, email=email, address=address, succeeded=True)
        return _open(session, user, "password", settings, address, user_agent, None)


def sign_in_verified_email(
    *,
    email: str,
    settings: Settings,
    address: str | None = None,
    user_agent: str | None = None,
    source_hash: str | None = None,
    engine: Engine | None = None,
) -> SignInResult:
    """Single sign-on: the identity provider verified ``email``; open a console session.

    No active console user with that e-mail: no session, and the NO_ACCESS message.
    ``source_hash`` names the provider login; one that already opened a session (now
    ended) opens no other: the user signs in at the provider again.
    """
    with write_unit(engine) as session:
        if source_hash and session.scalar(
            select(AuthSession.id).where(AuthSession.source_hash == source_hash)
        ):
            return SignInResult(user=None, failure=SSO_AGAIN)
        user = user_by_email(session=session, email=email)
        if user is None or not user.active:
            record(
                session=session,
                actor_id=None,
                action="auth.sso_no_access",
                entity="account",
                entity_id=account_key(email)[:40],
                after={"address": address},
            )
            return SignInResult(user=None, failure=NO_ACCESS)
        return _open(session, user, "oidc", settings, address, user_agent, source_hash)


def _open(
    session: Session,
    user: ConsoleUser,
    method: str,
    settings: Settings,
    address: str | None,
    user_agent: str | None,
    source_hash: str | None,
) -> SignInResult:
    """Open a session for ``user``, audit the sign-in, and return it with its token."""
    token = start_session(
        session=session,
        user=user,
        method=method,
        settings=settings,
        address=address,
        user_agent=user_agent,
        source_hash=source_hash,
    )
    record(
        session=session,
        actor_id=user.id,
        action="auth.sign_in",
        entity="user",
        entity_id=user.id,
        after={"method": method, "address": address},
    )
    session.flush()
    return SignInResult(user=resolve(session=session, token=token, activity=False), token=token)


def sign_out(*, token: str | None, engine: Engine | None = None) -> bool:
    """End the session of ``token`` (audited); False when it was not open."""
    with write_unit(engine) as session:
        user_id = end_session(session=session, token=token)
        if user_id is None:
            return False
        record(
            session=session,
            actor_id=user_id,
            action="auth.sign_out",
            entity="user",
            entity_id=user_id,
            after={"at": now().isoformat(timespec="seconds")},
        )
        return True


def current_user(
    *, token: str | None, activity: bool, engine: Engine | None = None
) -> SignedInUser | None:
    """The user a session token signs in now (re-read on every run), or None."""
    if not token:
        return None
    with write_unit(engine) as session:
        return resolve(session=session, token=token, activity=activity)
