"""The console's clock: an offset that keeps ticking, shared by every process."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import datetime, timedelta

import pytest

from core import clock
from tests.pinned_times import FIRST_FAILURE, all_moments, worst_moments


@pytest.fixture
def restore_offset():  # type: ignore[no-untyped-def]
    before = clock.offset()
    yield
    clock.set_offset(before)


def test_offset_shifts_now_and_today_and_keeps_ticking(restore_offset) -> None:
    target = datetime(2026, 12, 7, 0, 5)
    clock.set_offset(clock.offset_to(target))
    first = clock.now()
    assert abs(first - target) < timedelta(seconds=1)
    assert clock.today() == target.date()
    time.sleep(0.05)
    assert clock.now() > first, "a pinned clock must keep ticking, not freeze"
    assert abs(clock.real_now() - datetime.now(clock.ARGENTINA).replace(tzinfo=None)) < timedelta(
        seconds=1
    )


def test_a_child_process_reads_the_same_time_from_the_offset() -> None:
    target = datetime(2027, 1, 31, 23, 55)
    offset = clock.offset_to(target)
    env = {**os.environ, clock.OFFSET_VARIABLE: str(offset.total_seconds())}
    out = subprocess.run(
        [sys.executable, "-c", "from core.clock import now; print(now().isoformat())"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert abs(datetime.fromisoformat(out.strip()) - target) < timedelta(seconds=30)


@pytest.mark.parametrize(
    ("raw", "seconds"), [(None, 0), ("", 0), ("  ", 0), ("-3600", -3600), ("86400.5", 86400.5)]
)
def test_offset_values(raw, seconds) -> None:  # type: ignore[no-untyped-def]
    assert clock.parse_offset(raw) == timedelta(seconds=seconds)


@pytest.mark.parametrize("raw", ["noon", "1e300", "nan", "inf", "1765000000000"])
def test_bad_offsets_get_one_clear_message(raw: str) -> None:
    with pytest.raises(clock.ClockError, match=clock.OFFSET_VARIABLE):
        clock.parse_offset(raw)


def test_pinned_moments_cover_every_weekday_hour_and_the_month_edges() -> None:
    reference = datetime(2026, 12, 9).date()  # a Wednesday
    moments = all_moments(reference)
    assert {m.weekday() for m in moments} == set(range(7))
    for weekday in range(7):
        hours = {m.strftime("%H:%M") for m in moments if m.weekday() == weekday}
        assert {"00:05", "06:00", "12:00", "23:55"} <= hours
    days = {m.date() for m in moments}
    assert datetime(2026, 12, 1).date() in days and datetime(2026, 12, 31).date() in days
    assert FIRST_FAILURE in moments
    worst = worst_moments(reference)
    assert [m.strftime("%a %H:%M") for m in worst[:2]] == ["Mon 00:05", "Sun 23:55"]
    assert worst[2] == datetime(2026, 12, 1, 0, 5) and worst[3] == datetime(2026, 12, 31, 23, 55)


def test_production_refuses_a_shifted_clock(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from core.config import ConfigError, Settings

    monkeypatch.setenv("BARBERPRO_ENV", "production")
    monkeypatch.setenv("BARBERPRO_DATABASE_URL", "postgresql+psycopg:///x?host=/tmp")
    monkeypatch.setenv(clock.OFFSET_VARIABLE, "3600")
    with pytest.raises(ConfigError, match=clock.OFFSET_VARIABLE):
        Settings.from_env()
    monkeypatch.delenv(clock.OFFSET_VARIABLE)
    assert Settings.from_env().environment == "production"
