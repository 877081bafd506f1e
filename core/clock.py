"""The console's clock.

All timestamps are stored naive, in Argentina's local time (UTC-3, no daylight saving
since 2009), because every tenant lives in that zone and daily rollups cut days there.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

ARGENTINA = timezone(timedelta(hours=-3), "ART")


def now() -> datetime:
    """Current local Argentine time, naive, to the microsecond."""
    return datetime.now(ARGENTINA).replace(tzinfo=None)
