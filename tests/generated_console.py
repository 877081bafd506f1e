"""A small generated data set with its metrics and detail snapshots, for dashboard tests.

``generated_console(path)`` generates a few tenants over a few months (seconds), runs a
full metrics refresh and every detail-frame provider as of the data set's "today", and
returns the database URL. Session fixtures in tests/dashboards and tests/pages build it
once; dashboard tests compare builders' numbers with pandas on the same raw rows.

The default set (what the revenue, bookings, churn, LTV, onboarding, finance, tenant-360,
platform-quality and page tests read) is the same database wherever it is asked for, so
a `make test` builds it once: the first test process to need it builds it into
$BARBERPRO_TEST_CACHE and every other one, on any xdist worker, copies that file.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Collection
from datetime import date, datetime, time
from pathlib import Path

import pytest

from core.db import create_engine_for
from core.metrics.detail import discover_providers, refresh_detail_frames
from core.metrics.frames import finance_ledger
from core.metrics.refresh import refresh_metrics
from data.generate import generate_demo_data
from tests import db_templates
from tests.conftest import CACHE_VARIABLE

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
    if (tenants, months, seed, today, frames) == (30, 8, 5, TODAY, None):
        return _default_console(path)
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


def _default_console(path: Path) -> str:
    """The default set at ``path``: a copy of this `make test`'s build when there is one.

    Built with the finance ledger's whole history (its backfill budget lifted, as the
    finance tests need), so the set is the same however busy the machine is.
    """
    cache = os.environ.get(CACHE_VARIABLE)
    if not cache:
        return _build_full_ledger(path)
    cached = Path(cache) / "generated_console-default.db"
    # One builder per run; a process that needs it meanwhile waits for that build.
    with open(Path(cache) / "generated_console-default.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not cached.exists():
            _build_full_ledger(path)
            partial = cached.with_suffix(f".{os.getpid()}.part")
            db_templates.copy_sqlite(path, partial)
            partial.replace(cached)
            return f"sqlite:///{path}"
    db_templates.copy_sqlite(cached, path)
    return f"sqlite:///{path}"


def _build_full_ledger(path: Path) -> str:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(finance_ledger, "BACKFILL_BUDGET_S", 1e9)
        return _build(path, tenants=30, months=8, seed=5, today=TODAY)
