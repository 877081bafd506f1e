"""Health scores at the default scale: one day for all tenants, the first-run backfill.

`python -m bench health --database-url sqlite:////tmp/x/copy.db --json PATH` on a COPY of
bench/results/bench_default.db (the run writes health rows into it). Reports wall and
CPU seconds: the CPU figure is what the job costs on an idle machine.

:func:`health_ms_per_tenant_day` is the issue-18 figure (target <= 10 ms), also for
`python -m bench startup`: CPU per tenant-day of the job's first run (today and the
history backfill, one pass, no stored fits), read-only.
"""

from __future__ import annotations

import argparse
import json
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, delete, func, select
from sqlalchemy.orm import Session

from core.db import create_engine_for
from core.migrate import upgrade_database
from core.schema import Booking, HealthScore


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--database-url", required=True, help="a COPY of the demo database")
    parser.add_argument("--json", type=Path, default=Path("bench/results/health.json"))


def _timed(fn):  # type: ignore[no-untyped-def]
    wall, cpu = time.perf_counter(), time.process_time()
    result = fn()
    return result, round(time.perf_counter() - wall, 3), round(time.process_time() - cpu, 3)


def health_ms_per_tenant_day(engine: Engine, *, today: date) -> dict[str, Any]:
    """CPU ms per tenant-day of the health job's first run, and of the next day's run.

    ``health_ms_per_tenant_day``: the job's days as of ``today`` (``wanted_days``: the
    last 14 days and Mondays back 120 days) scored in one pass with an empty client-base
    fit cache and an empty visit cache, as on the first run after the data is written.
    ``..._daily``: ``today`` alone, scored with the fits of the day before and the
    process's visit cache of the day before (the job's steady state, once a day);
    ``..._daily_cold``: the same with an empty visit cache (the first run after a
    restart). Read-only: nothing is stored.
    """
    from core.models.health.client_base import ClientBaseFits
    from core.models.health.job import wanted_days
    from core.models.health.score import health_scores_for_days
    from core.models.health.visit_cache import cache_for, forget

    forget(engine)
    fits = ClientBaseFits()
    with Session(engine) as session:
        history, wall, cpu = _timed(
            lambda: health_scores_for_days(session, wanted_days(today), fits=fits)
        )
    tenant_days = sum(len(frame) for frame in history.values())
    first_run = {"cold": fits.cold, "warm": fits.warm, "reused": fits.reused}
    before = ClientBaseFits()
    with Session(engine) as session:
        health_scores_for_days(session, [today - timedelta(days=1)], fits=before)
        yesterday = dict(before.stored)
        daily, daily_wall, daily_cpu = _timed(
            lambda: health_scores_for_days(session, [today], fits=before)
        )
        changed = cache_for(session).rows_changed
    forget(engine)
    cold_fits = ClientBaseFits(stored=yesterday)
    with Session(engine) as session:
        _daily, _wall, cold_cpu = _timed(
            lambda: health_scores_for_days(session, [today], fits=cold_fits)
        )
    tenants = max(len(daily[today]), 1)
    return {
        "health_ms_per_tenant_day": round(1000 * cpu / max(tenant_days, 1), 1),
        "health_tenant_days": tenant_days,
        "health_first_run_cpu_s": cpu,
        "health_first_run_wall_s": wall,
        "health_first_run_fits": first_run,
        "health_ms_per_tenant_day_daily": round(1000 * daily_cpu / tenants, 1),
        "health_daily_cpu_s": daily_cpu,
        "health_daily_wall_s": daily_wall,
        "health_daily_visit_rows_reread": changed,
        "health_ms_per_tenant_day_daily_cold": round(1000 * cold_cpu / tenants, 1),
    }


def run(args: argparse.Namespace) -> int:
    from core.metrics.frames.health import compute as frames
    from core.models.health.job import update_health_scores
    from core.models.health.score import health_scores_as_of

    upgrade_database(args.database_url)
    engine = create_engine_for(args.database_url)
    with Session(engine) as session:
        last = session.scalar(select(func.max(Booking.created_at)))
        session.execute(delete(HealthScore))
        session.commit()
    today = last.date() + timedelta(days=1)  # the day after the data's last activity
    per_tenant_day = health_ms_per_tenant_day(engine, today=today)
    with Session(engine) as session:
        scores, day_wall, day_cpu = _timed(lambda: health_scores_as_of(session, today))
    first, first_wall, first_cpu = _timed(lambda: update_health_scores(engine, today=today))
    second, second_wall, _cpu = _timed(lambda: update_health_scores(engine, today=today))
    with Session(engine) as session:
        _frames, frames_wall, _cpu2 = _timed(lambda: frames(session, today))
    figures = {
        "tenants_scored": len(scores),
        "one_day_wall_s": day_wall,
        "one_day_cpu_s": day_cpu,
        "backfill_days": len(first["days"]),
        "backfill_rows": first["rows"],
        "backfill_wall_s": first_wall,
        "backfill_cpu_s": first_cpu,
        "rerun_days": len(second["days"]),
        "rerun_wall_s": second_wall,
        "detail_frames_wall_s": frames_wall,
        **per_tenant_day,
        "bands": scores["band"].value_counts().to_dict(),
        "missing": scores["missing"].astype(str).value_counts().to_dict(),
    }
    for key, value in figures.items():
        print(f"{key:24} {value}")
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(figures, indent=2) + "\n")
    return 0
