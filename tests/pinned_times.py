"""Run the time-sensitive tests (marker ``clock``) as if it were other dates and hours.

    python -m tests.pinned_times                 # every pinned moment, tests marked clock
    python -m tests.pinned_times --worst -- -m e2e -k live_pipeline
    python -m tests.pinned_times --list

Each moment runs one pytest process with ``BARBERPRO_TEST_CLOCK`` set (tests/conftest.py
turns it into the console clock's offset, which every process the tests start inherits),
so the generated data, the scheduler, the simulator and the pages all live at that
moment while the clock keeps ticking. The moments cover every day of the current week
at 00:05, 06:00, 12:00 and 23:55 Argentine time, the first and last day of the current
month, and the moment the live-pipeline test first failed (a bridge holiday).
"""

from __future__ import annotations

import argparse
import calendar
import os
import subprocess
import sys
import time
from datetime import date, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path

from core.clock import today

ROOT = Path(__file__).resolve().parent.parent
HOURS = (clock_time(0, 5), clock_time(6, 0), clock_time(12, 0), clock_time(23, 55))
# Monday 2026-12-07 was a bridge holiday: every business closed, no booking for today.
FIRST_FAILURE = datetime(2026, 12, 7, 0, 14)


def _month_ends(day: date) -> tuple[date, date]:
    last = calendar.monthrange(day.year, day.month)[1]
    return day.replace(day=1), day.replace(day=last)


def worst_moments(reference: date) -> list[datetime]:
    """Monday 00:05, Sunday 23:55, and the first and last day of the month at the edges."""
    monday = reference - timedelta(days=reference.weekday())
    first, last = _month_ends(reference)
    return [
        datetime.combine(monday, HOURS[0]),
        datetime.combine(monday + timedelta(days=6), HOURS[-1]),
        datetime.combine(first, HOURS[0]),
        datetime.combine(last, HOURS[-1]),
    ]


def all_moments(reference: date) -> list[datetime]:
    """Every day of ``reference``'s week at each pinned hour, the month's edges, and the
    first failure."""
    monday = reference - timedelta(days=reference.weekday())
    moments = [
        datetime.combine(monday + timedelta(days=offset), hour)
        for offset in range(7)
        for hour in HOURS
    ]
    first, last = _month_ends(reference)
    moments += [datetime.combine(day, hour) for day in (first, last) for hour in HOURS]
    moments.append(FIRST_FAILURE)
    # The worst moments first, so a sweep cut short has checked those.
    worst = [FIRST_FAILURE, *worst_moments(reference)]
    rest = sorted(set(moments) - set(worst))
    return list(dict.fromkeys(worst)) + rest


def run_at(moment: datetime, pytest_args: list[str]) -> tuple[int, float]:
    """One pytest run with the console's clock pinned to ``moment``; (exit code, seconds)."""
    env = {**os.environ, "BARBERPRO_TEST_CLOCK": moment.isoformat(timespec="minutes")}
    started = time.monotonic()
    code = subprocess.call([sys.executable, "-m", "pytest", *pytest_args], cwd=ROOT, env=env)
    return code, time.monotonic() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--worst", action="store_true", help="only the four worst moments")
    parser.add_argument("--list", action="store_true", help="print the moments and stop")
    parser.add_argument(
        "--skip", type=int, default=0, metavar="N", help="skip the first N moments (resume)"
    )
    parser.add_argument(
        "pytest_args",
        nargs="*",
        help="arguments for pytest after --; default: -m clock -q -p no:cacheprovider",
    )
    args = parser.parse_args(argv)
    reference = today()
    moments = worst_moments(reference) if args.worst else all_moments(reference)
    moments = moments[args.skip :]
    if args.list:
        for moment in moments:
            print(f"{moment:%a %Y-%m-%d %H:%M}")
        return 0
    pytest_args = args.pytest_args or ["-m", "clock", "-q", "-p", "no:cacheprovider"]
    results = []
    for moment in moments:
        print(f"=== {moment:%a %Y-%m-%d %H:%M} ===", flush=True)
        results.append((moment, *run_at(moment, pytest_args)))
    print("\nmoment                 result   seconds")
    for moment, code, seconds in results:
        verdict = "passed" if code == 0 else f"FAILED ({code})"
        print(f"{moment:%a %Y-%m-%d %H:%M}   {verdict:8} {seconds:7.1f}")
    failed = [moment for moment, code, _ in results if code != 0]
    print(f"{len(results) - len(failed)} passed, {len(failed)} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
