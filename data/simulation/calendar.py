"""When businesses are open and which appointment slots are free."""

from __future__ import annotations

import functools
import math
from datetime import date, datetime, timedelta

SLOT_MIN = 15

# Opening hours by vertical: weekday (0 = Monday) -> (open hour, close hour); absent = closed.
_WEEKDAYS = range(5)
HOURS: dict[str, dict[int, tuple[int, int]]] = {
    "barbershop": {**{d: (10, 20) for d in _WEEKDAYS}, 4: (10, 21), 5: (9, 19)},
    "salon": {**{d: (9, 20) for d in range(1, 5)}, 5: (9, 18)},  # many close on Mondays
    "spa": {**{d: (10, 21) for d in range(6)}, 6: (11, 19)},
    "nails": {**{d: (10, 20) for d in _WEEKDAYS}, 5: (10, 18)},
}
DAY_WEIGHT = {4: 1.2, 5: 1.5}  # Friday and Saturday peaks


@functools.cache
def _holidays(year: int) -> frozenset[date]:
    try:
        import holidays

        return frozenset(holidays.country_holidays("AR", years=year))
    except Exception:  # a missing calendar only means no holiday closures
        return frozenset()


def open_days_per_week(vertical: str) -> int:
    return len(HOURS.get(vertical, HOURS["barbershop"]))


def opening_hours(vertical: str, day: date) -> tuple[datetime, datetime] | None:
    """When a business of ``vertical`` is open on ``day``; None on closed days and holidays."""
    hours = HOURS.get(vertical, HOURS["barbershop"]).get(day.weekday())
    if hours is None or day in _holidays(day.year):
        return None
    start = datetime.combine(day, datetime.min.time())
    return start + timedelta(hours=hours[0]), start + timedelta(hours=hours[1])


def is_holiday(day: date) -> bool:
    return day in _holidays(day.year)


def shift_intervals(
    shifts: dict[int, list[tuple[int, int]]] | None, vertical: str, day: date
) -> list[tuple[datetime, datetime]]:
    """When a professional works on ``day``: their stored shifts (minutes after midnight by
    weekday), or the vertical's opening hours when none are stored; none on holidays."""
    if shifts is None:
        hours = opening_hours(vertical, day)
        return [] if hours is None else [hours]
    if is_holiday(day):
        return []
    midnight = datetime.combine(day, datetime.min.time())
    return [
        (midnight + timedelta(minutes=start), midnight + timedelta(minutes=end))
        for start, end in shifts.get(day.weekday(), [])
    ]


def overlaps(start: datetime, end: datetime, busy: list[tuple[datetime, datetime]]) -> bool:
    return any(start < b_end and b_start < end for b_start, b_end in busy)


def free_starts(
    opens: datetime,
    closes: datetime,
    busy: list[tuple[datetime, datetime]],
    duration_min: int,
    *,
    earliest: datetime,
    step_min: int = SLOT_MIN,
) -> list[datetime]:
    """Start times on the ``step_min`` grid from ``opens`` where an appointment fits.

    It must start at or after ``earliest``, end by ``closes`` and overlap no ``busy``
    interval (half-open).
    """
    length = timedelta(minutes=duration_min)
    step = timedelta(minutes=step_min)
    slot = opens
    if earliest > opens:
        slot = opens + step * math.ceil((earliest - opens) / step)
    starts = []
    while slot + length <= closes:
        if not overlaps(slot, slot + length, busy):
            starts.append(slot)
        slot += step
    return starts
