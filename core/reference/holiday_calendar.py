"""Argentine holidays as calendar regressors: pure, no model and no SQL.

Used by the forecasters (core/models/forecast/daily.py) and the Bookings & Demand dashboard,
so both flag the same days.
"""

from __future__ import annotations

import datetime as dt
import functools

import holidays
import numpy as np
import pandas as pd


def holiday_features(dates: pd.DatetimeIndex, month_effects: bool = False) -> pd.DataFrame:
    """Calendar regressors for the given days.

    Parameters
    ----------
    dates : DatetimeIndex
        Days to describe.
    month_effects : bool, default False
        Add 0/1 dummies for January (summer dip) and December (peak).

    Returns
    -------
    DataFrame
        ``holiday`` (Argentine national holiday), ``holiday_eve`` (the day before one,
        itself not a holiday) and optionally ``january``, ``december``; floats 0/1.
    """
    years = range(int(dates.min().year), int(dates.max().year) + 2)
    calendar = holidays.country_holidays("AR", years=years)
    days = [d.date() for d in dates]
    holiday = np.array([d in calendar for d in days], dtype=float)
    eve = np.array(
        [(d + dt.timedelta(days=1)) in calendar and d not in calendar for d in days], dtype=float
    )
    frame = pd.DataFrame({"holiday": holiday, "holiday_eve": eve}, index=dates)
    if month_effects:
        frame["january"] = (dates.month == 1).astype(float)
        frame["december"] = (dates.month == 12).astype(float)
    return frame


@functools.lru_cache(maxsize=64)  # the refresh asks every 30 s for the same windows
def holidays_between(first: dt.date, last: dt.date) -> frozenset[dt.date]:
    """Argentine national holidays from ``first`` to ``last``, inclusive."""
    calendar = holidays.country_holidays("AR", years=range(first.year, last.year + 1))
    return frozenset(day for day in calendar if first <= day <= last)
