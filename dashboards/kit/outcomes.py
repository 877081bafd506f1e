"""Appointment outcomes over exactly a period's days: the daily totals of the per-tenant
daily frame (``bookings_tenant_day``) and the no-show and cancellation rates taken from
them. Bookings & Demand and Operational Efficiency both show these rates, so both take
them from here: the registry defines them over the appointments starting in the period,
whatever grain the rest of a page works on (Efficiency's utilization uses whole weeks).
"""

from __future__ import annotations

import pandas as pd

from dashboards.kit.periods import DayRange
from dashboards.kit.tiles import ratio

DAY_MEASURES = ("bookings", "completed", "cancelled", "no_show", "gmv_ars")
OUTCOME_RATES = ("no_show_rate", "cancellation_rate")
COUNTS = ("bookings", "completed", "cancelled", "no_show")  # what the rates read


def daily_totals(tenant_day: pd.DataFrame, period: DayRange) -> pd.DataFrame:
    """Platform (or filtered) totals per day of the period, days without bookings as 0."""
    rows = tenant_day[period.contains(tenant_day["day"])]
    totals = rows.groupby("day")[list(DAY_MEASURES)].sum()
    totals.index = pd.to_datetime(totals.index)
    days = pd.date_range(period.start, period.end, freq="D")
    return totals.reindex(days, fill_value=0).rename_axis("day").reset_index()


def outcome_sums(tenant_day: pd.DataFrame, period: DayRange, by: str) -> pd.DataFrame:
    """The measures of the period's days summed per value of the column ``by``."""
    rows = tenant_day[period.contains(tenant_day["day"])]
    return rows.groupby(by)[list(DAY_MEASURES)].sum()


def outcome_rates(sums: pd.Series | pd.DataFrame) -> dict[str, float | None]:
    """The no-show and cancellation rates of summed outcomes (a daily frame is summed
    first): no-shows over completed + no-shows, cancellations over all bookings."""
    if isinstance(sums, pd.DataFrame):
        sums = sums[[c for c in COUNTS if c in sums]].sum()

    def get(column: str) -> float:
        return float(sums.get(column, 0.0))

    return {
        "no_show_rate": ratio(get("no_show"), get("completed") + get("no_show")),
        "cancellation_rate": ratio(get("cancelled"), get("bookings")),
    }
