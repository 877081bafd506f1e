"""Onboarding sessions as the Onboarding page lists them: who, which step, how idle."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pandas as pd
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from core.schema import ConsoleUser, OnboardingSession, OnboardingStepEvent
from core.workflows.onboarding.drafts import get_session

SESSION_COLUMNS = [
    "session_id",
    "business_name",
    "vertical",
    "tier",
    "operator",
    "status",
    "current_step",
    "verification_status",
    "started_at",
    "activated_at",
    "last_activity_at",
    "idle_s",
    "elapsed_min",
]


def onboarding_sessions(
    *, session: Session, at: datetime, recent_days: int = 7, limit: int = 500
) -> pd.DataFrame:
    """Sessions in progress, plus those touched in the last ``recent_days`` days.

    ``last_activity_at`` is the later of the session's own update and its newest step
    event; ``idle_s`` is the time since then, for sessions still in progress only.
    ``elapsed_min`` runs from the start to activation, or to ``at`` while in progress.
    """
    since = at - timedelta(days=recent_days)
    last_event = (
        select(
            OnboardingStepEvent.session_id,
            func.max(OnboardingStepEvent.entered_at).label("entered"),
            func.max(OnboardingStepEvent.completed_at).label("completed"),
        )
        .group_by(OnboardingStepEvent.session_id)
        .subquery()
    )
    rows = session.execute(
        select(
            OnboardingSession.id.label("session_id"),
            OnboardingSession.business_name,
            OnboardingSession.vertical,
            OnboardingSession.tier,
            ConsoleUser.full_name.label("operator"),
            OnboardingSession.status,
            OnboardingSession.current_step,
            OnboardingSession.verification_status,
            OnboardingSession.started_at,
            OnboardingSession.activated_at,
            OnboardingSession.updated_at,
            last_event.c.entered,
            last_event.c.completed,
        )
        .outerjoin(ConsoleUser, ConsoleUser.id == OnboardingSession.operator_id)
        .outerjoin(last_event, last_event.c.session_id == OnboardingSession.id)
        .where(
            or_(OnboardingSession.status == "in_progress", OnboardingSession.updated_at >= since)
        )
        .order_by(OnboardingSession.updated_at.desc())
        .limit(limit)
    ).all()
    frame = pd.DataFrame([row._asdict() for row in rows])
    if frame.empty:
        return pd.DataFrame(columns=SESSION_COLUMNS)
    moments = frame[["updated_at", "entered", "completed"]].apply(pd.to_datetime)
    frame["last_activity_at"] = moments.max(axis=1)
    in_progress = frame["status"] == "in_progress"
    idle = (pd.Timestamp(at) - frame["last_activity_at"]).dt.total_seconds().clip(lower=0)
    frame["idle_s"] = idle.where(in_progress)
    end = pd.to_datetime(frame["activated_at"]).where(~in_progress, pd.Timestamp(at))
    frame["elapsed_min"] = (end - pd.to_datetime(frame["started_at"])).dt.total_seconds() / 60
    # Sessions still in progress first, then the most recently active.
    frame["finished"] = ~in_progress
    frame = frame.sort_values(["finished", "last_activity_at"], ascending=[True, False])
    return frame[SESSION_COLUMNS].reset_index(drop=True)


@dataclass(frozen=True)
class OnboardingView:
    """One onboarding as the wizard shows it (a plain copy: no database session behind it)."""

    id: int
    business_name: str
    status: str
    current_step: str
    verification_status: str | None
    tenant_id: int | None
    draft: dict[str, Any]
    # The row's optimistic-locking version: commands compare it (``expected_version``).
    version: int = 1


def _view(row: OnboardingSession) -> OnboardingView:
    return OnboardingView(
        id=row.id,
        business_name=row.business_name,
        status=row.status,
        current_step=row.current_step,
        verification_status=row.verification_status,
        tenant_id=row.tenant_id,
        draft=dict(row.draft or {}),
        version=row.version,
    )


def onboarding(*, session: Session, session_id: int, locale: str = "es_AR") -> OnboardingView:
    """One onboarding; raises OnboardingError (``session_missing``) when there is none."""
    return _view(get_session(session=session, session_id=session_id, locale=locale))


def review_queue(*, session: Session, limit: int = 100) -> list[OnboardingView]:
    """Onboardings waiting for a reviewer (verification flagged them), oldest first."""
    rows = session.scalars(
        select(OnboardingSession)
        .where(
            OnboardingSession.status == "in_progress",
            OnboardingSession.verification_status == "manual_review",
        )
        .order_by(OnboardingSession.updated_at)
        .limit(limit)
    )
    return [_view(row) for row in rows]


def in_progress(*, session: Session, at: datetime, limit: int = 200) -> pd.DataFrame:
    """The resume list: sessions in progress, most recently active first."""
    frame = onboarding_sessions(session=session, at=at, recent_days=0, limit=limit)
    return frame[frame["status"] == "in_progress"].reset_index(drop=True)
