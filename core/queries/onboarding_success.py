"""The Onboarding Funnel's outcome numbers over a range of start days, for the API.

Read from the same place the dashboard reads (the newest detail snapshot's
``onboarding_funnel_*`` frames) and computed by the same functions
(core.metrics.onboarding_success), so the API and the page agree. Before the first
detail refresh there is no snapshot: the frames are then computed from the database by
the snapshot's own provider (``source="live"``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import pandas as pd
from sqlalchemy.orm import Session

from core.metrics.frames.onboarding_funnel import compute_onboarding_funnel
from core.metrics.onboarding_success import (
    FINISHED,
    minutes_to_activate,
    started_between,
    step_counts,
    summarize,
)
from core.metrics.snapshots import latest_detail_version, load_snapshot

FRAMES = ("onboarding_funnel_sessions", "onboarding_funnel_steps")


@dataclass(frozen=True)
class StepDropOff:
    step: str
    entered: int
    completed: int
    step_conversion: float
    share_of_started: float
    drop_off: int  # entered, not completed (yet)
    median_minutes: float | None


@dataclass(frozen=True)
class OnboardingSuccess:
    start: date
    end: date
    source: str  # snapshot or live
    as_of: datetime  # when the numbers were computed
    sessions_started: int
    activated: int
    finished: int
    success_rate: float | None
    median_minutes_to_activate: float | None
    p90_minutes_to_activate: float | None
    auto_verification_rate: float | None
    steps: list[StepDropOff]


def _frames(session: Session, at: datetime) -> tuple[dict[str, pd.DataFrame], str, datetime]:
    version = latest_detail_version(session=session)
    snapshot = (
        load_snapshot(session=session, version=version, names=FRAMES)
        if version is not None
        else None
    )
    if snapshot is not None and all(name in snapshot.frames for name in FRAMES):
        return snapshot.frames, "snapshot", snapshot.created_at
    return compute_onboarding_funnel(session, at.date()), "live", at


def _optional(value: float | None) -> float | None:
    return None if value is None or pd.isna(value) else float(value)


def onboarding_success(
    *, session: Session, start: date, end: date, at: datetime
) -> OnboardingSuccess:
    """Outcomes of the sessions STARTED from ``start`` to ``end`` (inclusive), as the
    Onboarding Funnel computes them for that period with no tier or vertical filter.

    Parameters
    ----------
    session
        A read session.
    start, end
        The start days (inclusive).
    at
        Now (for the live fallback's as-of).
    """
    frames, source, as_of = _frames(session, at)
    sessions = started_between(frames["onboarding_funnel_sessions"], start, end)
    values = summarize(sessions, as_of)
    minutes = minutes_to_activate(sessions)
    table = step_counts(sessions, frames["onboarding_funnel_steps"])
    return OnboardingSuccess(
        start=start,
        end=end,
        source=source,
        as_of=as_of,
        sessions_started=len(sessions),
        activated=int(values["activated"] or 0),
        finished=int(sessions["status"].isin(FINISHED).sum()),
        success_rate=values["success_rate"],
        median_minutes_to_activate=values["median_time_to_activate"],
        p90_minutes_to_activate=None if minutes.empty else float(minutes.quantile(0.9)),
        auto_verification_rate=values["auto_verification_rate"],
        steps=[
            StepDropOff(
                step=str(r.step),
                entered=int(r.entered),
                completed=int(r.completed),
                step_conversion=float(r.step_conversion),
                share_of_started=float(r.share_of_started),
                drop_off=int(r.entered) - int(r.completed),
                median_minutes=_optional(r.median_minutes),
            )
            for r in table.itertuples()
        ],
    )
