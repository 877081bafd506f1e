"""Detail frames of the Onboarding Funnel dashboard: one row per wizard session and one
per step a session entered, plus each activated tenant's first booking.

Onboarding volumes are small (a session per signup, a few hundred a year), so per-session
rows stay tiny while letting the page filter by period, tier and vertical and compute
medians exactly. The wizard (``core/workflows/onboarding_*``) and the demo generator
write the same two tables: ``onboarding_sessions`` and ``onboarding_step_events``.

Incremental (``update_onboarding_funnel``): sessions and steps are re-read whole (a
few hundred rows), but a tenant's first booking is the one costly lookup (the minimum
over its bookings), so it is looked up whole only for activated sessions without one
yet; a session that has one keeps it, unless a booking of its tenant changed since the
previous run was made between the activation and the one found (a late row): the
changed rows are read once for every provider (``Touched.booking_creations``).
"""

from __future__ import annotations

from datetime import date, datetime

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.metrics.detail import FrameProvider
from core.metrics.detail_changes import Touched
from core.schema import Booking, OnboardingSession, OnboardingStepEvent, Tenant

# The wizard's steps in order (core.workflows.onboarding.steps.STEPS); a step name not in
# this list (a future step) is ordered after them, alphabetically.
STEP_ORDER = (
    "business",
    "contact",
    "locations",
    "hours",
    "services",
    "staff",
    "integrations",
    "review",
    "activation",
)
SESSION_COLUMNS = [
    "session_id",
    "business_name",
    "vertical",
    "tier",
    "assisted",
    "status",
    "current_step",
    "verification_status",
    "started_at",
    "activated_at",
    "last_activity_at",
    "tenant_id",
    "trade_name",
    "first_booking_at",
]
STEP_COLUMNS = ["session_id", "step", "step_order", "entered_at", "completed_at"]


def step_order(steps: pd.Series) -> pd.Series:
    """Position of each step in the wizard; unknown steps after the known ones."""
    known = {step: i for i, step in enumerate(STEP_ORDER)}
    extra = sorted(set(steps.dropna()) - set(known))
    known.update({step: len(STEP_ORDER) + i for i, step in enumerate(extra)})
    return steps.map(known).astype("int64")


def _sessions(session: Session) -> pd.DataFrame:
    last_event = (
        select(
            OnboardingStepEvent.session_id,
            func.max(OnboardingStepEvent.entered_at).label("last_entered"),
            func.max(OnboardingStepEvent.completed_at).label("last_completed"),
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
            OnboardingSession.operator_id,
            OnboardingSession.status,
            OnboardingSession.current_step,
            OnboardingSession.verification_status,
            OnboardingSession.started_at,
            OnboardingSession.activated_at,
            OnboardingSession.updated_at,
            OnboardingSession.tenant_id,
            Tenant.trade_name,
            last_event.c.last_entered,
            last_event.c.last_completed,
        )
        .outerjoin(Tenant, Tenant.id == OnboardingSession.tenant_id)
        .outerjoin(last_event, last_event.c.session_id == OnboardingSession.id)
        .order_by(OnboardingSession.id)
    ).all()
    return pd.DataFrame([row._asdict() for row in rows])


def _first_bookings(session: Session, session_ids: list[int] | None = None) -> pd.DataFrame:
    """The first booking made since activation, per activated session (of ``session_ids``
    only, when given)."""
    # One indexed lookup per activated tenant (bookings by tenant_id).
    query = (
        select(OnboardingSession.id.label("session_id"), func.min(Booking.created_at))
        .join(
            Booking,
            (Booking.tenant_id == OnboardingSession.tenant_id)
            & (Booking.created_at >= OnboardingSession.activated_at),
        )
        .where(OnboardingSession.status == "activated", OnboardingSession.tenant_id.is_not(None))
        .group_by(OnboardingSession.id)
    )
    if session_ids is not None:
        if not session_ids:
            return pd.DataFrame(columns=["session_id", "first_booking_at"])
        query = query.where(OnboardingSession.id.in_(session_ids))
    rows = session.execute(query).all()
    return pd.DataFrame(rows, columns=["session_id", "first_booking_at"])


def compute_onboarding_funnel(session: Session, as_of: date) -> dict[str, pd.DataFrame]:
    return _funnel(session, _sessions(session), None, frozenset())


def update_onboarding_funnel(
    session: Session, as_of: date, previous: dict[str, pd.DataFrame], touched: Touched
) -> dict[str, pd.DataFrame]:
    """The funnel with first bookings looked up only where they may have changed."""
    before = previous["onboarding_funnel_sessions"]
    return _funnel(session, _sessions(session), before, touched.booking_creations)


