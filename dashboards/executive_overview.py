"""Executive Overview: headline tiles, MRR and bookings trends with their forecast
bands, tenants at risk, biggest movers.

Pure functions of a snapshot (and, when computed, the detail frames of
``core/metrics/frames/forecasts.py``): no Streamlit, no SQL. Numbers come from the
snapshot's KPIs and frames; labels and hover definitions from the metric registry.
Every text is an English msgid translated for ``locale``.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pandas as pd
import plotly.graph_objects as go
from pandas.io.formats.style import Styler

from core import formatting as fmt
from core.i18n import N_, translator
from core.metrics.registry import (
    HEADLINE_KPIS,
    KPI_WINDOW_DAYS,
    METRICS,
    TODAY_SO_FAR,
    Metric,
    kpi_windows,
)
from core.metrics.snapshot_types import Snapshot
from dashboards.kit import (
    Tile,
    accuracy_note,
    add_band,
    delta,
    format_value,
    now_and_before,
    room_for_legend,
    tile,
)
from dashboards.theme import Colors, empty_figure, new_figure

DELTA_NOTE = N_(
    "Tiles cover the {days} days from {start} to {end}: whole weeks up to yesterday, the last "
    "complete day. Changes compare with the {days} days before; MRR and active tenants are "
    "yesterday's close, compared with {days} days earlier. Hover a tile for the same weeks a "
    "year earlier."
)
YEAR_AGO = N_("Same {days} days a year earlier: {value} ({change})")
LIKE_FOR_LIKE = N_(
    "The change is like for like: {days} public holiday(s) in one window or the other, and "
    "the same weekday in the other window, are left out of it."
)
TODAY_NOTE = N_(
    "Today so far, up to {time}; changes compare with the same weekday a week earlier, "
    "up to the same time."
)
MRR_DAYS = 180
BOOKINGS_DAYS = 90
ROLLING_DAYS = 7
# A tenant needs this many bookings in the previous window to rank as a mover, so a
# change from 2 to 5 bookings does not outrank a real trend.
MOVER_MIN_BASE = 20
# ...and this much tenure: a chain still onboarding its branches doubles its bookings
# every month and would fill the "rising" list without telling anyone anything.
MOVER_MIN_TENURE_DAYS = 120
MOVERS_SHOWN = 5
AT_RISK_SHOWN = 8
FORECAST_DAYS_SHOWN = 45  # MRR forecast months whose end falls within this of today


def _is_flow(metric: Metric) -> bool:
    # Point counts and today's small counts read best as a difference: "+12", not "+300 %".
    return metric.unit != "count" or metric.grain not in {"point", "today"}


def _tile(
    metric: Metric,
    value: float | None,
    previous: float | None,
    *,
    label: str,
    compared: str,
    locale: str,
) -> Tile:
    """A tile for ``metric``; ``compared`` names the comparison, with {now} and {before}."""
    _ = translator(locale)
    flow = _is_flow(metric)
    return tile(
        label,
        metric.unit,
        value,
        previous,
        locale=locale,
        key=metric.key,
        higher_is_better=metric.higher_is_better,
        flow=flow,
        help=_(metric.definition)
        + "\n\n"
        + now_and_before(compared, metric.unit, value, previous, locale=locale),
    )


def build_tile(key: str, kpi: dict[str, float | None], *, locale: str = fmt.DEFAULT_LOCALE) -> Tile:
    """The headline tile of ``key``: the window's figure; its change like for like
    (``core.metrics.registry.compare``), with both windows and a year earlier on hover."""
    _ = translator(locale)
    metric = METRICS[key]
    label = _(metric.label)
    if metric.grain != "point":
        label = _("{label} ({days} d)").format(label=label, days=KPI_WINDOW_DAYS)
    compared = _("Now: {now} · previous {days} days: {before}").replace(
        "{days}", str(KPI_WINDOW_DAYS)
    )
    value, previous = kpi.get("value"), kpi.get("previous")
    help_text = _(metric.definition) + "\n\n"
    help_text += now_and_before(compared, metric.unit, value, previous, locale=locale)
    left_out = int(kpi.get("days_left_out") or 0)
    if left_out:
        help_text += "\n\n" + _(LIKE_FOR_LIKE).format(days=left_out)
    if kpi.get("year_ago") is not None:
        change = delta(
            metric.unit,
            kpi.get("year_ago_value_like", value),
            kpi.get("year_ago_like", kpi["year_ago"]),
            locale=locale,
            flow=_is_flow(metric),
        )
        help_text += "\n\n" + _(YEAR_AGO).format(
            days=KPI_WINDOW_DAYS,
            value=format_value(metric.unit, kpi["year_ago"], locale=locale, compact=False),
            change="–" if change is None else change.text,
        )
    # The change compares like for like (older snapshots carry only the raw pair); the
    # value shown is the window's own figure.
    built = tile(
        label,
        metric.unit,
        kpi.get("value_like", value),
        kpi.get("previous_like", previous),
        locale=locale,
        key=metric.key,
        higher_is_better=metric.higher_is_better,
        flow=_is_flow(metric),
        help=help_text,
    )
    return replace(built, value=format_value(metric.unit, value, locale=locale))


def build_today_tiles(snapshot: Snapshot, *, locale: str = fmt.DEFAULT_LOCALE) -> list[Tile]:
    """Today's activity so far against the same time a week earlier (empty before the
    first refresh that computes it)."""
    if "today_so_far" not in snapshot.frames:
        return []
    _ = translator(locale)
    rows = snapshot.frame("today_so_far").set_index("key")
    compared = _("Today: {now} · same time a week earlier: {before}")
    return [
        _tile(
            metric,
            float(rows.at[key, "value"]),
            float(rows.at[key, "previous"]),
            label=_(metric.label),
            compared=compared,
            locale=locale,
        )
        for key, metric in TODAY_SO_FAR.items()
        if key in rows.index
    ]


def today_note(snapshot: Snapshot, *, locale: str = fmt.DEFAULT_LOCALE) -> str:
    """What the "today so far" tiles cover, up to the snapshot's time."""
    return translator(locale)(TODAY_NOTE).format(
        time=fmt.format_time(snapshot.as_of, locale=locale)
    )


