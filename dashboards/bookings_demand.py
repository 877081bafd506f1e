"""Bookings & Demand: daily bookings and GMV with their forecasts, channel and service
mix, weekday x hour, lead time, the holiday effect, and a per-tenant table.

Pure functions of the detail frames of ``core/metrics/frames/bookings.py`` and
``forecasts.py`` plus the snapshot's ``tenants``. Daily numbers are exact for the
period; mix, heatmap and lead time are kept per month, so they cover every month the
period touches. The heatmap is kept per tier and vertical: province and partner
filters do not narrow it (the page says so).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache

import holidays
import numpy as np
import pandas as pd
import plotly.graph_objects as go

from core import formatting as fmt
from core.i18n import N_, translator
from core.inflation.deflate import to_constant_ars
from core.metrics.booking_definitions import LEAD_BUCKETS
from core.metrics.registry import METRICS
from core.reference.holiday_calendar import holiday_features
from dashboards.filters import Filters
from dashboards.kit import (
    NO_DATA,
    DayRange,
    Tile,
    accuracy_note,
    add_band,
    daily_totals,
    day_range,
    definition_tile,
    keep_tenants,
    no_data_reason,
    outcome_rates,
    ratio,
    room_for_legend,
    tenant_ids,
)
from dashboards.theme import Colors, empty_figure, new_figure

TILE_KEYS = ("bookings", "gmv", "average_ticket", "cancellation_rate")
LEAD_LABELS = {
    "same_day": N_("Same day"),
    "1_2_days": N_("1-2 days"),
    "3_7_days": N_("3-7 days"),
    "8_14_days": N_("8-14 days"),
    "15_plus_days": N_("15+ days"),
}
WEEKDAYS = (N_("Mon"), N_("Tue"), N_("Wed"), N_("Thu"), N_("Fri"), N_("Sat"), N_("Sun"))
CHANNELS = {
    "whatsapp": N_("WhatsApp"),
    "web": N_("Web"),
    "app": N_("App"),
    "instagram": N_("Instagram"),
    "walk_in": N_("Walk-in"),
}
HOLIDAY_WINDOW_DAYS = 28
ROLLING_DAYS = 7

DETAIL_COLUMNS = [
    "tenant_id",
    "trade_name",
    "tier",
    "vertical",
    "province",
    "bookings",
    "bookings_previous",
    "change",
    "completed",
    "cancelled",
    "no_show",
    "cancellation_rate",
    "gmv_ars",
    "average_ticket",
]


@dataclass
class BookingsView:
    """Everything the page shows, or ``message`` when there is nothing to show."""

    message: str | None = None
    tiles: list[Tile] = field(default_factory=list)
    daily: go.Figure | None = None
    gmv: go.Figure | None = None
    channels: go.Figure | None = None
    categories: go.Figure | None = None
    heatmap: go.Figure | None = None
    lead_time: go.Figure | None = None
    holidays: go.Figure | None = None
    holiday_table: pd.DataFrame | None = None
    detail: pd.DataFrame | None = None
    bookings_accuracy: str = ""
    gmv_accuracy: str = ""
    band_note: str = ""


# -------------------------------------------------------------------------- numbers


def restate(frame: pd.DataFrame, filters: Filters, cpi: pd.DataFrame | None, day: str = "day"):  # type: ignore[no-untyped-def]
    """``frame`` with gmv_ars in constant ARS of the chosen month (unchanged when nominal)."""
    if filters.constant_ars_month is None or cpi is None or frame.empty:
        return frame
    return to_constant_ars(
        frame, ["gmv_ars"], month_column=day, base_month=filters.constant_ars_month, cpi=cpi
    )


def figures(daily: pd.DataFrame) -> dict[str, float | None]:
    bookings = float(daily["bookings"].sum())
    completed = float(daily["completed"].sum())
    gmv = float(daily["gmv_ars"].sum())
    return {
        "bookings": bookings,
        "gmv": gmv,
        "average_ticket": ratio(gmv, completed),
        # the rate Operational Efficiency shows too: one implementation (dashboards/kit)
        "cancellation_rate": outcome_rates(daily)["cancellation_rate"],
    }


def mix(frame: pd.DataFrame, column: str, period: DayRange, ids: set[int] | None) -> pd.DataFrame:
    """Bookings, completed and GMV by ``column`` over the months the period touches."""
    rows = keep_tenants(frame, ids)
    rows = rows[period.touches_month(rows["month"])]
    out = rows.groupby(column, as_index=False)[["bookings", "completed", "gmv_ars"]].sum()
    total = out["bookings"].sum()
    out["share"] = out["bookings"] / total if total else 0.0
    return out.sort_values("bookings", ascending=False).reset_index(drop=True)


def heat(frame: pd.DataFrame, period: DayRange, filters: Filters) -> pd.DataFrame:
    """Bookings by weekday (rows, Monday first) and hour (columns)."""
    rows = frame[period.touches_month(frame["month"])]
    if filters.tiers:
        rows = rows[rows["tier"].isin(filters.tiers)]
    if filters.verticals:
        rows = rows[rows["vertical"].isin(filters.verticals)]
    table = rows.groupby(["weekday", "hour"])["bookings"].sum().unstack(fill_value=0)
    return table.reindex(range(7), fill_value=0)


def lead_time(frame: pd.DataFrame, period: DayRange, ids: set[int] | None) -> pd.DataFrame:
    rows = keep_tenants(frame, ids)
    rows = rows[period.touches_month(rows["month"])]
    out = rows.groupby("bucket")["bookings"].sum().reindex(list(LEAD_BUCKETS), fill_value=0)
    total = out.sum()
    return pd.DataFrame(
        {"bucket": out.index, "bookings": out.to_numpy(), "share": out / total if total else 0.0}
    ).reset_index(drop=True)


@lru_cache(maxsize=8)
def _holidays(first: date, last: date, locale: str) -> tuple[pd.Series, dict[date, str]]:
    """Holiday flags (the forecast's definition) and names in the page's language."""
    days = pd.date_range(first, last, freq="D")
    flags = holiday_features(days)["holiday"].astype(bool)
    language = "es" if locale.startswith("es") else "en_US"
    names = holidays.country_holidays(
        "AR", years=range(first.year, last.year + 1), language=language
    )
    return flags, {day: names.get(day, "") for day in days[flags.to_numpy()].date}


def holiday_effect(
    tenant_day: pd.DataFrame,
    period: DayRange,
    *,
    last_complete: date,
    locale: str = fmt.DEFAULT_LOCALE,
) -> pd.DataFrame:
    """Each AR national holiday of the period (complete days only): its bookings, the mean
    of the same weekday on non-holiday days within ``HOLIDAY_WINDOW_DAYS`` either side
    (days with data only), and the effect = bookings / baseline - 1."""
    columns = ["day", "holiday", "bookings", "baseline", "effect"]
    if tenant_day.empty:
        return pd.DataFrame(columns=columns)
    # Days from the first day with data: earlier days would read as zero bookings.
    first = pd.Timestamp(tenant_day["day"].min())
    days = pd.date_range(first, pd.Timestamp(last_complete), freq="D")
    if len(days) == 0:
        return pd.DataFrame(columns=columns)
    series = tenant_day.groupby("day")["bookings"].sum().reindex(days, fill_value=0)
    values = series.to_numpy(dtype=float)
    flags, names = _holidays(days[0].date(), days[-1].date(), locale)
    holiday = flags.to_numpy()
    rows = []
    for position in np.flatnonzero(holiday):
        day = days[position]
        if not (pd.Timestamp(period.start) <= day <= pd.Timestamp(period.end)):
            continue
        # same weekday = every 7th day, up to four weeks either side, holidays left out
        around = np.arange(position - HOLIDAY_WINDOW_DAYS, position + HOLIDAY_WINDOW_DAYS + 1, 7)
        around = around[(around >= 0) & (around < len(days)) & (around != position)]
        around = around[~holiday[around]]
        baseline = float(values[around].mean()) if len(around) else float("nan")
        actual = float(values[position])
        rows.append(
            {
                "day": day.date(),
                "holiday": names.get(day.date(), ""),
                "bookings": actual,
                "baseline": baseline,
                "effect": actual / baseline - 1 if baseline else float("nan"),
            }
        )
    return pd.DataFrame(rows, columns=columns)


def detail_table(
    tenant_day: pd.DataFrame, tenants: pd.DataFrame, period: DayRange, ids: set[int] | None
) -> pd.DataFrame:
    rows = keep_tenants(tenant_day, ids)
    measures = ["bookings", "completed", "cancelled", "no_show", "gmv_ars"]
    now = rows[period.contains(rows["day"])].groupby("tenant_id")[measures].sum()
    before = rows[period.previous.contains(rows["day"])].groupby("tenant_id")["bookings"].sum()
    out = now.assign(bookings_previous=before.reindex(now.index).fillna(0)).reset_index()
    profile = tenants.set_index("tenant_id")
    for column in ("trade_name", "tier", "vertical", "province"):
        out[column] = out["tenant_id"].map(profile[column]) if column in profile else None
    out["trade_name"] = out["trade_name"].fillna(out["tenant_id"].astype(str))
    out["change"] = np.where(
        out["bookings_previous"] > 0, out["bookings"] / out["bookings_previous"] - 1, np.nan
    )
    out["cancellation_rate"] = out["cancelled"] / out["bookings"].where(out["bookings"] > 0)
    out["average_ticket"] = out["gmv_ars"] / out["completed"].where(out["completed"] > 0)
    return out[DETAIL_COLUMNS].sort_values("bookings", ascending=False).reset_index(drop=True)


# -------------------------------------------------------------------------- figures


def daily_figure(daily: pd.DataFrame, forecast: pd.DataFrame | None, *, locale: str) -> go.Figure:
    _ = translator(locale)
    title = _("Bookings per day")
    if daily.empty or daily["bookings"].sum() == 0:
        return empty_figure(title=title, locale=locale, message=_(NO_DATA))
    figure = new_figure(title=title, locale=locale)
    figure.add_bar(
        x=daily["day"],
        y=daily["bookings"],
        name=_("Bookings"),
        marker={"color": Colors.PRIMARY_LIGHT},
        hovertemplate="%{y:,.0f}<extra>" + _("Bookings") + "</extra>",
    )
    rolling = daily["bookings"].rolling(ROLLING_DAYS, min_periods=ROLLING_DAYS).mean()
    figure.add_scatter(
        x=daily["day"],
        y=rolling,
        mode="lines",
        name=_("7-day average"),
        line={"color": Colors.PRIMARY, "width": 2.5},
        hovertemplate="%{y:,.1f}<extra>" + _("7-day average") + "</extra>",
    )
    if forecast is not None and not forecast.empty:
        add_band(
            figure, pd.to_datetime(forecast["day"]), forecast, locale=locale, name=_("Forecast")
        )
    figure.update_xaxes(tickformat="%d/%m", hoverformat="%d/%m/%Y")
    figure.update_yaxes(rangemode="tozero", tickformat=",.0f")
    return room_for_legend(figure)


def gmv_figure(
    monthly: pd.DataFrame,
    forecast: pd.DataFrame | None,
    *,
    as_of: date,
    locale: str,
    constant: bool,
) -> go.Figure:
    """GMV per month of the period (this month so far in grey), with the forecast band."""
    _ = translator(locale)
    title = _("GMV per month (constant ARS)") if constant else _("GMV per month")
    if monthly.empty or monthly["gmv_ars"].sum() == 0:
        return empty_figure(title=title, locale=locale, message=_(NO_DATA))
    figure = new_figure(title=title, locale=locale)
    months = pd.to_datetime(monthly["month"])
    partial = monthly["partial"].to_numpy()
    figure.add_bar(
        x=months,
        y=monthly["gmv_ars"],
        name=_("GMV"),
        marker={"color": [Colors.FUTURE if p else Colors.SECONDARY for p in partial]},
        customdata=[
            [fmt.format_money(v, locale=locale), _("part of the month") if p else ""]
            for v, p in zip(monthly["gmv_ars"], partial, strict=True)
        ],
        hovertemplate="%{customdata[0]} %{customdata[1]}<extra>" + _("GMV") + "</extra>",
    )
    if forecast is not None and not forecast.empty:
        add_band(
            figure,
            pd.to_datetime(forecast["month"]),
            forecast,
            locale=locale,
            name=_("Forecast"),
            hover_money=True,
        )
    figure.update_xaxes(tickformat="%m/%Y", dtick="M1")
    figure.update_yaxes(tickprefix="$ ", tickformat="~s", rangemode="tozero")
    return room_for_legend(figure)


def share_figure(
    frame: pd.DataFrame, column: str, labels: dict[str, str], *, title: str, locale: str
) -> go.Figure:
    _ = translator(locale)
    if frame.empty or frame["bookings"].sum() == 0:
        return empty_figure(title=title, locale=locale, message=_(NO_DATA))
    ordered = frame.sort_values("bookings")
    names = [_(labels.get(str(v), str(v))) for v in ordered[column]]
    figure = new_figure(title=title, locale=locale)
    figure.add_bar(
        y=names,
        x=ordered["share"],
        orientation="h",
        marker={"color": Colors.PRIMARY},
        text=[fmt.format_percent(v, locale=locale) for v in ordered["share"]],
        textposition="auto",
        customdata=[
            [fmt.format_count(b, locale=locale), fmt.format_money(g, locale=locale)]
            for b, g in zip(ordered["bookings"], ordered["gmv_ars"], strict=True)
        ],
        hovertemplate="%{y}: %{customdata[0]} "
        + _("bookings")
        + " · GMV %{customdata[1]}<extra></extra>",
    )
    figure.update_xaxes(tickformat=".0%", rangemode="tozero")
    figure.update_layout(hovermode="closest", showlegend=False, height=max(260, 40 * len(names)))
    return figure


def heatmap_figure(table: pd.DataFrame, *, locale: str) -> go.Figure:
    _ = translator(locale)
    title = _("Bookings by weekday and hour (local time)")
    if table.empty or table.to_numpy().sum() == 0:
        return empty_figure(title=title, locale=locale, message=_(NO_DATA))
    figure = new_figure(title=title, locale=locale)
    figure.add_heatmap(
        z=table.to_numpy(),
        x=[f"{int(h):02d}:00" for h in table.columns],
        y=[_(WEEKDAYS[int(d)]) for d in table.index],
        colorscale=[[0, "rgba(37, 99, 235, 0.04)"], [1, Colors.PRIMARY]],
        hovertemplate="%{y} %{x}: %{z:,.0f}<extra></extra>",
        showscale=False,
    )
    figure.update_yaxes(autorange="reversed", showgrid=False)
    figure.update_xaxes(showgrid=False, showline=False)
    figure.update_layout(hovermode="closest")
    return figure


def lead_figure(table: pd.DataFrame, *, locale: str) -> go.Figure:
    _ = translator(locale)
    title = _("Booking lead time")
    if table.empty or table["bookings"].sum() == 0:
        return empty_figure(title=title, locale=locale, message=_(NO_DATA))
    figure = new_figure(title=title, locale=locale)
    figure.add_bar(
        x=[_(LEAD_LABELS[b]) for b in table["bucket"]],
        y=table["share"],
        marker={"color": Colors.SECONDARY},
        text=[fmt.format_percent(v, locale=locale) for v in table["share"]],
        textposition="auto",
        customdata=[[fmt.format_count(v, locale=locale)] for v in table["bookings"]],
        hovertemplate="%{x}: %{customdata[0]}<extra></extra>",
    )
    figure.update_yaxes(tickformat=".0%", rangemode="tozero")
    figure.update_layout(showlegend=False)
    return figure


def holiday_figure(table: pd.DataFrame, *, locale: str) -> go.Figure:
    _ = translator(locale)
    title = _("Holiday effect: bookings vs the same weekday")
    shown = table.dropna(subset=["effect"])
    if shown.empty:
        return empty_figure(
            title=title, locale=locale, message=_("No national holiday in the period")
        )
    figure = new_figure(title=title, locale=locale)
    labels = [
        f"{fmt.format_date(d, locale=locale)} {name}"[:48]
        for d, name in zip(shown["day"], shown["holiday"], strict=True)
    ]
    figure.add_bar(
        x=labels,
        y=shown["effect"],
        marker={"color": [Colors.NEGATIVE if v < 0 else Colors.POSITIVE for v in shown["effect"]]},
        customdata=[
            [fmt.format_count(b, locale=locale), fmt.format_number(m, digits=1, locale=locale)]
            for b, m in zip(shown["bookings"], shown["baseline"], strict=True)
        ],
        hovertemplate="%{x}: %{y:+.0%} (%{customdata[0]} vs %{customdata[1]})<extra></extra>",
    )
    figure.update_yaxes(tickformat="+.0%")
    figure.update_layout(showlegend=False, hovermode="closest")
    return figure


# ------------------------------------------------------------------------- the view


def build_view(
    frames: dict[str, pd.DataFrame],
    tenants: pd.DataFrame,
    filters: Filters,
    *,
    as_of: date,
    locale: str,
    cpi: pd.DataFrame | None = None,
) -> BookingsView:
    """The page for these filters. ``frames`` holds the bookings_* detail frames and,
    when computed, forecast_bookings_daily, forecast_monthly and forecast_accuracy."""
    _ = translator(locale)
    message = no_data_reason(tenants, filters, as_of=as_of, locale=locale)
    if message:
        return BookingsView(message=message)
    tenant_day = frames["bookings_tenant_day"]
    earliest = pd.to_datetime(tenant_day["day"]).min().date() if len(tenant_day) else None
    period = day_range(filters, as_of=as_of, earliest=earliest)
    if period is None:
        return BookingsView(message=_(NO_DATA))
    ids = tenant_ids(tenants, filters)
    constant = filters.constant_ars_month is not None and cpi is not None
    rows = restate(keep_tenants(tenant_day, ids), filters, cpi)
    daily = daily_totals(rows, period)
    now = figures(daily)
    before: dict[str, float | None] = dict.fromkeys(now)
    if earliest is not None and period.previous.start >= earliest:
        # a previous period reaching before the data would read as growth
        before = figures(daily_totals(rows, period.previous))
    if not now["bookings"]:
        return BookingsView(message=_(NO_DATA))
    tiles = [
        definition_tile(METRICS[k], now[k], before[k], locale=locale, flow=True, period=period)
        for k in TILE_KEYS
    ]

    # Forecasts are for the whole platform in nominal ARS: shown only for that view.
    platform = not filters.narrows_tenants
    accuracy = frames.get("forecast_accuracy")
    daily_band = frames.get("forecast_bookings_daily") if platform else None
    if daily_band is not None and period.end < as_of - timedelta(days=1):
        daily_band = None  # a past period: the forecast would float far to the right
    monthly_band = frames.get("forecast_monthly") if platform and not constant else None
    if monthly_band is not None and not monthly_band.empty:
        monthly_band = monthly_band[monthly_band["series"] == "gmv"]
        if period.end < as_of - timedelta(days=1):
            monthly_band = None
    band_note = ""
    if not platform:
        band_note = _(
            "The forecast bands are for the whole platform: they are hidden while the tier, "
            "vertical, province or partner filters narrow the tenants."
        )
    elif constant:
        band_note = _("The GMV forecast is in nominal ARS: it is hidden in constant ARS.")

    monthly = daily.assign(month=daily["day"].dt.to_period("M").dt.to_timestamp())
    monthly = monthly.groupby("month", as_index=False).agg(
        gmv_ars=("gmv_ars", "sum"), days=("day", "size")
    )
    # months the period covers only in part (its ends, this month so far) are greyed
    monthly["partial"] = monthly["days"] < monthly["month"].dt.days_in_month

    channel = mix(frames["bookings_channel_monthly"], "channel", period, ids)
    category = mix(frames["bookings_category_monthly"], "category", period, ids)
    holiday_rows = holiday_effect(
        keep_tenants(tenant_day, ids),
        period,
        last_complete=as_of - timedelta(days=1),
        locale=locale,
    )
    return BookingsView(
        tiles=tiles,
        daily=daily_figure(daily, daily_band, locale=locale),
        gmv=gmv_figure(monthly, monthly_band, as_of=as_of, locale=locale, constant=constant),
        channels=share_figure(
            channel, "channel", CHANNELS, title=_("Bookings by channel"), locale=locale
        ),
        categories=share_figure(
            category, "category", {}, title=_("Bookings by service category"), locale=locale
        ),
        heatmap=heatmap_figure(
            heat(frames["bookings_heatmap_monthly"], period, filters), locale=locale
        ),
        lead_time=lead_figure(
            lead_time(frames["bookings_lead_time_monthly"], period, ids), locale=locale
        ),
        holidays=holiday_figure(holiday_rows, locale=locale),
        holiday_table=holiday_rows,
        detail=detail_table(rows, tenants, period, ids),
        bookings_accuracy=accuracy_note(accuracy, "bookings", locale=locale)
        if daily_band is not None
        else "",
        gmv_accuracy=accuracy_note(accuracy, "gmv", locale=locale)
        if monthly_band is not None and not monthly_band.empty
        else "",
        band_note=band_note,
    )


FRAMES = (
    "bookings_tenant_day",
    "bookings_channel_monthly",
    "bookings_category_monthly",
    "bookings_heatmap_monthly",
    "bookings_lead_time_monthly",
)
OPTIONAL_FRAMES = ("forecast_bookings_daily", "forecast_monthly", "forecast_accuracy")
