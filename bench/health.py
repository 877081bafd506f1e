"""Health scores at the default scale: one day for all tenants, the first-run backfill.

`python -m bench health --database-url sqlite:////tmp/x/copy.db --json PATH` on a COPY of
bench/results/bench_default.db (the run writes health rows into it). Reports wall and
CPU seconds: the CPU figure is what the job costs on an idle machine.
"""

from __future__ import annotations

import argparse
import json
import time
from datetime import timedelta
from pathlib import Path

from sqlalchemy import delete, func, select
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
    return result, round(time.perf_counter() - wall, 2), round(time.process_time() - cpu, 2)


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
        "bands": scores["band"].value_counts().to_dict(),
        "missing": scores["missing"].astype(str).value_counts().to_dict(),
    }
    for key, value in figures.items():
        print(f"{key:24} {value}")
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(figures, indent=2) + "\n")
    return 0