def delta_note(as_of: date, *, locale: str = fmt.DEFAULT_LOCALE) -> str:
    """What the headline tiles cover for a snapshot of day ``as_of``."""
    (start, end), _previous = kpi_windows(as_of)
    return translator(locale)(DELTA_NOTE).format(
        days=KPI_WINDOW_DAYS,
        start=fmt.format_date(start, locale=locale),
        end=fmt.format_date(end, locale=locale),
    )


def build_tiles(snapshot: Snapshot, *, locale: str = fmt.DEFAULT_LOCALE) -> list[Tile]:
    """The headline KPI tiles, in the registry's order."""
    return [build_tile(key, snapshot.kpis.get(key, {}), locale=locale) for key in HEADLINE_KPIS]


def split_daily(daily: pd.DataFrame, as_of_day: date) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Days up to and including ``as_of_day``, and the scheduled days after it."""
    days = pd.to_datetime(daily["day"]).dt.date
    ordered = daily.assign(day=days).sort_values("day")
    return ordered[ordered["day"] <= as_of_day], ordered[ordered["day"] > as_of_day]


def _as_of_line(figure: go.Figure, as_of_day: date, *, locale: str) -> None:
    _ = translator(locale)
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
        text=_("today"),
        showarrow=False,
        xanchor="left",
        yanchor="top",
        font={"size": 11, "color": Colors.TEXT},
    )


def mrr_band(
    forecast: pd.DataFrame | None, *, as_of_day: date, current: float
) -> pd.DataFrame | None:
    """The MRR forecast as points on month ends (the value it forecasts), starting from
    today's known MRR, for the months ending within ``FORECAST_DAYS_SHOWN`` days."""
    if forecast is None or forecast.empty:
        return None
    rows = forecast[forecast["series"] == "mrr"].copy()
    if rows.empty:
        return None
    ends = (pd.to_datetime(rows["month"]) + pd.offsets.MonthEnd(0)).dt.date
    rows = rows.assign(day=ends)
    rows = rows[
        (rows["day"] > as_of_day) & (rows["day"] <= as_of_day + timedelta(days=FORECAST_DAYS_SHOWN))
    ]
    if rows.empty:
        return None
    anchor = pd.DataFrame(
        [
            {
                "day": as_of_day,
                **dict.fromkeys(
                    ["forecast", "lower_80", "upper_80", "lower_95", "upper_95"], current
                ),
            }
        ]
    )
    return pd.concat([anchor, rows[anchor.columns]], ignore_index=True)


