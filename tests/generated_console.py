"""A small generated data set with its metrics and detail snapshots, for dashboard tests.

``generated_console(path)`` generates a few tenants over a few months (seconds), runs a
full metrics refresh and every detail-frame provider as of the data set's "today", and
returns the database URL. Session fixtures in tests/dashboards and tests/pages build it
once; dashboard tests compare builders' numbers with pandas on the same raw rows.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, datetime, time
from pathlib import Path

from core.db import create_engine_for
from core.metrics.detail import discover_providers, refresh_detail_frames
from core.metrics.refresh import refresh_metrics
from data.generate import generate_demo_data

TODAY = date(2026, 4, 10)
AS_OF = datetime.combine(TODAY, time(12, 0))


def generated_console(
    path: Path,
    *,
    tenants: int = 30,
    months: int = 8,
    seed: int = 5,
    today: date = TODAY,
    frames: Collection[str] | None = None,
) -> str:
    """Generate the set at ``path`` and return its URL.

    ``frames``: store only these detail frames, computed by the providers that declare
    them (each provider reads the raw rows on its own, so a frame is the same as in a
    full refresh); every frame when None.
    """
    return _build(path, tenants=tenants, months=months, seed=seed, today=today, frames=frames)


def _build(
    path: Path,
    *,
    tenants: int,
    months: int,
    seed: int,
    today: date,
    frames: Collection[str] | None = None,
) -> str:
    url = f"sqlite:///{path}"
    generate_demo_data(url, tenants=tenants, months=months, seed=seed, today=today)
    engine = create_engine_for(url)
    at = datetime.combine(today, time(12, 0))
    refresh_metrics(engine, full=True, as_of=at)
    providers = None
    if frames is not None:
        providers = [p for p in discover_providers() if set(p.frames) & set(frames)]
        unknown = set(frames) - {name for p in providers for name in p.frames}
        if unknown:
            raise ValueError(f"no detail provider declares {sorted(unknown)}")
    result = refresh_detail_frames(engine, at=at, providers=providers)
    if result.errors:
        raise AssertionError(f"detail providers failed: {result.errors}")
    engine.dispose()
    return url
