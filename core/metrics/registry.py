"""The metric registry: every metric the console shows is declared here, once.

A metric's computation reads the platform-level daily frame of a snapshot (one row per
local day) and returns its value for a window ending on ``end`` (inclusive). The same
entry gives the label, the unit and the definition shown to users on hover.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd

from core.i18n import N_
from core.reference.holiday_calendar import holidays_between

Window = tuple[date, date]  # inclusive start and end day


@dataclass(frozen=True)
class Metric:
    key: str
    label: str
    unit: str  # ars, count, ratio
    definition: str
    grain: str  # point (at a day), window (over a period of days) or today (so far)
    # Reads a snapshot's daily frame; None for the "today so far" figures, which the
    # refresh counts from raw rows (core/metrics/today.py).
    compute: Callable[[pd.DataFrame, Window], float | None] | None
    higher_is_better: bool = True
    # Compared like for like (``comparable_windows``): the volume of a day depends on
    # the calendar, so a holiday entering the window must not read as a trend.
    by_calendar: bool = False


class DailyColumns(dict):
    """A daily frame as plain numpy columns: metrics slice it many times per refresh."""

    def __init__(self, daily: pd.DataFrame | dict) -> None:
        if isinstance(daily, pd.DataFrame):
            super().__init__({name: daily[name].to_numpy() for name in daily.columns})
        else:
            super().__init__(daily)

    @property
    def empty(self) -> bool:
        return len(self["day"]) == 0


def _rows(daily: pd.DataFrame | DailyColumns, window: Window) -> DailyColumns:
    # ``daily`` is sorted by day, so a window is a slice found by binary search.
    columns = daily if isinstance(daily, DailyColumns) else DailyColumns(daily)
    start, end = window
    days = columns["day"]
    first = int(np.searchsorted(days, start, side="left"))  # type: ignore[call-overload]
    last = int(np.searchsorted(days, end, side="right"))  # type: ignore[call-overload]
    return DailyColumns({name: values[first:last] for name, values in columns.items()})


def _point(column: str) -> Callable[[pd.DataFrame, Window], float | None]:
    def compute(daily: pd.DataFrame, window: Window) -> float | None:
        rows = _rows(daily, (window[1], window[1]))
        return None if rows.empty else float(rows[column][0])

    return compute


def _window_sum(column: str) -> Callable[[pd.DataFrame, Window], float | None]:
    def compute(daily: pd.DataFrame, window: Window) -> float | None:
        rows = _rows(daily, window)
        return None if rows.empty else float(rows[column].sum())

    return compute


def _window_ratio(
    numerator: str, denominator: str
) -> Callable[[pd.DataFrame, Window], float | None]:
    def compute(daily: pd.DataFrame, window: Window) -> float | None:
        rows = _rows(daily, window)
        total = float(rows[denominator].sum()) if not rows.empty else 0.0
        return None if total == 0 else float(rows[numerator].sum()) / total

    return compute


def _arr(daily: pd.DataFrame, window: Window) -> float | None:
    mrr = _point("mrr_ars")(daily, window)
    return None if mrr is None else 12 * mrr


def _logo_churn(daily: pd.DataFrame, window: Window) -> float | None:
    # Tenants churned during the window over tenants active the day before it began.
    start = window[0]
    before = _rows(daily, (start - timedelta(days=1), start - timedelta(days=1)))
    if before.empty or float(before["active_tenants"][0]) == 0:
        return None
    churned = float(_rows(daily, window)["churned_tenants"].sum())
    return churned / float(before["active_tenants"][0])


def _no_show_rate(daily: pd.DataFrame, window: Window) -> float | None:
    # Of the appointments that were due and not cancelled, the share nobody came to.
    rows = _rows(daily, window)
    decided = float((rows["completed"] + rows["no_show"]).sum()) if not rows.empty else 0.0
    return None if decided == 0 else float(rows["no_show"].sum()) / decided


METRICS: dict[str, Metric] = {
    metric.key: metric
    for metric in [
        Metric(
            "mrr",
            "MRR",
            "ars",
            "Monthly recurring revenue: the sum of the monthly plan prices (ARS) of every "
            "subscription period open on the last day of the period.",
            "point",
            _point("mrr_ars"),
        ),
        Metric(
            "arr",
            "ARR",
            "ars",
            "Annual recurring revenue: 12 × MRR on the last day of the period.",
            "point",
            _arr,
        ),
        Metric(
            "active_tenants",
            "Active tenants",
            "count",
            "Businesses signed up on or before the day and not churned by it.",
            "point",
            _point("active_tenants"),
        ),
        Metric(
            "bookings",
            "Bookings",
            "count",
            "Appointments starting in the period, whatever their status "
            "(completed, cancelled, no-show or still scheduled).",
            "window",
            _window_sum("bookings"),
            by_calendar=True,
        ),
        Metric(
            "gmv",
            "GMV",
            "ars",
            "Gross merchandise value: the price (ARS) of the appointments completed in "
            "the period, as charged by the business to its clients.",
            "window",
            _window_sum("gmv_ars"),
            by_calendar=True,
        ),
        Metric(
            "logo_churn",
            "Logo churn",
            "ratio",
            "Tenants that churned in the period divided by the tenants active the day "
            "before the period began.",
            "window",
            _logo_churn,
            higher_is_better=False,
        ),
        Metric(
            "no_show_rate",
            "No-show rate",
            "ratio",
            "No-shows divided by appointments that came due and were not cancelled "
            "(completed + no-show), over appointments starting in the period.",
            "window",
            _no_show_rate,
            higher_is_better=False,
            by_calendar=True,
        ),
        Metric(
            "cancellation_rate",
            "Cancellation rate",
            "ratio",
            "Cancelled appointments divided by all appointments starting in the period.",
            "window",
            _window_ratio("cancelled", "bookings"),
            higher_is_better=False,
            by_calendar=True,
        ),
    ]
}

# Today's activity up to the refresh, against the same time a week earlier; computed by
# core/metrics/today.py into the snapshot's "today_so_far" table, in display order.
TODAY_SO_FAR: dict[str, Metric] = {
    metric.key: metric
    for metric in [
        Metric(
            "today_bookings_made",
            N_("Bookings made today"),
            "count",
            N_(
                "Appointments booked since midnight, for any day (walk-ins included), up to the "
                "last refresh; compared with the same weekday a week earlier up to the same time."
            ),
            "today",
            None,
        ),
        Metric(
            "today_completed",
            N_("Visits completed today"),
            "count",
            N_(
                "Appointments that started since midnight and were completed, up to the last "
                "refresh; compared with the same weekday a week earlier up to the same time."
            ),
            "today",
            None,
        ),
        Metric(
            "today_no_shows",
            N_("No-shows today"),
            "count",
            N_(
                "Appointments that started since midnight and nobody came to, up to the last "
                "refresh; compared with the same weekday a week earlier up to the same time."
            ),
            "today",
            None,
            higher_is_better=False,
        ),
        Metric(
            "today_gmv",
            N_("GMV today"),
            "ars",
            N_(
                "The price (ARS) of the visits completed since midnight, up to the last refresh; "
                "compared with the same weekday a week earlier up to the same time."
            ),
            "today",
            None,
        ),
    ]
}

# The Executive Overview's headline tiles, in display order.
HEADLINE_KPIS = ("mrr", "active_tenants", "bookings", "gmv", "logo_churn", "no_show_rate")

# The KPI window: whole weeks (every weekday counted equally: Saturday carries a quarter of
# the bookings, Sunday 2 %) ending with the last complete day, whose appointments are
# resolved. A 30-day window ending today swung the bookings delta by 5 points from one
# day to the next on the same data; this one moves it by a fraction of a point. Today's
# activity is the "today so far" strip's job.
KPI_WINDOW_DAYS = 28
# The same weekdays a year earlier: 52 whole weeks back.
YEAR_AGO_DAYS = 364


def kpi_windows(as_of: date, days: int = KPI_WINDOW_DAYS) -> tuple[Window, Window]:
    """The window of ``days`` whole days ending the day before ``as_of`` (the last complete
    day), and the one of the same length just before it."""
    end = as_of - timedelta(days=1)
    current = (end - timedelta(days=days - 1), end)
    previous = (current[0] - timedelta(days=days), current[0] - timedelta(days=1))
    return current, previous


def year_ago(window: Window) -> Window:
    """``window`` 52 weeks earlier: the same weekdays, a year before."""
    shift = timedelta(days=YEAR_AGO_DAYS)
    return window[0] - shift, window[1] - shift


def comparable_days(window: Window, other: Window) -> tuple[frozenset[date], frozenset[date]]:
    """The days of ``window`` and of ``other`` (as long, whole weeks apart) to leave out of
    a like-for-like comparison: each public holiday in either window with the day of the
    other window in the same position (the same weekday). A closed Monday then compares
    with nothing instead of with an open one, so a holiday entering or leaving a window
    does not read as a trend."""
    holidays = holidays_between(min(window[0], other[0]), max(window[1], other[1]))
    shift = window[0] - other[0]
    positions = {day - window[0] for day in holidays if window[0] <= day <= window[1]}
    positions |= {day - other[0] for day in holidays if other[0] <= day <= other[1]}
    left_out = frozenset(window[0] + position for position in positions)
    return left_out, frozenset(day - shift for day in left_out)


def _without(columns: DailyColumns, days: frozenset[date]) -> DailyColumns:
    if not days:
        return columns
    keep = ~np.isin(columns["day"], np.array(sorted(days), dtype=object))
    return DailyColumns({name: values[keep] for name, values in columns.items()})


def compare(
    metric: Metric, columns: DailyColumns, window: Window, other: Window
) -> dict[str, float | None]:
    """``metric`` over ``window`` (``value``) and ``other`` (``base``), and the pair a
    change is computed from: like for like for calendar-driven metrics
    (``comparable_days``), the same pair otherwise."""
    assert metric.compute is not None
    value, base = metric.compute(columns, window), metric.compute(columns, other)
    if not metric.by_calendar:
        return {"value": value, "base": base, "value_like": value, "base_like": base}
    left_out, other_left_out = comparable_days(window, other)
    kept = _without(columns, left_out | other_left_out)
    return {
        "value": value,
        "base": base,
        "value_like": metric.compute(kept, window),
        "base_like": metric.compute(kept, other),
        "days_left_out": float(len(left_out)),
    }


def compute_kpis(daily: pd.DataFrame, as_of: date) -> dict[str, dict[str, float | None]]:
    """Every registered metric for the current KPI window, the one before it and the same
    window a year earlier (None where the history does not reach back that far).

    ``value``, ``previous`` and ``year_ago`` are each window's own figure; the changes a
    tile shows compare ``value_like`` with ``previous_like`` (and ``year_ago_like``), like
    for like (``compare``). ``daily`` has one row per day, sorted by its ``day`` column
    (date objects).
    """
    current, previous = kpi_windows(as_of)
    columns = DailyColumns(daily)
    reaches_year_ago = not columns.empty and columns["day"][0] <= year_ago(current)[0]
    kpis: dict[str, dict[str, float | None]] = {}
    for key, metric in METRICS.items():
        if metric.compute is None:  # only today's figures lack it
            continue
        before = compare(metric, columns, current, previous)
        kpi = {
            "value": before["value"],
            "previous": before["base"],
            "value_like": before["value_like"],
            "previous_like": before["base_like"],
            "days_left_out": before.get("days_left_out", 0.0),
            "year_ago": None,
            "year_ago_value_like": None,
            "year_ago_like": None,
        }
        if reaches_year_ago:
            then = compare(metric, columns, current, year_ago(current))
            kpi["year_ago"] = then["base"]
            kpi["year_ago_value_like"] = then["value_like"]
            kpi["year_ago_like"] = then["base_like"]
        kpis[key] = kpi
    return kpis