def mrr_figure(
    snapshot: Snapshot,
    *,
    locale: str = fmt.DEFAULT_LOCALE,
    days: int = MRR_DAYS,
    forecast: pd.DataFrame | None = None,
) -> go.Figure:
    """Daily MRR up to the snapshot's day, over the last ``days`` days, and the
    forecast of the coming month ends when ``forecast`` (forecast_monthly) is given."""
    _ = translator(locale)
    title = _("MRR, daily")
    daily = snapshot.frames.get("daily")
    if daily is None or daily.empty:
        return empty_figure(title=title, locale=locale, message=_("No daily data in this snapshot"))
    as_of_day = snapshot.as_of.date()
    past, _future = split_daily(daily, as_of_day)
    past = past[past["day"] > as_of_day - timedelta(days=days)].dropna(subset=["mrr_ars"])
    if past.empty:
        return empty_figure(title=title, locale=locale, message=_("No MRR history yet"))
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
    band = mrr_band(forecast, as_of_day=as_of_day, current=float(past["mrr_ars"].iloc[-1]))
    if band is not None:
        add_band(figure, band["day"], band, locale=locale, name=_("Forecast"), hover_money=True)
        low, high = (
            min(low, float(band["lower_95"].min())),
            max(high, float(band["upper_95"].max())),
        )
        _as_of_line(figure, as_of_day, locale=locale)
    pad = max((high - low) * 0.15, high * 0.02, 1.0)
    figure.update_yaxes(tickprefix="$ ", tickformat="~s", range=[max(0.0, low - pad), high + pad])
    figure.update_xaxes(tickformat="%d/%m", hoverformat="%d/%m/%Y")
    figure.update_layout(showlegend=band is not None)
    return room_for_legend(figure) if band is not None else figure


def bookings_figure(
    snapshot: Snapshot,
    *,
    locale: str = fmt.DEFAULT_LOCALE,
    days: int = BOOKINGS_DAYS,
    forecast: pd.DataFrame | None = None,
) -> go.Figure:
    """Daily bookings with a trailing 7-day mean; scheduled future days in grey; the
    30-day forecast band when ``forecast`` (forecast_bookings_daily) is given."""
    _ = translator(locale)
    title = _("Bookings per day")
    daily = snapshot.frames.get("daily")
    if daily is None or daily.empty:
        return empty_figure(title=title, locale=locale, message=_("No daily data in this snapshot"))
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
        name=_("Bookings"),
        marker={"color": Colors.PRIMARY_LIGHT},
        hovertemplate="%{y:,.0f}<extra>" + _("Bookings") + "</extra>",
    )
    if not future.empty:
        figure.add_bar(
            x=future["day"],
            y=future["bookings"],
            name=_("Scheduled (upcoming)"),
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
            hovertemplate="%{y:,.0f}<extra>" + _("Scheduled") + "</extra>",
        )
    average = _("{days}-day average").format(days=ROLLING_DAYS)
    # Today is still running: the average ends with the last complete day, so the line
    # does not dip every morning.
    complete = past["day"] < as_of_day
    figure.add_scatter(
        x=past["day"][complete],
        y=rolling[complete],
        name=average,
        mode="lines",
        line={"color": Colors.PRIMARY, "width": 2.5},
        hovertemplate="%{y:,.1f}<extra>" + average + "</extra>",
    )
    if forecast is not None and not forecast.empty:
        ahead = forecast[pd.to_datetime(forecast["day"]).dt.date >= as_of_day]
        if not ahead.empty:
            add_band(figure, pd.to_datetime(ahead["day"]), ahead, locale=locale, name=_("Forecast"))
            room_for_legend(figure)
    _as_of_line(figure, as_of_day, locale=locale)
    figure.update_xaxes(tickformat="%d/%m", hoverformat="%d/%m/%Y")
    figure.update_yaxes(rangemode="tozero", tickformat=",.0f")
    # Past and scheduled bars never share a day; overlay keeps each bar full width.
    figure.update_layout(barmode="overlay")
    return figure


