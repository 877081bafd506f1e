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
        ),
        Metric(
            "gmv",
            "GMV",
            "ars",
            "Gross merchandise value: the price (ARS) of the appointments completed in "
            "the period, as charged by the business to its clients.",
            "window",
            _window_sum("gmv_ars"),
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
        ),
        Metric(
            "cancellation_rate",
            "Cancellation rate",
            "ratio",
            "Cancelled appointments divided by all appointments starting in the period.",
            "window",
            _window_ratio("cancelled", "bookings"),
            higher_is_better=False,
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

# Length of the KPI window; the previous window of the same length gives the delta.
KPI_WINDOW_DAYS = 30


def kpi_windows(as_of: date, days: int = KPI_WINDOW_DAYS) -> tuple[Window, Window]:
    """The current window ending ``as_of`` and the one just before it, both ``days`` long."""
    current = (as_of - timedelta(days=days - 1), as_of)
    previous = (current[0] - timedelta(days=days), current[0] - timedelta(days=1))
    return current, previous


def compute_kpis(daily: pd.DataFrame, as_of: date) -> dict[str, dict[str, float | None]]:
    """Every registered metric for the current and previous KPI window.

    ``daily`` has one row per day, sorted by its ``day`` column (date objects).
    """
    current, previous = kpi_windows(as_of)
    columns = DailyColumns(daily)
    return {
        key: {
            "value": metric.compute(columns, current),
            "previous": metric.compute(columns, previous),
        }
        for key, metric in METRICS.items()
        if metric.compute is not None  # every one of METRICS; only today's figures lack it
    }
