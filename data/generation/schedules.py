"""Opening hours per location and working hours per professional.

Locations open on a weekly pattern (``location_hours``); each professional works shifts
inside it. A full-time employee works five or six of the location's open days and at most
``LEGAL_WEEK_MIN`` a week (Argentina's legal week, 48 hours); a part-timer three to five
shorter shifts. The owner of a small shop who also works the chair (a staff member named
like the tenant's owner) may work longer, up to ``OWNER_WEEK_MIN``. ``weekly_minutes`` is
the sum of the stored shifts, so the capacity the console reads and the shifts agree.

Shifts are kept as two ``(staff, 7)`` minute arrays (start, end; both 0 on a day off) in
the staff frame's ``work_start_<d>`` / ``work_end_<d>`` columns.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

LEGAL_WEEK_MIN = 48 * 60
OWNER_WEEK_MIN = 60 * 60
FULL_TIME_WEEK_H = (40.0, 48.0)
OWNER_WEEK_H = (48.0, 60.0)
PART_TIME_DAY_H = (4.0, 6.0)
# How likely a weekday is kept as a working day (Saturday is the last one given up).
KEEP_WEIGHT = np.array([0.5, 0.9, 1.0, 1.0, 1.1, 2.5, 0.6])
START_COLS = [f"work_start_{d}" for d in range(7)]
END_COLS = [f"work_end_{d}" for d in range(7)]


def location_hours(locations: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Opening and closing minute per location and weekday (both 0 when closed)."""
    n = len(locations)
    open_m = np.repeat((locations["open_hour"].to_numpy() * 60)[:, None], 7, axis=1)
    close_m = np.repeat((locations["close_hour"].to_numpy() * 60)[:, None], 7, axis=1)
    close_m[:, 5] = np.minimum(close_m[:, 5], 20 * 60)  # Saturdays close by 20 h
    sunday = locations["open_sunday"].to_numpy()
    open_m[:, 6] = np.where(sunday, 10 * 60, 0)
    close_m[:, 6] = np.where(sunday, 18 * 60, 0)
    monday_closed = locations["closed_monday"].to_numpy()
    open_m[monday_closed, 0] = 0
    close_m[monday_closed, 0] = 0
    assert open_m.shape == (n, 7)
    return open_m.astype(np.int64), close_m.astype(np.int64)


def staff_shifts(
    rng: np.random.Generator,
    loc_open: np.ndarray,
    loc_close: np.ndarray,
    full_time: np.ndarray,
    owner: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Each professional's start and end minute per weekday, inside its location's hours.

    ``loc_open`` / ``loc_close``: ``(staff, 7)`` opening hours of each one's location.
    Returns ``(start, end)``, ``(staff, 7)`` int arrays, 0 and 0 on days off; shifts start
    and end on the half hour and the week stays within the legal limit (owners: theirs).
    """
    n = len(full_time)
    span = loc_close - loc_open
    is_open = span > 0
    open_days = is_open.sum(axis=1)
    n_work = np.where(
        full_time | owner,
        np.minimum(open_days, np.where(owner | (rng.random(n) < 0.4), 6, 5)),
        np.minimum(open_days, rng.integers(3, 6, n)),
    )
    # Keep the n_work open days with the largest random keys (weighted: Saturdays stay).
    key = np.where(is_open, KEEP_WEIGHT[None, :] * rng.exponential(1.0, (n, 7)), -1.0)
    rank = np.argsort(np.argsort(-key, axis=1), axis=1)
    works = is_open & (rank < n_work[:, None])
    week_h = np.where(
        owner,
        rng.uniform(*OWNER_WEEK_H, n),
        np.where(full_time, rng.uniform(*FULL_TIME_WEEK_H, n), 0.0),
    )
    per_day = np.where(
        full_time | owner,
        week_h * 60 / np.maximum(n_work, 1),
        rng.uniform(*PART_TIME_DAY_H, n) * 60,
    )
    per_day = np.floor(per_day / 30) * 30
    length = np.where(works, np.minimum(span, per_day[:, None]), 0)
    # Where in the opening hours: an opening, a closing or a middle shift (own per person).
    position = rng.choice(np.array([0.0, 0.5, 1.0]), size=n, p=[0.35, 0.3, 0.35])
    offset = np.floor((span - length) * position[:, None] / 30) * 30
    start = np.where(works, loc_open + offset, 0).astype(np.int64)
    end = np.where(works, start + length, 0).astype(np.int64)
    return start, end


def shift_arrays(staff: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """The ``(staff, 7)`` start and end minutes stored in the staff frame."""
    return (
        staff[START_COLS].to_numpy(dtype=np.int64),
        staff[END_COLS].to_numpy(dtype=np.int64),
    )


def hhmm(minutes: np.ndarray) -> np.ndarray:
    """Minutes after midnight as ``HH:MM`` strings (1440 is ``24:00``)."""
    m = np.asarray(minutes, dtype=np.int64)
    return np.char.add(
        np.char.add(np.char.zfill((m // 60).astype(str), 2), ":"),
        np.char.zfill((m % 60).astype(str), 2),
    ).astype(object)


def week_rows(
    owner_ids: np.ndarray, start: np.ndarray, end: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """One row per (owner, weekday) with hours: owner id, weekday, start, end minutes."""
    row, weekday = np.nonzero(end > start)
    return owner_ids[row], weekday.astype(np.int64), start[row, weekday], end[row, weekday]
