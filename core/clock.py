"""The console's clock: every "now" and "today" of the console comes from here.

All timestamps are stored naive, in Argentina's local time (UTC-3, no daylight saving
since 2009), because every tenant lives in that zone and daily rollups cut days there.

The clock can be shifted by a fixed offset (``BARBERPRO_CLOCK_OFFSET_S``, seconds, may
be negative). It keeps ticking: a shifted clock is the real clock plus the offset, not a
frozen instant, so the scheduler, the simulator and the pages started at different
moments with the same offset agree on the time. Tests use it to run the console as if it
were Monday 00:05 or the last day of a month. APScheduler's triggers stay on real time:
only what the console *says* about the time moves.
"""

from __future__ import annotations

import os
from datetime import date, datetime, timedelta, timezone

ARGENTINA = timezone(timedelta(hours=-3), "ART")
OFFSET_VARIABLE = "BARBERPRO_CLOCK_OFFSET_S"
# Far enough for any test date, near enough that a typo (a timestamp instead of an
# offset) is caught: about a century.
MAX_OFFSET_S = 100 * 366 * 86_400
# A row stamped further ahead than this is not trusted as "written now": a writer whose
# clock runs fast (or a test writing "at noon" at midnight) would otherwise push the
# refresh watermark past the rows written meanwhile, and they would be skipped.
FUTURE_TOLERANCE = timedelta(minutes=1)


class ClockError(ValueError):
    """The clock offset setting is not a usable number of seconds."""


def parse_offset(raw: str | None) -> timedelta:
    """The offset a ``BARBERPRO_CLOCK_OFFSET_S`` value asks for (empty means none).

    Raises
    ------
    ClockError
        When the value is not a finite number of seconds within about a century.
    """
    if raw is None or raw.strip() == "":
        return timedelta(0)
    try:
        seconds = float(raw)
    except ValueError:
        raise ClockError(f"{OFFSET_VARIABLE} must be a number of seconds, got {raw!r}") from None
    if not abs(seconds) <= MAX_OFFSET_S:  # also refuses nan and inf
        raise ClockError(f"{OFFSET_VARIABLE} must be within ±{MAX_OFFSET_S} s, got {raw!r}")
    return timedelta(seconds=seconds)


_offset = parse_offset(os.environ.get(OFFSET_VARIABLE))


def offset() -> timedelta:
    """How far the console's clock is from the real one."""
    return _offset


def set_offset(value: timedelta) -> None:
    """Shift this process's clock (child processes follow ``BARBERPRO_CLOCK_OFFSET_S``)."""
    global _offset
    _offset = value


def real_now() -> datetime:
    """The real local Argentine time, naive; for durations and timers, not for data."""
    return datetime.now(ARGENTINA).replace(tzinfo=None)


def now() -> datetime:
    """Current local Argentine time on the console's clock, naive, to the microsecond."""
    return real_now() + _offset


def today() -> date:
    """Today's date in Argentina on the console's clock."""
    return now().date()


def offset_to(moment: datetime) -> timedelta:
    """The offset that makes the console's clock read ``moment`` (naive local time) now."""
    return moment - real_now()
