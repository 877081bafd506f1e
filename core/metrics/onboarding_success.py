"""The Onboarding Funnel's numbers, as pure functions of its two detail frames.

``onboarding_funnel_sessions`` and ``onboarding_funnel_steps``
(core/metrics/frames/onboarding_funnel.py) feed both the Onboarding Funnel dashboard
(dashboards/onboarding_funnel.py builds its tiles and step table from these) and the
API's ``/api/enterprise/onboarding/success`` (core.queries.onboarding_success), so the
two always show the same numbers. No SQL, no Streamlit: dashboards may import it.
"""

from __future__ import annotations

from datetime import date, datetime

import pandas as pd

# An in-progress session with no step entered or completed for this long is "stalled":
# the operator or the business owner walked away. A day covers overnight pauses.
STALLED_AFTER_HOURS = 24
FINISHED = ("activated", "abandoned", "rejected")
APPROVED = ("auto_approved", "approved")
STEP_COUNT_COLUMNS = [
    "step",
    "entered",
    "completed",
    "step_conversion",
    "share_of_started",
    "median_minutes",
]


def started_between(sessions: pd.DataFrame, start: date | None, end: date | None) -> pd.DataFrame:
    """Sessions whose ``started_at`` falls on a day of the inclusive range (None: open)."""
    values = pd.to_datetime(sessions["started_at"])
    mask = pd.Series(True, index=sessions.index)
    if start is not None:
        mask &= values >= pd.Timestamp(start)
    if end is not None:
        mask &= values < pd.Timestamp(end) + pd.Timedelta(days=1)
    return sessions[mask]


def minutes_to_activate(sessions: pd.DataFrame) -> pd.Series:
    """Minutes from start to activation of each activated session (float)."""
    activated = sessions[sessions["status"] == "activated"]
    return _minutes(activated["activated_at"], activated["started_at"])


def _minutes(end: pd.Series, start: pd.Series) -> pd.Series:
    minutes = (pd.to_datetime(end) - pd.to_datetime(start)).dt.total_seconds() / 60
    return minutes.dropna().astype(float)


def median_minutes(end: pd.Series, start: pd.Series) -> float | None:
    minutes = _minutes(end, start)
    return None if minutes.empty else float(minutes.median())


def stalled_mask(
    sessions: pd.DataFrame, at: datetime, hours: float = STALLED_AFTER_HOURS
) -> pd.Series:
    idle = pd.Timestamp(at) - pd.to_datetime(sessions["last_activity_at"])
    return (sessions["status"] == "in_progress") & (idle > pd.Timedelta(hours=hours))


def summarize(sessions: pd.DataFrame, at: datetime) -> dict[str, float | None]:
    """Every tile's value of the Onboarding Funnel for one set of sessions (filtered).

    success_rate: activated ÷ finished (activated, abandoned or rejected);
    auto_verification_rate: approved automatically ÷ approved (automatically or by a
    reviewer); medians in minutes (time to first booking in hours).
    """
    status = sessions["status"]
    activated = sessions[status == "activated"]
    finished = int(status.isin(FINISHED).sum())
    approved = sessions["verification_status"].isin(APPROVED)
    auto = int((sessions["verification_status"] == "auto_approved").sum())
    to_booking = median_minutes(activated["first_booking_at"], activated["activated_at"])
    return {
        "sessions_started": float(len(sessions)),
        "activated": float(len(activated)),
        "success_rate": len(activated) / finished if finished else None,
        "median_time_to_activate": median_minutes(
            activated["activated_at"], activated["started_at"]
        ),
        "auto_verification_rate": auto / int(approved.sum()) if approved.any() else None,
        "median_time_to_first_booking": None if to_booking is None else to_booking / 60,
        "stalled": float(stalled_mask(sessions, at).sum()),
    }


def step_counts(sessions: pd.DataFrame, steps: pd.DataFrame) -> pd.DataFrame:
    """Per wizard step, in order: sessions that entered and completed it, the step's
    conversion (completed ÷ entered), its share of the sessions started, median minutes."""
    chosen = steps[steps["session_id"].isin(sessions["session_id"])].copy()
    started = len(sessions)
    if chosen.empty or started == 0:
        return pd.DataFrame(columns=STEP_COUNT_COLUMNS)
    chosen["minutes"] = (chosen["completed_at"] - chosen["entered_at"]).dt.total_seconds() / 60
    table = (
        chosen.groupby(["step_order", "step"])
        .agg(
            entered=("session_id", "nunique"),
            completed=("completed_at", "count"),
            median_minutes=("minutes", "median"),
        )
        .reset_index()
        .sort_values("step_order")
    )
    table["step_conversion"] = table["completed"] / table["entered"]
    table["share_of_started"] = table["entered"] / started
    return table[STEP_COUNT_COLUMNS].reset_index(drop=True)
