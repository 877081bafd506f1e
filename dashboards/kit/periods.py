"""Periods: a range of days or of whole months, and the one of the same length before."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd

from core import formatting as fmt
from core.metrics.mrr_months import month_start
from dashboards.filters import Filters


def _timestamps(values: pd.Series) -> pd.Series:
    return values if values.dtype.kind == "M" else pd.to_datetime(values)


@dataclass(frozen=True)
class DayRange:
    """An inclusive range of days and the one of the same length just before it."""

    start: date
    end: date

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def previous(self) -> DayRange:
        return DayRange(self.start - timedelta(days=self.days), self.start - timedelta(days=1))

    def mask(self, values: pd.Series) -> pd.Series:
        days = _timestamps(values)
        return (days >= pd.Timestamp(self.start)) & (days <= pd.Timestamp(self.end))

    contains = mask

    def touches_month(self, months: pd.Series) -> pd.Series:
        """Rows whose month (first day) overlaps the range."""
        values = _timestamps(months)
        first = pd.Timestamp(self.start).to_period("M").to_timestamp()
        return (values >= first) & (values <= pd.Timestamp(self.end))

    def months(self) -> pd.DatetimeIndex:
        """First days of the months this range touches."""
        first = pd.Timestamp(self.start).to_period("M").to_timestamp()
        return pd.date_range(first, pd.Timestamp(self.end), freq="MS")

    def month_range(self) -> DayRange:
        """The previous period for monthly frames: as many whole months just before."""
        months = self.months()
        return DayRange(
            (months[0] - pd.DateOffset(months=len(months))).date(),
            (months[0] - pd.Timedelta(days=1)).date(),
        )


def day_range(filters: Filters, *, as_of: date, earliest: date | None = None) -> DayRange | None:
    """The filters' range cut at ``as_of`` (open start: ``earliest``); None when nothing
    is left."""
    start = filters.start or earliest or as_of
    end = min(filters.end or as_of, as_of)
    return None if start > end else DayRange(start, end)


def month_number(day: date) -> int:
    """The month index of ``day`` (``year * 12 + month - 1``, as ``month_index``)."""
    return day.year * 12 + day.month - 1


@dataclass(frozen=True)
class MonthRange:
    """A range of whole months (month indexes, inclusive) and the one just before it."""

    first: int
    last: int

    @property
    def length(self) -> int:
        return self.last - self.first + 1

    @property
    def previous(self) -> MonthRange:
        return MonthRange(self.first - self.length, self.first - 1)

    def months(self) -> pd.DatetimeIndex:
        return month_start(np.arange(self.first, self.last + 1))


def month_range(
    filters: Filters, *, as_of: date, earliest: date | None = None
) -> MonthRange | None:
    """The months the filters' range touches, up to the as-of month; None when empty."""
    start = filters.start or earliest or as_of
    end = min(filters.end or as_of, as_of)
    first, last = month_number(start), month_number(end)
    return None if first > last else MonthRange(first, last)


def describe(period: DayRange | MonthRange, *, locale: str) -> str:
    """The period as a reader names it: ``02/06/2026–29/06/2026`` for days, ``03/2026`` or
    ``01/2026–06/2026`` for whole months."""
    if isinstance(period, DayRange):
        first = fmt.format_date(period.start, locale=locale)
        last = fmt.format_date(period.end, locale=locale)
    else:
        months = month_start(np.array([period.first, period.last]))
        first, last = (month.strftime("%m/%Y") for month in months)
    return first if first == last else f"{first}–{last}"