def _known_first_bookings(
    sessions: pd.DataFrame,
    before: pd.DataFrame,
    creations: frozenset[tuple[int, datetime]],
) -> pd.DataFrame:
    """First bookings of the previous run that still hold: same session, tenant and
    activation; a booking changed since (``creations``: tenant, created_at) made after
    the activation and before the one found replaces it."""
    columns = ["session_id", "first_booking_at"]
    if before.empty or sessions.empty:
        return pd.DataFrame(columns=columns)
    found = before[before["first_booking_at"].notna()]
    now = sessions[sessions["status"] == "activated"][["session_id", "tenant_id", "activated_at"]]
    both = found[["session_id", "tenant_id", "activated_at", "first_booking_at"]].merge(
        now, on="session_id", suffixes=("", "_now")
    )
    same = (both["tenant_id"].astype("float64") == both["tenant_id_now"].astype("float64")) & (
        pd.to_datetime(both["activated_at"]) == pd.to_datetime(both["activated_at_now"])
    )
    known = both.loc[same].reset_index(drop=True)
    changed: dict[int, list[pd.Timestamp]] = {}
    for tenant_id, created_at in creations:
        changed.setdefault(tenant_id, []).append(pd.Timestamp(created_at))
    firsts = list(pd.to_datetime(known["first_booking_at"]))
    for k, (tenant_id, activated_at) in enumerate(
        zip(known["tenant_id"], known["activated_at"], strict=True)
    ):
        since = pd.Timestamp(activated_at)
        earlier = [c for c in changed.get(int(tenant_id), []) if since <= c < firsts[k]]
        if earlier:
            firsts[k] = min(earlier)
    return known.assign(first_booking_at=firsts)[columns]


def _funnel(
    session: Session,
    sessions: pd.DataFrame,
    before: pd.DataFrame | None,
    creations: frozenset[tuple[int, datetime]],
) -> dict[str, pd.DataFrame]:
    """The frames from the sessions read now; first bookings from ``before`` (the
    previous sessions frame) where still valid, looked up for the rest (all: None)."""
    if sessions.empty:
        return {
            "onboarding_funnel_sessions": pd.DataFrame(columns=SESSION_COLUMNS),
            "onboarding_funnel_steps": pd.DataFrame(columns=STEP_COLUMNS),
        }
    times = sessions[["updated_at", "last_entered", "last_completed"]].apply(pd.to_datetime)
    sessions["last_activity_at"] = times.max(axis=1)
    sessions["assisted"] = sessions["operator_id"].notna()
    if before is None:
        first = _first_bookings(session)
    else:
        known = _known_first_bookings(sessions, before, creations)
        activated = sessions.loc[sessions["status"] == "activated", "session_id"]
        missing = sorted(set(activated.astype(int)) - set(known["session_id"].astype(int)))
        looked_up = _first_bookings(session, missing)
        parts = [frame for frame in (known, looked_up) if not frame.empty]
        first = pd.concat(parts, ignore_index=True) if parts else looked_up
    sessions = sessions.merge(first, on="session_id", how="left")
    for column in ("started_at", "activated_at", "first_booking_at", "last_activity_at"):
        sessions[column] = pd.to_datetime(sessions[column])
    sessions["tenant_id"] = sessions["tenant_id"].astype("Int64")

    events = session.execute(
        select(
            OnboardingStepEvent.session_id,
            OnboardingStepEvent.step,
            OnboardingStepEvent.entered_at,
            OnboardingStepEvent.completed_at,
        )
    ).all()
    steps = pd.DataFrame(events, columns=["session_id", "step", "entered_at", "completed_at"])
    steps["step_order"] = step_order(steps["step"])
    for column in ("entered_at", "completed_at"):
        steps[column] = pd.to_datetime(steps[column])
    # A step re-entered (the operator went back) counts once: its first entry and its
    # last completion.
    steps = (
        steps.groupby(["session_id", "step", "step_order"], as_index=False)
        .agg(entered_at=("entered_at", "min"), completed_at=("completed_at", "max"))
        .sort_values(["session_id", "step_order"])
    )
    return {
        "onboarding_funnel_sessions": sessions[SESSION_COLUMNS].reset_index(drop=True),
        "onboarding_funnel_steps": steps[STEP_COLUMNS].reset_index(drop=True),
    }


PROVIDERS = [
    FrameProvider(
        name="onboarding_funnel",
        frames=("onboarding_funnel_sessions", "onboarding_funnel_steps"),
        compute=compute_onboarding_funnel,
        update=update_onboarding_funnel,
        description="Onboarding sessions with outcome and first booking; steps entered/completed",
    )
]
