"""The job scheduler: embedded in the app process, or standalone with ``python scheduler.py``.

Jobs come from the registry in ``core.jobs``. Each runs with an explicit id,
``coalesce=True`` and ``max_instances=1``; a database lease makes sure that, with several
schedulers on one database, only one refreshes at a time.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import signal
import sys
import threading
from datetime import datetime, timedelta

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from sqlalchemy import Engine

from core.clock import now
from core.config import ConfigError, get_settings
from core.db import DatabaseUnavailable, check_connection, get_engine
from core.jobs import JOBS, new_scheduler_id, run_recorded, write_heartbeat

HEARTBEAT_INTERVAL_S = 10.0
log = logging.getLogger("barberpro.scheduler")

_embedded: BackgroundScheduler | None = None
_embedded_lock = threading.Lock()


def build_scheduler(
    engine: Engine,
    *,
    refresh_interval_s: float,
    mode: str,
    blocking: bool = False,
    first_run_at: datetime | None = None,
) -> BaseScheduler:
    """A scheduler with every registered job and the heartbeat, not yet started."""
    scheduler: BaseScheduler = BlockingScheduler() if blocking else BackgroundScheduler(daemon=True)
    scheduler_id = new_scheduler_id()
    started_at = now()
    start = first_run_at or datetime.now() + timedelta(seconds=1)
    defaults = {"coalesce": True, "max_instances": 1, "replace_existing": True}
    for spec in JOBS:
        scheduler.add_job(
            run_recorded,
            "interval",
            seconds=spec.interval_s(refresh_interval_s),
            args=(engine, spec, scheduler_id),
            id=spec.job_id,
            name=spec.description,
            next_run_time=start + timedelta(seconds=spec.first_run_delay_s),
            misfire_grace_time=max(5, int(refresh_interval_s)),
            **defaults,
        )
    scheduler.add_job(
        write_heartbeat,
        "interval",
        seconds=HEARTBEAT_INTERVAL_S,
        args=(engine, scheduler_id, mode, started_at),
        id="scheduler_heartbeat",
        name="Record that this scheduler is alive",
        next_run_time=datetime.now(),
        **defaults,
    )
    return scheduler


def ensure_embedded_scheduler() -> BackgroundScheduler | None:
    """Start the in-app scheduler once per process (no-op when disabled in settings)."""
    global _embedded
    settings = get_settings()
    if not settings.embedded_scheduler:
        return None
    with _embedded_lock:
        if _embedded is None:
            scheduler = build_scheduler(
                get_engine(), refresh_interval_s=settings.refresh_interval_s, mode="embedded"
            )
            scheduler.start()
            _embedded = scheduler  # type: ignore[assignment]
        return _embedded


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Run the BarberPro console's scheduled jobs.")
    parser.add_argument(
        "--interval",
        type=float,
        default=None,
        help="seconds between metric refreshes (default: BARBERPRO_REFRESH_INTERVAL_S or 30)",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    # Every run is recorded in console_job_runs; APScheduler's per-run lines are noise here.
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    try:
        settings = get_settings()
        interval = settings.refresh_interval_s if args.interval is None else args.interval
        if interval < 1:
            raise ConfigError(f"--interval must be at least 1 second, got {interval:g}")
        engine = get_engine()
        check_connection(engine)
    except (ConfigError, DatabaseUnavailable) as exc:
        print(f"scheduler: {exc}", file=sys.stderr)
        return 2
    scheduler = build_scheduler(
        engine, refresh_interval_s=interval, mode="standalone", blocking=True
    )
    signal.signal(signal.SIGTERM, lambda *_: scheduler.shutdown(wait=False))
    log.info("scheduler started: refresh every %ss on %s", interval, engine.url.render_as_string())
    with contextlib.suppress(KeyboardInterrupt):
        scheduler.start()
    print("scheduler: stopped", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
