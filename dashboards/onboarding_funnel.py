"""Onboarding Funnel: how many wizard sessions start, where they stop, how fast they go live.

Pure functions of the detail frames ``onboarding_funnel_sessions`` and
``onboarding_funnel_steps`` (core/metrics/frames/onboarding_funnel.py) and the filters.
The period selects sessions by the day they STARTED (a cohort): every rate on the page
is about the same set of sessions, so the funnel, the tiles and the table agree.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pandas as pd
import plotly.graph_objects as go

from core.i18n import N_, translator
from core.metrics.registry import METRICS
from dashboards.filters import Filters
from dashboards.kit import Tile, metric_tile
from dashboards.links import with_tenant_links
from dashboards.theme import Colors, empty_figure, new_figure

# An in-progress session with no step entered or completed for this long is "stalled":
# the operator or the business owner walked away. A day covers overnight pauses.
STALLED_AFTER_HOURS = 24
STALLED_NOTE = N_("Stalled after {hours} hours without activity.")
FINISHED = ("activated", "abandoned", "rejected")
APPROVED = ("auto_approved", "approved")
STEP_TITLES = {
    "business": N_("Business"),
    "contact": N_("Contact"),
    "locations": N_("Locations"),
    "hours": N_("Opening hours"),
    "services": N_("Services"),
    "staff": N_("Staff"),
    "integrations": N_("Integrations"),
    "review": N_("Review and verification"),
    "activation": N_("Activation"),
}
STATUS_TITLES = {
    "activated": N_("Activated"),
    "abandoned": N_("Abandoned"),
    "rejected": N_("Rejected"),
    "in_progress": N_("In progress"),
}
STATUS_COLOURS = {
    "activated": Colors.POSITIVE,
    "abandoned": Colors.FUTURE,
    "rejected": Colors.NEGATIVE,
    "in_progress": Colors.PRIMARY,
}


# The page's tiles, in order: metrics of the registry (core/metrics/registry.py).
TILE_KEYS = (
    "sessions_started",
    "activated",
    "success_rate",
    "median_time_to_activate",
    "auto_verification_rate",
    "median_time_to_first_booking",
    "stalled",
)


def select_sessions(sessions: pd.DataFrame, filters: Filters) -> pd.DataFrame:
    """Sessions started in the period, of the chosen tiers and verticals."""
    chosen = sessions[filters.day_mask(sessions["started_at"])]
    if filters.tiers:
        chosen = chosen[chosen["tier"].isin(filters.tiers)]
    if filters.verticals:
        chosen = chosen[chosen["vertical"].isin(filters.verticals)]
    return chosen


def previous_period(filters: Filters) -> Filters | None:
    """The same number of days right before the period (for the tiles' deltas)."""
    if filters.start is None or filters.end is None:
        return None
    days = (filters.end - filters.start).days + 1
    return filters.with_(
        start=filters.start - timedelta(days=days), end=filters.start - timedelta(days=1)
    )


def _median_minutes(end: pd.Series, start: pd.Series) -> float | None:
    minutes = (pd.to_datetime(end) - pd.to_datetime(start)).dt.total_seconds() / 60
    minutes = minutes.dropna()
    return None if minutes.empty else float(minutes.median())


def stalled_mask(
    sessions: pd.DataFrame, at: datetime, hours: float = STALLED_AFTER_HOURS
) -> pd.Series:
    idle = pd.Timestamp(at) - pd.to_datetime(sessions["last_activity_at"])
    return (sessions["status"] == "in_progress") & (idle > pd.Timedelta(hours=hours))


def summarize(sessions: pd.DataFrame, at: datetime) -> dict[str, float | None]:
    """Every tile's value for one set of sessions (already filtered)."""
    status = sessions["status"]
    activated = sessions[status == "activated"]
    finished = int(status.isin(FINISHED).sum())
    approved = sessions["verification_status"].isin(APPROVED)
    auto = int((sessions["verification_status"] == "auto_approved").sum())
    to_booking = _median_minutes(activated["first_booking_at"], activated["activated_at"])
    return {
        "sessions_started": float(len(sessions)),
        "activated": float(len(activated)),
        "success_rate": len(activated) / finished if finished else None,
        "median_time_to_activate": _median_minutes(
            activated["activated_at"], activated["started_at"]
        ),
        "auto_verification_rate": auto / int(approved.sum()) if approved.any() else None,
        "median_time_to_first_booking": None if to_booking is None else to_booking / 60,
        "stalled": float(stalled_mask(sessions, at).sum()),
    }


def definition(key: str, *, locale: str) -> str:
    """The metric's definition; the stalled sessions' with the threshold it uses."""
    _ = translator(locale)
    text = _(METRICS[key].definition)
    if key == "stalled":
        text += " " + _(STALLED_NOTE).format(hours=STALLED_AFTER_HOURS)
    return text


def build_tiles(
    sessions: pd.DataFrame, filters: Filters, *, at: datetime, locale: str
) -> list[Tile]:
    """The page's tiles, each with the change against the previous period of equal length."""
    _ = translator(locale)
    now_values = summarize(select_sessions(sessions, filters), at)
    # Stalled is a state now, not a flow: sessions of any start day count.
    now_values["stalled"] = float(
        stalled_mask(select_sessions(sessions, filters.with_(start=None, end=None)), at).sum()
    )
    previous = previous_period(filters)
    before = summarize(select_sessions(sessions, previous), at) if previous else {}
    stalled_note = _(STALLED_NOTE).format(hours=STALLED_AFTER_HOURS)
    compared = _("Change: against the previous period of the same length.")
    tiles = []
    for key in TILE_KEYS:
        # Stalled is a state now, not a flow over the period: no delta.
        stalled = key == "stalled"
        tiles.append(
            metric_tile(
                METRICS[key],
                now_values[key],
                None if stalled else before.get(key),
                locale=locale,
                note=stalled_note if stalled else compared,
            )
        )
    return tiles


def step_table(sessions: pd.DataFrame, steps: pd.DataFrame, *, locale: str) -> pd.DataFrame:
    """Per wizard step: sessions that entered and completed it, conversions, median time."""
    chosen = steps[steps["session_id"].isin(sessions["session_id"])].copy()
    started = len(sessions)
    columns = [
        "step",
        "step_title",
        "entered",
        "completed",
        "step_conversion",
        "share_of_started",
        "median_minutes",
    ]
    if chosen.empty or started == 0:
        return pd.DataFrame(columns=columns)
    _ = translator(locale)
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
    table["step_title"] = [_(STEP_TITLES.get(s, s)) for s in table["step"]]
    return table[columns].reset_index(drop=True)


def funnel_figure(table: pd.DataFrame, *, locale: str) -> go.Figure:
    _ = translator(locale)
    title = _("Sessions reaching each step")
    if table.empty:
        return empty_figure(title=title, locale=locale, message=_("No data for these filters"))
    figure = new_figure(title=title, locale=locale)
    figure.add_funnel(
        y=table["step_title"],
        x=table["entered"],
        textinfo="value+percent initial",
        marker={"color": Colors.PRIMARY},
        hovertemplate="%{y}: %{x:,.0f}<extra></extra>",
    )
    figure.update_layout(height=420, hovermode="closest")
    return figure


def step_time_figure(table: pd.DataFrame, *, locale: str) -> go.Figure:
    _ = translator(locale)
    title = _("Median minutes per step")
    shown = table.dropna(subset=["median_minutes"])
    if shown.empty:
        return empty_figure(title=title, locale=locale, message=_("No data for these filters"))
    figure = new_figure(title=title, locale=locale)
    figure.add_bar(
        x=shown["median_minutes"],
        y=shown["step_title"],
        orientation="h",
        marker={"color": Colors.SECONDARY},
        customdata=[[f"{c:.0%}"] for c in shown["step_conversion"]],
        hovertemplate="%{y}: %{x:.1f} min<extra></extra>",
    )
    figure.update_yaxes(autorange="reversed")
    figure.update_layout(height=420, hovermode="closest", showlegend=False)
    return figure


def outcomes_figure(sessions: pd.DataFrame, *, locale: str) -> go.Figure:
    """Sessions started per week, stacked by how they ended."""
    _ = translator(locale)
    title = _("Sessions started per week, by outcome")
    if sessions.empty:
        return empty_figure(title=title, locale=locale, message=_("No data for these filters"))
    week = pd.to_datetime(sessions["started_at"]).dt.to_period("W-SUN").dt.start_time
    counts = sessions.assign(week=week).groupby(["week", "status"]).size().unstack(fill_value=0)
    figure = new_figure(title=title, locale=locale)
    for status in ("activated", "in_progress", "abandoned", "rejected"):
        if status in counts:
            figure.add_bar(
                x=counts.index,
                y=counts[status],
                name=_(STATUS_TITLES[status]),
                marker={"color": STATUS_COLOURS[status]},
                hovertemplate="%{y:,.0f}<extra>" + _(STATUS_TITLES[status]) + "</extra>",
            )
    figure.update_layout(barmode="stack")
    figure.update_xaxes(tickformat="%d/%m", hoverformat="%d/%m/%Y")
    figure.update_yaxes(rangemode="tozero", tickformat=",.0f")
    return figure


DETAIL_COLUMNS = [
    "session_id",
    "tenant",
    "business_name",
    "vertical",
    "tier",
    "status",
    "current_step",
    "verification_status",
    "assisted",
    "started_at",
    "activated_at",
    "minutes_to_activate",
    "hours_to_first_booking",
    "last_activity_at",
    "idle_hours",
]


def session_table(sessions: pd.DataFrame, *, at: datetime, locale: str) -> pd.DataFrame:
    """One row per session, newest first, with a Tenant 360 link for activated ones."""
    frame = sessions.copy()
    frame["minutes_to_activate"] = (
        frame["activated_at"] - frame["started_at"]
    ).dt.total_seconds() / 60
    frame["hours_to_first_booking"] = (
        frame["first_booking_at"] - frame["activated_at"]
    ).dt.total_seconds() / 3600
    idle = (pd.Timestamp(at) - frame["last_activity_at"]).dt.total_seconds() / 3600
    frame["idle_hours"] = idle.where(frame["status"] == "in_progress")
    has_tenant = frame["tenant_id"].notna()
    frame["tenant"] = None
    if has_tenant.any():
        linked = with_tenant_links(
            frame.loc[has_tenant, ["tenant_id", "trade_name"]].astype({"tenant_id": "int64"}),
            locale=locale,
        )
        frame.loc[has_tenant, "tenant"] = linked["tenant"]
    return frame.sort_values("started_at", ascending=False)[DETAIL_COLUMNS].reset_index(drop=True)


def stalled_table(sessions: pd.DataFrame, *, at: datetime, locale: str) -> pd.DataFrame:
    table = session_table(sessions[stalled_mask(sessions, at)], at=at, locale=locale)
    return table.sort_values("idle_hours", ascending=False).reset_index(drop=True)
