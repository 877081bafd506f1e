"""Onboarding sessions: a summary and a readable table of who is onboarding whom."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
from pandas.io.formats.style import Styler

from core import formatting as fmt
from core.i18n import translator
from core.metrics.registry import METRICS
from dashboards.kit import Tile, metric_tile

# The console's promise: a new business goes live in under an hour.
TARGET_MINUTES = 60
# An in-progress session idle for longer than this probably needs a nudge.
IDLE_ALERT_S = 15 * 60


@dataclass(frozen=True)
class OnboardingSummary:
    in_progress: int
    idle: int  # in progress and idle for longer than IDLE_ALERT_S
    activated: int
    median_minutes_to_live: float | None
    within_target: int  # activated in under TARGET_MINUTES


def summarize(sessions: pd.DataFrame) -> OnboardingSummary:
    """Counts over the sessions the query returned (in progress plus recent)."""
    in_progress = sessions["status"] == "in_progress"
    activated = sessions[sessions["status"] == "activated"]
    minutes = pd.to_numeric(activated["elapsed_min"], errors="coerce").dropna()
    return OnboardingSummary(
        in_progress=int(in_progress.sum()),
        idle=int((in_progress & (sessions["idle_s"].fillna(0) > IDLE_ALERT_S)).sum()),
        activated=len(activated),
        median_minutes_to_live=float(minutes.median()) if len(minutes) else None,
        within_target=int((minutes < TARGET_MINUTES).sum()),
    )


def summary_tiles(summary: OnboardingSummary, *, locale: str) -> list[Tile]:
    """The page's tiles: metrics of the registry over the sessions the query returned."""
    _ = translator(locale)
    median = summary.median_minutes_to_live
    target = _("Target: under {target} min; {within} of {total} made it.").format(
        target=TARGET_MINUTES, within=summary.within_target, total=summary.activated
    )
    count = lambda value: fmt.format_count(value, locale=locale)  # noqa: E731
    return [
        metric_tile(METRICS["sessions_in_progress"], count(summary.in_progress), locale=locale),
        metric_tile(METRICS["idle_sessions"], count(summary.idle), locale=locale),
        metric_tile(METRICS["went_live_7d"], count(summary.activated), locale=locale),
        metric_tile(
            METRICS["median_time_to_live"],
            fmt.format_duration(None if median is None else median * 60, locale=locale),
            locale=locale,
            note=target,
        ),
    ]


def style_sessions(sessions: pd.DataFrame, *, locale: str = fmt.DEFAULT_LOCALE) -> Styler:
    """Times as dd/mm/yyyy hh:mm:ss, idle time as "12 min", elapsed as whole minutes."""
    when = lambda v: fmt.format_datetime(v if pd.notna(v) else None, locale=locale)  # noqa: E731
    return sessions.style.format(
        {
            "started_at": when,
            "activated_at": when,
            "last_activity_at": when,
            "idle_s": lambda v: fmt.format_duration(v, locale=locale),
            "elapsed_min": lambda v: fmt.format_duration(v * 60, locale=locale),
            "operator": lambda v: v if isinstance(v, str) else fmt.MISSING,
            "verification_status": lambda v: v if isinstance(v, str) else fmt.MISSING,
        }
    )
