"""Generation parameters, the calendar they span and the random streams.

Every random draw comes from a named numpy ``Generator(PCG64)`` stream seeded from
(seed, stream name, extra keys), so a part of the generator can change without
shifting the draws of the others, and the same seed and day give the same data.
"""

from __future__ import annotations

import zlib
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, time, timedelta

import holidays
import numpy as np

from core.clock import today as console_today
from data.generation.limits import MAX_MONTHS, MAX_TENANTS

__all__ = ["MAX_MONTHS", "MAX_TENANTS", "Calendar", "GenerationParams", "build_calendar", "stream"]
FUTURE_DAYS = 14


@dataclass(frozen=True)
class GenerationParams:
    """What to generate; the defaults are the demo data set."""

    tenants: int = 250
    months: int = 18
    seed: int = 7
    today: date = field(default_factory=console_today)
    # Treatment multiplies a tenant's churn hazard by this for ``intervention_days``.
    intervention_hazard_multiplier: float = 0.2
    intervention_days: int = 90
    holdout_share: float = 0.25
    future_days: int = FUTURE_DAYS

    def as_json(self) -> dict[str, object]:
        out = asdict(self)
        out["today"] = self.today.isoformat()
        return out


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later (earlier if negative), clamped to the month's end."""
    ordinal = day.year * 12 + day.month - 1 + months
    year, month = divmod(ordinal, 12)
    month += 1
    for dd in (day.day, 30, 29, 28):
        try:
            return date(year, month, dd)
        except ValueError:
            continue
    raise AssertionError("unreachable")


def to_day(value: date | np.ndarray) -> int | np.ndarray:
    """Days since 1970-01-01 (the integer day numbers the generator computes with)."""
    if isinstance(value, date):
        return (value - date(1970, 1, 1)).days
    return value.astype("datetime64[D]").astype(np.int64)


def from_day(day: int) -> date:
    """The date of an integer day number."""
    return date(1970, 1, 1) + timedelta(days=int(day))


@dataclass(frozen=True)
class Calendar:
    """The days the history spans and their properties, as integer day numbers.

    History runs from ``window_start`` to ``as_of`` (midnight starting ``today``, so the
    same day always gives the same data); scheduled bookings reach ``horizon_end``.
    """

    today: date
    window_start: date
    as_of: datetime
    horizon_end: date  # exclusive
    days: np.ndarray  # int day numbers, window_start .. horizon_end - 1
    weekday: np.ndarray  # 0 = Monday
    holiday: np.ndarray  # bool, national holiday
    month_index: np.ndarray  # index into ``months`` for each day
    months: list[str]  # YYYY-MM, window_start's month .. horizon's month
    month_start: np.ndarray  # int day number of each month's first day (clipped: no)
    month_end: np.ndarray  # int day number of each month's first day of next month

    @property
    def day0(self) -> int:
        return int(self.days[0])

    @property
    def as_of_day(self) -> int:
        return to_day(self.today)

    @property
    def history_months(self) -> int:
        """Months that contain history (up to and including today's month)."""
        return int(self.month_index[self.as_of_day - self.day0]) + 1

    def day_index(self, day: np.ndarray | int) -> np.ndarray | int:
        return day - self.day0


def build_calendar(params: GenerationParams) -> Calendar:
    """The calendar of a generation run."""
    today = params.today
    window_start = add_months(today, -params.months)
    horizon_end = today + timedelta(days=params.future_days)
    first, last = to_day(window_start), to_day(horizon_end)
    days = np.arange(first, last, dtype=np.int64)
    as_dates = days.astype("datetime64[D]")
    weekday = ((days + 3) % 7).astype(np.int64)  # 1970-01-01 was a Thursday
    years = range(window_start.year, horizon_end.year + 1)
    ar_holidays = holidays.country_holidays("AR", years=list(years))
    holiday_days = {to_day(d) for d in ar_holidays}
    holiday = np.isin(days, np.array(sorted(holiday_days), dtype=np.int64))
    months_of_day = as_dates.astype("datetime64[M]")
    unique_months = np.unique(months_of_day)
    month_index = np.searchsorted(unique_months, months_of_day)
    months = [str(m) for m in unique_months]
    month_start = unique_months.astype("datetime64[D]").astype(np.int64)
    month_end = (unique_months + 1).astype("datetime64[D]").astype(np.int64)
    return Calendar(
        today=today,
        window_start=window_start,
        as_of=datetime.combine(today, time()),
        horizon_end=horizon_end,
        days=days,
        weekday=weekday,
        holiday=holiday,
        month_index=month_index,
        months=months,
        month_start=month_start,
        month_end=month_end,
    )


def stream(seed: int, name: str, *keys: int) -> np.random.Generator:
    """A reproducible random stream for one named part of the generation."""
    entropy = [int(seed), zlib.crc32(name.encode()), *[int(k) for k in keys]]
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(entropy)))
