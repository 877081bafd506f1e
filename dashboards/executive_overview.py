"""Executive Overview: headline tiles, MRR and bookings trends, biggest movers.

Pure functions of a snapshot: no Streamlit, no SQL. Numbers come from the snapshot's
KPIs and frames; labels and hover definitions from the metric registry.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import pandas as pd
import plotly.graph_objects as go
from pandas.io.formats.style import Styler

from core import formatting as fmt
from core.metrics.registry import HEADLINE_KPIS, KPI_WINDOW_DAYS, METRICS, Metric
from core.metrics.snapshots import Snapshot
from dashboards.theme import Colors, empty_figure, new_figure

DELTA_NOTE = (
    f"Changes compare the last {KPI_WINDOW_DAYS} days with the {KPI_WINDOW_DAYS} before; "
    f"MRR and active tenants compare today with {KPI_WINDOW_DAYS} days ago."
)
MRR_DAYS = 180
BOOKINGS_DAYS = 90
ROLLING_DAYS = 7
# A tenant needs this many bookings in the previous window to rank as a mover, so a
# change from 2 to 5 bookings does not outrank a real trend.
MOVER_MIN_BASE = 20
MOVERS_SHOWN = 5


@dataclass(frozen=True)
class Tile:
    key: str
    label: str
    value: str
    delta: str | None
    delta_color: str  # normal, inverse or off, as st.metric takes it
    delta_arrow: str  # auto or off
    help: str


def _format_value(metric: Metric, value: float | None, *, locale: str, compact: bool) -> str:
    if metric.unit == "ars":
        return (fmt.format_money_compact if compact else fmt.format_money)(value, locale=locale)
    if metric.unit == "ratio":
        return fmt.format_percent(value, locale=locale)
    return fmt.format_count(value, locale=locale)


def _delta(metric: Metric, value: float | None, previous: float | None, *, locale: str):
    """The change as text and whether it rounds to zero; None when there is nothing to compare."""
    if value is None or previous is None:
        return None, False
    if metric.unit == "ratio":
        change = value - previous
        return fmt.format_signed_points(change, locale=locale), round(change * 100, 1) == 0
    if metric.unit == "count" and metric.grain == "point":
        change = value - previous
        return fmt.format_signed_count(change, locale=locale), round(change) == 0
    if previous == 0:
        return None, False
    change = value / previous - 1
    return fmt.format_signed_percent(change, locale=locale), round(change * 100, 1) == 0


def build_tile(key: str, kpi: dict[str, float | None], *, locale: str) -> Tile:
    metric = METRICS[key]
    value, previous = kpi.get("value"), kpi.get("previous")
    delta, is_zero = _delta(metric, value, previous, locale=locale)
    if is_zero:
        delta = delta.lstrip("+-") if delta else delta
    exact = _format_value(metric, value, locale=locale, compact=False)
    before = _format_value(metric, previous, locale=locale, compact=False)
    return Tile(
        key=key,
        label=metric.label if metric.grain == "point" else f"{metric.label} ({KPI_WINDOW_DAYS} d)",
        value=_format_value(metric, value, locale=locale, compact=True),
        delta=delta,
        delta_color="off" if is_zero else ("normal" if metric.higher_is_better else "inverse"),
        delta_arrow="off" if is_zero else "auto",
        help=f"{metric.definition}\n\nNow: {exact} · previous {KPI_WINDOW_DAYS} days: {before}",
    )


def build_tiles(snapshot: Snapshot, *, locale: str = fmt.DEFAULT_LOCALE) -> list[Tile]:
    """The headline KPI tiles, in the registry's order."""
    return [build_tile(key, snapshot.kpis.get(key, {}), locale=locale) for key in HEADLINE_KPIS]


def split_daily(daily: pd.DataFrame, as_of_day: date) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Days up to and including ``as_of_day``, and the scheduled days after it."""
    days = pd.to_datetime(daily["day"]).dt.date
    ordered = daily.assign(day=days).sort_values("day")
    return ordered[ordered["day"] <= as_of_day], ordered[ordered["day"] > as_of_day]


def _hover_dates(days: pd.Series, locale: str) -> list[str]:
    return [fmt.format_date(day, locale=locale) for day in days]


def mrr_figure(
    snapshot: Snapshot, *, locale: str = fmt.DEFAULT_LOCALE, days: int = MRR_DAYS
) -> go.Figure:
    """Daily MRR up to the snapshot's day, over the last ``days`` days."""
    title = "MRR, daily"
    daily = snapshot.frames.get("daily")
    if daily is None or daily.empty:
        return empty_figure(title=title, locale=locale, message="No daily data in this snapshot")
    as_of_day = snapshot.as_of.date()
    past, _ = split_daily(daily, as_of_day)
    past = past[past["day"] > as_of_day - timedelta(days=days)].dropna(subset=["mrr_ars"])
    if past.empty:
        return empty_figure(title=title, locale=locale, message="No MRR history yet")
    figure = new_figure(title=title, locale=locale)
    figure.add_scatter(
        x=past["day"],
        y=past["mrr_ars"],
        name="MRR",
        mode="lines",
        line={"color": Colors.PRIMARY, "width": 2.5},
        fill="tozeroy",
        fillcolor="rgba(37, 99, 235, 0.08)",
        customdata=[[fmt.format_money(v, locale=locale)] for v in past["mrr_ars"]],
        hovertemplate="%{customdata[0]}<extra>MRR</extra>",
    )
    low, high = float(past["mrr_ars"].min()), float(past["mrr_ars"].max())
    pad = max((high - low) * 0.15, high * 0.02, 1.0)
    figure.update_yaxes(tickprefix="$ ", tickformat="~s", range=[max(0.0, low - pad), high + pad])
    figure.update_xaxes(tickformat="%d/%m", hoverformat="%d/%m/%Y")
    figure.update_layout(showlegend=False)
    return figure


