"""The KPI windows: whole weeks ending with the last complete day, compared fairly.

A 30-day window ending today mixed an unresolved day and an uneven count of weekdays into
every tile (Saturday carries a quarter of the bookings, Sunday 2 %), so the bookings
delta swung by about 5 points from one day to the next on the same data. The window is
now 28 days ending yesterday, compared with the 28 days before and, where history
reaches, the same 28 days a year earlier (52 weeks back: the same weekdays).
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest
from sqlalchemy.orm import Session

from core.db import create_engine_for
from core.metrics.registry import (
    KPI_WINDOW_DAYS,
    comparable_days,
    compute_kpis,
    kpi_windows,
    year_ago,
)
from core.metrics.snapshots import load_latest_snapshot
from core.reference.holiday_calendar import holidays_between

AS_OF = date(2026, 12, 7)  # a Monday


def test_the_window_is_four_whole_weeks_ending_yesterday() -> None:
    (start, end), (previous_start, previous_end) = kpi_windows(AS_OF)
    assert end == date(2026, 12, 6)  # yesterday, the last complete day
    assert (end - start).days + 1 == KPI_WINDOW_DAYS == 28
    # every weekday exactly four times in each window
    for first, last in ((start, end), (previous_start, previous_end)):
        weekdays = pd.Series(pd.date_range(first, last)).dt.day_of_week.value_counts()
        assert sorted(weekdays.index) == list(range(7)) and set(weekdays) == {4}
    assert previous_end == start - timedelta(days=1)
    assert (previous_end - previous_start).days + 1 == 28


def test_a_year_ago_is_the_same_weekdays() -> None:
    current, _previous = kpi_windows(AS_OF)
    before = year_ago(current)
    assert before[0].weekday() == current[0].weekday()
    assert before[1].weekday() == current[1].weekday()
    assert (current[0] - before[0]).days == 364


def _daily(first: date, last: date, bookings) -> pd.DataFrame:  # type: ignore[no-untyped-def]
    days = pd.date_range(first, last).date
    values = np.array([bookings(day) for day in days])
    zeros = np.zeros(len(days))
    return pd.DataFrame(
        {
            "day": days,
            "bookings": values,
            "completed": values,
            "cancelled": zeros,
            "no_show": zeros,
            "gmv_ars": values * 1000.0,
            "mrr_ars": zeros + 5.0,
            "active_tenants": zeros + 10,
            "churned_tenants": zeros,
        }
    )


def test_kpis_leave_today_out_and_reach_a_year_back_when_history_allows() -> None:
    # Bookings = the day of the month: every window's sum can be written down by hand.
    daily = _daily(date(2025, 10, 1), AS_OF, lambda day: day.day)
    kpis = compute_kpis(daily, AS_OF)["bookings"]
    current = pd.date_range(date(2026, 11, 9), date(2026, 12, 6))
    previous = pd.date_range(date(2026, 10, 12), date(2026, 11, 8))
    a_year_ago = pd.date_range(date(2025, 11, 10), date(2025, 12, 7))
    assert kpis["value"] == sum(day.day for day in current)
    assert kpis["previous"] == sum(day.day for day in previous)
    assert kpis["year_ago"] == sum(day.day for day in a_year_ago)

    short = daily[daily["day"] >= date(2025, 11, 11)]  # one day short of a year back
    assert compute_kpis(short, AS_OF)["bookings"]["year_ago"] is None


def test_today_does_not_move_the_tiles() -> None:
    daily = _daily(date(2026, 9, 1), AS_OF, lambda day: 100)
    busy_today = daily.assign(bookings=np.where(daily["day"] == AS_OF, 5_000, daily["bookings"]))
    assert compute_kpis(daily, AS_OF) == compute_kpis(busy_today, AS_OF)


def test_a_holiday_is_compared_like_for_like() -> None:
    # Open every day with 100 bookings, closed on public holidays. 12/10/2026 (Monday) is
    # the Día del Respeto a la Diversidad Cultural: in the window ending 08/11 it is the
    # third day; its counterpart four weeks later (09/11) is an ordinary Monday.
    closed = holidays_between(date(2026, 1, 1), date(2026, 12, 31))
    daily = _daily(date(2026, 1, 1), date(2026, 12, 31), lambda day: 0 if day in closed else 100)
    as_of = date(2026, 12, 7)
    (start, end), (previous_start, previous_end) = kpi_windows(as_of)
    assert date(2026, 10, 12) in closed and previous_start <= date(2026, 10, 12) <= previous_end
    left_out, other = comparable_days((start, end), (previous_start, previous_end))
    in_current = {day for day in closed if start <= day <= end}
    assert {date(2026, 10, 12) + timedelta(days=28)} | in_current == left_out
    assert {day - timedelta(days=28) for day in left_out} == other
    kpi = compute_kpis(daily, as_of)["bookings"]
    # the raw figures differ by the closed days...
    assert kpi["value"] == 100 * (28 - len(in_current))
    assert kpi["previous"] == 100 * 27
    # ...the change compares only days open in both windows: exactly flat
    assert kpi["value_like"] == kpi["previous_like"] == 100 * (28 - len(left_out))
    assert kpi["days_left_out"] == len(left_out)
    # metrics that do not depend on the calendar compare the raw pair
    churn = compute_kpis(daily, as_of)["logo_churn"]
    assert "days_left_out" in churn and churn["days_left_out"] == 0.0


@pytest.mark.slow
def test_the_bookings_delta_is_steady_from_day_to_day_on_the_demo_data(
    full_console_url: str,
) -> None:
    """Issue 13's acceptance check: over 60 consecutive days of the generated console, the
    "Bookings (28 d)" delta moves by less than 2 points from one day to the next."""
    engine = create_engine_for(full_console_url)
    try:
        with Session(engine) as session:
            snapshot = load_latest_snapshot(session=session)
    finally:
        engine.dispose()
    assert snapshot is not None
    daily = snapshot.frames["daily"].sort_values("day", ignore_index=True)
    last = snapshot.as_of.date()
    deltas = []
    for offset in range(59, -1, -1):
        kpi = compute_kpis(daily, last - timedelta(days=offset))["bookings"]
        assert kpi["value_like"] and kpi["previous_like"], "14 months of bookings"
        deltas.append(100 * (kpi["value_like"] / kpi["previous_like"] - 1))
    moves = np.abs(np.diff(deltas))
    assert len(moves) == 59
    assert moves.max() < 2.0, f"largest day-to-day move {moves.max():.2f} points: {deltas}"
