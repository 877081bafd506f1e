"""Bearer tokens of the JSON API: issued to console users, shown once, stored hashed.

A token is ``bp_`` plus 32 random bytes (urlsafe base64): the prefix lets secret
scanners (and people) recognise one in a log or a paste, like GitHub's ``ghp_``. The
database keeps only its SHA-256 (``console_api_tokens.token_hash``) and a short hint
(the prefix and 4 more characters) to tell tokens apart in a list.

A token acts as its user, with the user's role *as stored now*: a deactivated user's
tokens stop working at once, a role change applies at the next request. Issuing and
revoking are commands (an admin, from the console or the API), or the same functions
called from the command line (``python -m core.users token``) with no actor and an
audit comment naming the OS user.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from core.audit import record
from core.auth.roles import Capability, can
from core.auth.sessions import SignedInUser, token_hash
from core.clock import now
from core.commands import Actor
from core.errors import DomainError
from core.i18n import N_
from core.schema import ApiToken, ConsoleUser

TOKEN_PREFIX = "bp_"
_HINT_LENGTH = len(TOKEN_PREFIX) + 4
# A token is about 46 characters; anything far longer is not one (and is not hashed).
_MAX_TOKEN_LENGTH = 200
NAME_MAX_LENGTH = 80
MAX_EXPIRES_DAYS = 730
# last_used_at is written at most this often per token: a GET stays (nearly) read-only.
LAST_USED_GRANULARITY = timedelta(seconds=60)


class ApiTokenError(DomainError):
    def __init__(self, message: str, field: str | None = None, **params: object) -> None:
        super().__init__("api_token", message, params, field=field)


@dataclass(frozen=True)
class IssuedToken:
    """A freshly issued token: ``token`` is the only copy of the secret, show it once."""

    token_id: int
    token: str
    user_id: int
    name: str
    expires_at: datetime | None


@dataclass(frozen=True)
class ApiCaller:
    """Who a request's token signs in: the user as stored now, and the token's row."""

    user: SignedInUser
    token_id: int
    last_used_at: datetime | None

    def needs_touch(self, at: datetime) -> bool:
        """Whether ``last_used_at`` is older than a minute (or never written)."""
        return self.last_used_at is None or at - self.last_used_at >= LAST_USED_GRANULARITY


def new_token() -> str:
    """A fresh random token: the prefix and 32 random bytes, urlsafe base64."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def clean_name(name: str | None) -> str:
    """The token's label, whitespace collapsed; 1 to 80 printable characters."""
    text = " ".join((name or "").split())
    if not text or len(text) > NAME_MAX_LENGTH or not text.isprintable():
        raise ApiTokenError(
            N_("Name the token (what it is for) in 1 to {n} characters."),
            "name",
            n=NAME_MAX_LENGTH,
        )
    return text


def expiry_for(expires_days: int | None, *, at: datetime) -> datetime | None:
    """When a token issued at ``at`` for ``expires_days`` days expires (None: never)."""
    if expires_days is None:
        return None
    if isinstance(expires_days, bool) or not isinstance(expires_days, int):
        raise ApiTokenError(N_("The expiry must be a whole number of days."), "expires_days")
    if not 1 <= expires_days <= MAX_EXPIRES_DAYS:
        raise ApiTokenError(
            N_("The expiry must be between 1 and {n} days."), "expires_days", n=MAX_EXPIRES_DAYS
        )
    return at + timedelta(days=expires_days)


def issue_api_token(
    *,
    session: Session,
    user_id: int,
    name: str,
    expires_days: int | None,
    actor_id: int | None,
    comment: str | None = None,
) -> IssuedToken:
    """Store a new token for an active console user and audit it; the caller commits.

    Parameters
    ----------
    session
        The write unit's session.
    user_id
        The console user the token acts as.
    name
        What the token is for (shown in lists; hostile text).
    expires_days
        Days until it stops working; None: until revoked.
    actor_id
        Who issues it (None from the command line, with ``comment`` saying who).
    comment
        The audit row's comment.

    Returns
    -------
    IssuedToken
        With the plain token, which is not stored and cannot be shown again.

    Raises
    ------
    ApiTokenError
        Unknown or inactive user, a bad name or expiry.
    """
    label = clean_name(name)
    moment = now()
    expires_at = expiry_for(expires_days, at=moment)
    user = session.get(ConsoleUser, user_id)
    if user is None or not user.active:
        raise ApiTokenError(
            N_("Tokens are issued to active console users only."), "user", id=user_id
        )
    token = new_token()
    row = ApiToken(
        user_id=user.id,
        token_hash=token_hash(token),
        name=label,
        hint=token[:_HINT_LENGTH],
        created_at=moment,
        created_by=actor_id,
        expires_at=expires_at,
    )
    session.add(row)
    session.flush()
    record(
        session=session,
        actor_id=actor_id,
        action="api_token.issue",
        entity="console_user",
        entity_id=user.id,
        # Never the token nor its hash: the hint is enough to recognise it.
        after={
            "token_id": row.id,
            "name": label,
            "hint": row.hint,
            "expires_at": expires_at.isoformat(timespec="seconds") if expires_at else None,
        },
        comment=comment,
    )
    return IssuedToken(row.id, token, user.id, label, expires_at)