def bookings_figure(
    snapshot: Snapshot, *, locale: str = fmt.DEFAULT_LOCALE, days: int = BOOKINGS_DAYS
) -> go.Figure:
    """Daily bookings with a trailing 7-day mean; scheduled future days in grey."""
    title = "Bookings per day"
    daily = snapshot.frames.get("daily")
    if daily is None or daily.empty:
        return empty_figure(title=title, locale=locale, message="No daily data in this snapshot")
    as_of_day = snapshot.as_of.date()
    past, future = split_daily(daily, as_of_day)
    # The mean is taken over the full history so the first shown days have a full week.
    rolling = past["bookings"].rolling(ROLLING_DAYS, min_periods=ROLLING_DAYS).mean()
    shown = past["day"] > as_of_day - timedelta(days=days)
    past, rolling = past[shown], rolling[shown]
    figure = new_figure(title=title, locale=locale)
    figure.add_bar(
        x=past["day"],
        y=past["bookings"],
        name="Bookings",
        marker={"color": Colors.PRIMARY_LIGHT},
        hovertemplate="%{y:,.0f}<extra>Bookings</extra>",
    )
    if not future.empty:
        figure.add_bar(
            x=future["day"],
            y=future["bookings"],
            name="Scheduled (upcoming)",
            marker={
                "color": Colors.FUTURE,
                "pattern": {
                    "shape": "/",
                    "bgcolor": Colors.FUTURE,
                    "fgcolor": "#ffffff",
                    "fgopacity": 0.7,
                    "solidity": 0.25,
                },
            },
            hovertemplate="%{y:,.0f}<extra>Scheduled</extra>",
        )
    figure.add_scatter(
        x=past["day"],
        y=rolling,
        name=f"{ROLLING_DAYS}-day average",
        mode="lines",
        line={"color": Colors.PRIMARY, "width": 2.5},
        hovertemplate="%{y:,.1f}<extra>" + f"{ROLLING_DAYS}-day average</extra>",
    )
    figure.add_shape(
        type="line",
        xref="x",
        yref="paper",
        x0=as_of_day,
        x1=as_of_day,
        y0=0,
        y1=1,
        line={"color": Colors.AXIS, "width": 1, "dash": "dot"},
    )
    figure.add_annotation(
        x=as_of_day,
        y=1,
        xref="x",
        yref="paper",
        text="today",
        showarrow=False,
        xanchor="left",
        yanchor="top",
        font={"size": 11, "color": Colors.TEXT},
    )
    figure.update_xaxes(tickformat="%d/%m", hoverformat="%d/%m/%Y")
    figure.update_yaxes(rangemode="tozero", tickformat=",.0f")
    # Past and scheduled bars never share a day; overlay keeps each bar full width.
    figure.update_layout(barmode="overlay")
    return figure


MOVER_COLUMNS = [
    "tenant",
    "tier",
    "vertical",
    "city",
    "previous",
    "current",
    "change",
    "change_pct",
]


def movers(
    snapshot: Snapshot, *, n: int = MOVERS_SHOWN, min_base: int = MOVER_MIN_BASE
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Active tenants whose bookings fell most and rose most, last 30 days vs the 30 before.

    Ranked by relative change among tenants with at least ``min_base`` bookings in the
    previous window; returns (drops, rises), each at most ``n`` rows.
    """
    tenants = snapshot.frames.get("tenants")
    if tenants is None or tenants.empty:
        empty = pd.DataFrame(columns=MOVER_COLUMNS)
        return empty, empty
    active = tenants[(tenants["status"] == "active") & (tenants["bookings_prev_30d"] >= min_base)]
    frame = pd.DataFrame(
        {
            "tenant": active["trade_name"],
            "tier": active["tier"],
            "vertical": active["vertical"],
            "city": active["city"],
            "previous": active["bookings_prev_30d"].astype(int),
            "current": active["bookings_30d"].astype(int),
        }
    )
    frame["change"] = frame["current"] - frame["previous"]
    frame["change_pct"] = frame["change"] / frame["previous"]
    drops = frame[frame["change"] < 0].sort_values(["change_pct", "change"]).head(n)
    rises = frame[frame["change"] > 0].sort_values(["change_pct", "change"], ascending=False)
    return drops.reset_index(drop=True), rises.head(n).reset_index(drop=True)


def _change_colour(value: float) -> str:
    if pd.isna(value) or value == 0:
        return ""
    return f"color: {Colors.POSITIVE if value > 0 else Colors.NEGATIVE}"


def style_movers(frame: pd.DataFrame, *, locale: str = fmt.DEFAULT_LOCALE) -> Styler:
    """The movers table with locale-formatted numbers; values stay numeric for sorting."""
    styler = frame.style.map(_change_colour, subset=["change", "change_pct"])
    return styler.format(
        {
            "previous": lambda v: fmt.format_count(v, locale=locale),
            "current": lambda v: fmt.format_count(v, locale=locale),
            "change": lambda v: fmt.format_signed_count(v, locale=locale),
            "change_pct": lambda v: fmt.format_signed_percent(v, locale=locale),
        }
    )