def forecast_note(
    accuracy: pd.DataFrame | None, series: str, *, locale: str = fmt.DEFAULT_LOCALE
) -> str:
    """How the forecast drawn on a chart did in its backtest ("" when none is drawn)."""
    return accuracy_note(accuracy, series, locale=locale)


MOVER_COLUMNS = [
    "tenant_id",
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
    snapshot: Snapshot,
    *,
    n: int = MOVERS_SHOWN,
    min_base: int = MOVER_MIN_BASE,
    min_tenure_days: int = MOVER_MIN_TENURE_DAYS,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Active tenants whose bookings fell most and rose most, last 28 days vs the 28 before.

    Ranked by relative change among tenants with at least ``min_base`` bookings in the
    previous window and signed up at least ``min_tenure_days`` before the snapshot's day;
    returns (drops, rises), each at most ``n`` rows.
    """
    tenants = snapshot.frames.get("tenants")
    if tenants is None or tenants.empty:
        empty = pd.DataFrame(columns=MOVER_COLUMNS)
        return empty, empty
    keep = (tenants["status"] == "active") & (tenants["bookings_prev_28d"] >= min_base)
    if "signup_date" in tenants:
        cutoff = pd.Timestamp(snapshot.as_of.date() - timedelta(days=min_tenure_days))
        keep &= pd.to_datetime(tenants["signup_date"]) <= cutoff
    active = tenants[keep]
    frame = pd.DataFrame(
        {
            "tenant_id": active["tenant_id"].astype(int),
            "tenant": active["trade_name"],
            "tier": active["tier"],
            "vertical": active["vertical"],
            "city": active["city"],
            "previous": active["bookings_prev_28d"].astype(int),
            "current": active["bookings_28d"].astype(int),
        }
    )
    frame["change"] = frame["current"] - frame["previous"]
    frame["change_pct"] = frame["change"] / frame["previous"]
    drops = frame[frame["change"] < 0].sort_values(["change_pct", "change"]).head(n)
    rises = frame[frame["change"] > 0].sort_values(["change_pct", "change"], ascending=False)
    return drops.reset_index(drop=True), rises.head(n).reset_index(drop=True)


AT_RISK_COLUMNS = [
    "tenant_id",
    "tenant",
    "tier",
    "vertical",
    "mrr_ars",
    "churn_probability",
    "mrr_at_risk",
    "drivers",
]


def tenants_at_risk(
    snapshot: Snapshot,
    scores: pd.DataFrame | None,
    *,
    n: int = AT_RISK_SHOWN,
    locale: str = fmt.DEFAULT_LOCALE,
) -> pd.DataFrame | None:
    """Active tenants ranked by churn probability x MRR (the MRR expected to be lost);
    None when the churn model has not scored anyone yet (the page then says so)."""
    tenants = snapshot.frames.get("tenants")
    if scores is None or scores.empty or tenants is None or tenants.empty:
        return None
    active = tenants[tenants["status"] == "active"]
    drivers = f"drivers_{locale}" if f"drivers_{locale}" in scores else "drivers_en"
    if drivers not in scores:
        scores = scores.assign(drivers_en="")
    merged = active.merge(scores[["tenant_id", "churn_probability", drivers]], on="tenant_id")
    frame = pd.DataFrame(
        {
            "tenant_id": merged["tenant_id"].astype(int),
            "tenant": merged["trade_name"],
            "tier": merged["tier"],
            "vertical": merged["vertical"],
            "mrr_ars": merged["mrr_ars"].astype(float),
            "churn_probability": merged["churn_probability"].astype(float),
            "drivers": merged[drivers].fillna("").astype(str),
        }
    )
    frame["mrr_at_risk"] = frame["mrr_ars"] * frame["churn_probability"]
    ranked = frame.sort_values(["mrr_at_risk", "churn_probability"], ascending=False)
    return ranked.head(n).reset_index(drop=True)[AT_RISK_COLUMNS]


def style_at_risk(frame: pd.DataFrame, *, locale: str = fmt.DEFAULT_LOCALE) -> Styler:
    return frame.style.format(
        {
            "mrr_ars": lambda v: fmt.format_money(v, locale=locale),
            "mrr_at_risk": lambda v: fmt.format_money(v, locale=locale),
            "churn_probability": lambda v: fmt.format_percent(v, locale=locale),
        }
    )


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
