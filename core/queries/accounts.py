"""Reads behind the Users and Audit log pages (administrators)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.schema import AuditEvent, AuthSession, ConsoleUser, Tenant

AUDIT_ROWS_SHOWN = 2000


def console_users(*, session: Session) -> pd.DataFrame:
    """Every user with role, state, sign-in method, book size and last sign-in."""
    book = (
        select(Tenant.cs_owner_id.label("user_id"), func.count().label("book_size"))
        .where(Tenant.cs_owner_id.is_not(None))
        .group_by(Tenant.cs_owner_id)
        .subquery()
    )
    last = (
        select(AuthSession.user_id, func.max(AuthSession.created_at).label("last_sign_in"))
        .group_by(AuthSession.user_id)
        .subquery()
    )
    rows = session.execute(
        select(
            ConsoleUser.id.label("user_id"),
            ConsoleUser.full_name,
            ConsoleUser.email,
            ConsoleUser.role,
            ConsoleUser.active,
            ConsoleUser.password_hash.is_not(None).label("has_password"),
            func.coalesce(book.c.book_size, 0).label("book_size"),
            last.c.last_sign_in,
        )
        .outerjoin(book, book.c.user_id == ConsoleUser.id)
        .outerjoin(last, last.c.user_id == ConsoleUser.id)
        .order_by(ConsoleUser.active.desc(), ConsoleUser.full_name)
    ).all()
    return pd.DataFrame(
        rows,
        columns=[
            "user_id",
            "full_name",
            "email",
            "role",
            "active",
            "has_password",
            "book_size",
            "last_sign_in",
        ],
    )


def tenants_and_owners(*, session: Session) -> pd.DataFrame:
    """Every tenant with its CS owner (for reassigning books)."""
    rows = session.execute(
        select(Tenant.id.label("tenant_id"), Tenant.trade_name, Tenant.cs_owner_id).order_by(
            Tenant.trade_name
        )
    ).all()
    return pd.DataFrame(rows, columns=["tenant_id", "trade_name", "cs_owner_id"])


def audit_log(
    *,
    session: Session,
    start: date,
    end: date,
    actor_id: int | None = None,
    action_prefix: str | None = None,
    limit: int = AUDIT_ROWS_SHOWN,
) -> pd.DataFrame:
    """Audit events between two days (inclusive), newest first, with the actor's name."""
    query = (
        select(
            AuditEvent.id,
            AuditEvent.occurred_at,
            ConsoleUser.full_name.label("actor"),
            AuditEvent.action,
            AuditEvent.entity,
            AuditEvent.entity_id,
            AuditEvent.before,
            AuditEvent.after,
            AuditEvent.comment,
        )
        .outerjoin(ConsoleUser, ConsoleUser.id == AuditEvent.actor_id)
        .where(
            AuditEvent.occurred_at >= datetime.combine(start, time()),
            AuditEvent.occurred_at < datetime.combine(end + timedelta(days=1), time()),
        )
        .order_by(AuditEvent.occurred_at.desc(), AuditEvent.id.desc())
        .limit(limit)
    )
    if actor_id is not None:
        query = query.where(AuditEvent.actor_id == actor_id)
    if action_prefix:
        query = query.where(AuditEvent.action.startswith(action_prefix, autoescape=True))
    frame = pd.DataFrame(
        session.execute(query).all(),
        columns=[
            "id",
            "occurred_at",
            "actor",
            "action",
            "entity",
            "entity_id",
            "before",
            "after",
            "comment",
        ],
    )
    for column in ("before", "after"):
        frame[column] = frame[column].map(lambda v: "" if v is None else str(v))
    return frame


def audit_actions(*, session: Session) -> list[str]:
    """The kinds of event the log holds (their first word: user, auth, alert, tenant...)."""
    actions = session.scalars(select(AuditEvent.action).distinct()).all()
    return sorted({action.split(".")[0] for action in actions})
