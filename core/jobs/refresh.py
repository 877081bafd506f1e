"""The refresh-paced jobs: the metrics snapshot and the dashboards' detail tables."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from core.jobs.spec import JobContext, JobOutcome, refresh_lease_s
from core.locks import release, try_acquire
from core.metrics.detail import refresh_detail_frames
from core.metrics.refresh import refresh_metrics
from core.metrics.snapshots import latest_version
from core.metrics.status import REFRESH_JOB_ID

DETAIL_JOB_ID = "dashboard_frames"


def metrics_refresh_job(context: JobContext) -> JobOutcome:
    """Runs under the ``metrics_refresh`` lease (declared in the registry)."""
    result = refresh_metrics(context.engine, job_run_id=context.run_id)
    return JobOutcome(
        rows_touched=result.rows_touched,
        detail={
            "version": result.version,
            "kind": result.kind,
            "rows_read": result.rows_read,
            "cells": result.cells,
            "days": result.days,
            "timings": result.timings,
        },
    )


@contextmanager
def _refresh_lease(
    engine: Engine, scheduler_id: str, *, lease_s: float, wait_s: float = 20.0
) -> Iterator[None]:
    """Hold the refresh lease, waiting up to ``wait_s`` for a running refresh to finish."""
    deadline = time.monotonic() + wait_s
    while not try_acquire(engine, REFRESH_JOB_ID, scheduler_id, lease_s=lease_s):
        if time.monotonic() > deadline:
            raise TimeoutError("the metrics refresh held the snapshot lock for too long")
        time.sleep(0.5)
    try:
        yield
    finally:
        release(engine, REFRESH_JOB_ID, scheduler_id)


def dashboard_frames_job(context: JobContext) -> JobOutcome:
    """Runs at the refresh interval: incremental providers fold in the tenant-days touched
    since their last run; the others are recomputed every ``BARBERPRO_DETAIL_REFRESH_S``
    and kept in between (``core/metrics/detail.py``)."""
    engine, settings = context.engine, context.settings
    with Session(engine) as session:
        has_metrics = latest_version(session=session) is not None
    if not has_metrics:  # rollup-based tables wait for the first refresh
        return JobOutcome(skipped=True, detail={"reason": "no metrics snapshot yet"})
    # The tables are written under the refresh's lease, so no snapshot changes meanwhile.
    guard = _refresh_lease(engine, context.scheduler_id, lease_s=refresh_lease_s(settings))
    result = refresh_detail_frames(
        engine,
        job_run_id=context.run_id,
        write_guard=guard,
        slow_cadence_s=settings.detail_refresh_s,
    )
    if result.version is None and not result.errors:
        return JobOutcome(skipped=True, detail={"reason": "no detail table is due"})
    return JobOutcome(
        rows_touched=result.rows,
        detail={
            "version": result.version,
            "frames": result.frames,
            "timings": result.timings,
            "errors": result.errors,
            "modes": result.modes,
        },
    )
