"""Reads behind the API tokens page and My account: tokens as lists show them.

Never the secret nor its hash: a list carries the token's hint (its first characters),
its label, who holds it and who issued it, and its state now.
"""

from __future__ import annotations

from datetime import datetime

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from core.schema import ApiToken, ConsoleUser

# A token's state, in the order that wins: a revoked token stays revoked whatever else
# is true; an expired one cannot come back; a deactivated user's tokens work again if
# the account is reactivated.
TOKEN_STATES = ("active", "expired", "revoked", "user_deactivated")

TOKEN_COLUMNS = [
    "token_id",
    "user_id",
    "full_name",
    "email",
    "role",
    "name",
    "hint",
    "created_at",
    "created_by",
    "expires_at",
    "last_used_at",
    "revoked_at",
    "state",
]


def token_state(
    *,
    revoked_at: datetime | None,
    expires_at: datetime | None,
    user_active: bool,
    at: datetime,
) -> str:
    """active, expired, revoked or user_deactivated at ``at`` (see TOKEN_STATES).

    The same rule as :func:`core.auth.api_tokens.resolve_api_token`: only an ``active``
    token signs a request in.
    """
    if revoked_at is not None:
        return "revoked"
    if expires_at is not None and expires_at <= at:
        return "expired"
    if not user_active:
        return "user_deactivated"
    return "active"


def api_tokens(*, session: Session, at: datetime, user_id: int | None = None) -> pd.DataFrame:
    """Every API token (or one user's), newest first, with its state at ``at``.

    Parameters
    ----------
    session
        A read session.
    at
        The moment states are judged at (``core.clock.now()`` on a page).
    user_id
        Only this console user's tokens (My account); None: everyone's.

    Returns
    -------
    pandas.DataFrame
        One row per token, columns ``TOKEN_COLUMNS``; ``created_by`` is the issuer's
        name, None when the token was issued from the command line.
    """
    issuer = aliased(ConsoleUser)
    query = (
        select(
            ApiToken.id,
            ApiToken.user_id,
            ConsoleUser.full_name,
            ConsoleUser.email,
            ConsoleUser.role,
            ConsoleUser.active,
            ApiToken.name,
            ApiToken.hint,
            ApiToken.created_at,
            issuer.full_name,
            ApiToken.expires_at,
            ApiToken.last_used_at,
            ApiToken.revoked_at,
        )
        .join(ConsoleUser, ConsoleUser.id == ApiToken.user_id)
        .outerjoin(issuer, issuer.id == ApiToken.created_by)
        .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
    )
    if user_id is not None:
        query = query.where(ApiToken.user_id == user_id)
    rows = []
    for row in session.execute(query):
        (
            token_id,
            owner_id,
            full_name,
            email,
            role,
            active,
            name,
            hint,
            created_at,
            created_by,
            expires_at,
            last_used_at,
            revoked_at,
        ) = row
        state = token_state(
            revoked_at=revoked_at, expires_at=expires_at, user_active=bool(active), at=at
        )
        rows.append(
            (
                token_id,
                owner_id,
                full_name,
                email,
                role,
                name,
                hint,
                created_at,
                created_by,
                expires_at,
                last_used_at,
                revoked_at,
                state,
            )
        )
    frame = pd.DataFrame(rows, columns=TOKEN_COLUMNS)
    # None, not NaN, for "issued from the command line" (pandas turns it into NaN).
    frame["created_by"] = (
        frame["created_by"].astype(object).where(frame["created_by"].notna(), None)
    )
    for column in ("created_at", "expires_at", "last_used_at", "revoked_at"):
        frame[column] = pd.to_datetime(frame[column])
    return frame
