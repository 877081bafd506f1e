"""Onboarding Funnel: how many wizard sessions start, where they stop, how fast they go live.

Pure functions of the detail frames ``onboarding_funnel_sessions`` and
``onboarding_funnel_steps`` (core/metrics/frames/onboarding_funnel.py) and the filters.
The period selects sessions by the day they STARTED (a cohort): every rate on the page
is about the same set of sessions, so the funnel, the tiles and the table agree. The
numbers themselves are core.metrics.onboarding_success's, which the API's success route
uses too.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pandas as pd
import plotly.graph_objects as go

from core.i18n import N_, translator
from core.metrics.onboarding_success import (
    STALLED_AFTER_HOURS,
    stalled_mask,
    step_counts,
    summarize,
)
from core.metrics.registry import METRICS
from dashboards.filters import Filters
from dashboards.kit import Tile, metric_tile
from dashboards.links import with_tenant_links
from dashboards.theme import Colors, empty_figure, new_figure

STALLED_NOTE = N_("Stalled after {hours} hours without activity.")
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
    """Per wizard step: sessions that entered and completed it, conversions, median time
    (core.metrics.onboarding_success.step_counts, with the steps' titles)."""
    columns = [
        "step",
        "step_title",
        "entered",
        "completed",
        "step_conversion",
        "share_of_started",
        "median_minutes",
    ]
    table = step_counts(sessions, steps)
    if table.empty:
        return pd.DataFrame(columns=columns)
    _ = translator(locale)
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
