"""Periods: a range of days or of whole months, and the one of the same length before.

The current month is incomplete until its last day is over: a period that ends inside
it reaches only "month to date", days 1..N where N is the last complete day (yesterday
on the console's clock, core/clock.py; builders get it as ``as_of - 1 day``). A range of
days that is exactly a month to date compares with the same days of the month before;
a range of months whose last month is to date says so (``through``) wherever it is
named, and its charts mark that month, so nobody reads a partial month as a drop.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd

from core import formatting as fmt
from core.i18n import N_, translator
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
    def is_month_to_date(self) -> bool:
        """Days 1..N of one month, N before its last day."""
        return (
            self.start.day == 1
            and (self.start.year, self.start.month) == (self.end.year, self.end.month)
            and self.end.day < _days_in_month(self.end)
        )

    @property
    def previous(self) -> DayRange:
        """As many days just before; for a month to date, the same days of the month
        before (days 1..N, N cut to that month's length)."""
        if self.is_month_to_date:
            before = self.start - timedelta(days=1)
            first = before.replace(day=1)
            return DayRange(first, first.replace(day=min(self.end.day, before.day)))
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

    def month_span(self) -> MonthRange:
        """The months this range touches, the last one to date when the range ends
        before its last day."""
        last = self.end.day
        return MonthRange(
            month_number(self.start),
            month_number(self.end),
            through=None if last == _days_in_month(self.end) else last,
        )

    def month_range(self) -> DayRange:
        """The previous period for monthly frames: as many whole months just before."""
        months = self.months()
        return DayRange(
            (months[0] - pd.DateOffset(months=len(months))).date(),
            (months[0] - pd.Timedelta(days=1)).date(),
        )


def _days_in_month(day: date) -> int:
    return int(pd.Timestamp(day).days_in_month)


def last_complete_day(as_of: date) -> date:
    """The last day whose data is complete: the day before ``as_of`` (the data's today)."""
    return as_of - timedelta(days=1)


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
    """A range of months (month indexes, inclusive) and the one just before it.

    ``through``: the last month is the current, incomplete one and its figures reach
    only its days 1..``through`` (month to date; for a level such as MRR, the level on
    that day). Monthly data has no days, so ``previous`` is whole months.
    """

    first: int
    last: int
    through: int | None = None

    @property
    def length(self) -> int:
        return self.last - self.first + 1

    @property
    def previous(self) -> MonthRange:
        return MonthRange(self.first - self.length, self.first - 1)

    def months(self) -> pd.DatetimeIndex:
        return month_start(np.arange(self.first, self.last + 1))

    @property
    def month_to_date(self) -> pd.Timestamp | None:
        """First day of the last month when it is to date, else None."""
        return None if self.through is None else month_start(self.last)[0]

    @property
    def through_day(self) -> date | None:
        """The last day the month to date reaches (a level's "as of" day), else None."""
        month = self.month_to_date
        return (
            None
            if month is None or self.through is None
            else month.date().replace(day=self.through)
        )


def month_range(
    filters: Filters, *, as_of: date, earliest: date | None = None
) -> MonthRange | None:
    """The months the filters' range touches, up to the as-of month; None when empty.
    When the range ends inside the as-of month (before its last day), that month is to
    date: ``through`` is the range's last day."""
    start = filters.start or earliest or as_of
    end = min(filters.end or as_of, as_of)
    first, last = month_number(start), month_number(end)
    if first > last:
        return None
    partial = last == month_number(as_of) and end.day < _days_in_month(end)
    return MonthRange(first, last, through=end.day if partial else None)


MONTH_TO_DATE = N_("{period} (month to date, 1–{day})")


def describe(period: DayRange | MonthRange, *, locale: str, to_date: bool = True) -> str:
    """The period as a reader names it: ``02/06/2026–29/06/2026`` for days, ``03/2026`` or
    ``01/2026–06/2026`` for whole months, and ``12/2026 (month to date, 1–6)`` for a
    month to date (of days or at the end of a range of months). ``to_date=False`` for
    the period compared with: its days 1..N of a past month are named by their dates."""
    through = None
    if isinstance(period, DayRange) and period.is_month_to_date and to_date:
        period, through = period.month_span(), period.end.day
    if isinstance(period, DayRange):
        first = fmt.format_date(period.start, locale=locale)
        last = fmt.format_date(period.end, locale=locale)
    else:
        months = month_start(np.array([period.first, period.last]))
        first, last = (month.strftime("%m/%Y") for month in months)
        through = period.through
    text = first if first == last else f"{first}–{last}"
    if through is None:
        return text
    _ = translator(locale)
    return _(MONTH_TO_DATE).format(period=text, day=through)


LEVEL_TO_DATE = N_(
    "Month to date: the level on {day}, the last complete day, not at the end of the month."
)


def level_to_date_note(period: MonthRange, *, locale: str) -> str:
    """What a level (MRR, tenants) of a period ending with a month to date is: its value
    on the month's last complete day. "" when the last month is whole."""
    day = period.through_day
    if day is None:
        return ""
    _ = translator(locale)
    return _(LEVEL_TO_DATE).format(day=fmt.format_date(day, locale=locale))