def revoke_api_token(
    *, session: Session, token_id: int, actor_id: int | None, comment: str | None = None
) -> ApiToken:
    """Revoke a token now and audit it; revoking a revoked token is refused.

    Raises
    ------
    ApiTokenError
        No such token, or already revoked.
    """
    row = session.get(ApiToken, token_id)
    if row is None:
        raise ApiTokenError(N_("There is no API token #{id}."), "token_id", id=token_id)
    if row.revoked_at is not None:
        raise ApiTokenError(N_("API token #{id} is revoked already."), "token_id", id=token_id)
    row.revoked_at = now()
    record(
        session=session,
        actor_id=actor_id,
        action="api_token.revoke",
        entity="console_user",
        entity_id=row.user_id,
        after={"token_id": row.id, "name": row.name, "hint": row.hint},
        comment=comment,
    )
    return row


@dataclass(frozen=True)
class ApiTokenInfo:
    """A token as a list shows it: never the secret, only its hint."""

    token_id: int
    email: str
    name: str
    hint: str
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None

    def state(self, at: datetime) -> str:
        """active, expired or revoked at ``at``."""
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at is not None and self.expires_at <= at:
            return "expired"
        return "active"


def list_api_tokens(*, session: Session, user_id: int | None = None) -> list[ApiTokenInfo]:
    """Every token (or one user's), newest first, with its owner's e-mail."""
    query = (
        select(ApiToken, ConsoleUser.email)
        .join(ConsoleUser, ConsoleUser.id == ApiToken.user_id)
        .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
    )
    if user_id is not None:
        query = query.where(ApiToken.user_id == user_id)
    return [
        ApiTokenInfo(
            row.id,
            email,
            row.name,
            row.hint,
            row.created_at,
            row.expires_at,
            row.revoked_at,
            row.last_used_at,
        )
        for row, email in session.execute(query)
    ]


def resolve_api_token(*, session: Session, token: str | None) -> ApiCaller | None:
    """The caller a bearer token signs in, or None.

    None for a missing, malformed, unknown, revoked or expired token, and for a token
    whose user is deactivated. Reads only: :func:`touch_api_token` records the use.
    """
    if not token or len(token) > _MAX_TOKEN_LENGTH or not token.startswith(TOKEN_PREFIX):
        return None
    # The columns only, not the ORM rows: it runs on every API request.
    row = session.execute(
        select(
            ApiToken.id,
            ApiToken.revoked_at,
            ApiToken.expires_at,
            ApiToken.last_used_at,
            ConsoleUser.id,
            ConsoleUser.email,
            ConsoleUser.full_name,
            ConsoleUser.role,
            ConsoleUser.active,
        )
        .join(ConsoleUser, ConsoleUser.id == ApiToken.user_id)
        .where(ApiToken.token_hash == token_hash(token))
    ).one_or_none()
    if row is None:
        return None
    token_id, revoked_at, expires_at, last_used_at, user_id, email, full_name, role, active = row
    if revoked_at is not None or not active:
        return None
    if expires_at is not None and expires_at <= now():
        return None
    signed_in = SignedInUser(
        user_id=user_id, email=email, full_name=full_name, role=role, method="token"
    )
    return ApiCaller(signed_in, token_id, last_used_at)


def touch_api_token(*, session: Session, token_id: int, at: datetime) -> bool:
    """Record that a token was used at ``at``, unless it was within the last minute.

    The condition is in the UPDATE itself, so concurrent requests write it once.
    Returns whether a row was written; the caller commits.
    """
    result = session.execute(
        update(ApiToken)
        .where(
            ApiToken.id == token_id,
            or_(
                ApiToken.last_used_at.is_(None),
                ApiToken.last_used_at <= at - LAST_USED_GRANULARITY,
            ),
        )
        .values(last_used_at=at)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


@dataclass
class IssueApiToken:
    """An administrator issues a token to a console user (the Users page, the API)."""

    required_capability = Capability.MANAGE_USERS

    user_id: int
    name: str
    expires_days: int | None = None

    def validate(self, *, session: Session, actor: Actor) -> None:
        clean_name(self.name)
        expiry_for(self.expires_days, at=now())

    def run(self, *, session: Session, actor: Actor) -> IssuedToken:
        return issue_api_token(
            session=session,
            user_id=self.user_id,
            name=self.name,
            expires_days=self.expires_days,
            actor_id=actor.user_id,
        )


@dataclass
class RevokeApiToken:
    """Revoke a token: an administrator any token, any user their own."""

    required_capability = None

    token_id: int

    def validate(self, *, session: Session, actor: Actor) -> None:
        row = session.get(ApiToken, self.token_id)
        # Someone else's token reads as missing: ids of others' tokens are not confirmed.
        if row is None or (
            row.user_id != actor.user_id and not can(actor.role, Capability.MANAGE_USERS)
        ):
            raise ApiTokenError(N_("There is no API token #{id}."), "token_id", id=self.token_id)

    def run(self, *, session: Session, actor: Actor) -> ApiToken:
        return revoke_api_token(session=session, token_id=self.token_id, actor_id=actor.user_id)
