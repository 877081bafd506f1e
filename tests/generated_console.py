"""A small generated data set with its metrics and detail snapshots, for dashboard tests.

``generated_console(path)`` generates a few tenants over a few months (seconds), runs a
full metrics refresh and every detail-frame provider as of the data set's "today", and
returns the database URL. Session fixtures in tests/dashboards and tests/pages build it
once; dashboard tests compare builders' numbers with pandas on the same raw rows.
"""

from __future__ import annotations

from datetime import date, datetime, time
from pathlib import Path

from core.db import create_engine_for
from core.metrics.detail import refresh_detail_frames
from core.metrics.refresh import refresh_metrics
from data.generate import generate_demo_data

TODAY = date(2026, 4, 10)
AS_OF = datetime.combine(TODAY, time(12, 0))


def generated_console(
    path: Path, *, tenants: int = 30, months: int = 8, seed: int = 5, today: date = TODAY
) -> str:
    url = f"sqlite:///{path}"
    generate_demo_data(url, tenants=tenants, months=months, seed=seed, today=today)
    engine = create_engine_for(url)
    at = datetime.combine(today, time(12, 0))
    refresh_metrics(engine, full=True, as_of=at)
    result = refresh_detail_frames(engine, at=at)
    if result.errors:
        raise AssertionError(f"detail providers failed: {result.errors}")
    engine.dispose()
    return url
