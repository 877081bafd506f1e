"""The console's scheduled jobs and the record of every run.

Jobs are plain functions of an engine; ``scheduler.py`` decides when they run. Every run
is written to ``console_job_runs`` (start, end, rows touched, error), so the Operations
pages can show what the automation did and how often it failed.
"""

from __future__ import annotations

import logging
import os
import socket
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import Engine, delete, text
from sqlalchemy.orm import Session

from core import job_control
from core.clock import now
from core.locks import release, try_acquire
from core.metrics.detail import detail_is_due, refresh_detail_frames
from core.metrics.refresh import refresh_metrics
from core.metrics.snapshots import latest_version
from core.metrics.status import REFRESH_JOB_ID
from core.models.churn_jobs import churn_retrain_job, churn_score_job
from core.models.health_job import INTERVAL_S as HEALTH_INTERVAL_S
from core.models.health_job import health_scores_job
from core.schema import JobRun, SchedulerHeartbeat

log = logging.getLogger(__name__)

JOB_RUNS_KEPT_DAYS = 30
DETAIL_JOB_ID = "dashboard_frames"
MODEL_JOBS_DELAY_S = 120.0
# Error text stored per failed run: enough to diagnose, short enough to show in a table.
MAX_ERROR_CHARS = 500


@dataclass(frozen=True)
class JobOutcome:
    rows_touched: int | None = None
    detail: dict | None = None  # type: ignore[type-arg]
    skipped: bool = False


@dataclass(frozen=True)
class JobSpec:
    job_id: str
    description: str
    run: Callable[[Engine, str, int], JobOutcome]  # (engine, scheduler id, run id)
    interval_s: Callable[[float], float]  # from the configured refresh interval
    recorded: bool = True
    # False for jobs that wake often and usually find nothing due: a skipped run leaves
    # no record, so the run history shows only the runs that did something.
    record_skips: bool = True
    # Heavy model jobs wait a little after start, so the first metrics snapshot and the
    # dashboards' tables come first (and short-lived test servers never start them).
    first_run_delay_s: float = 0.0
    # Longest one statement may run (BARBERPRO_JOB_STATEMENT_TIMEOUTS overrides it): a
    # runaway query fails the run instead of holding a transaction open for hours.
    statement_timeout_s: float | None = 300.0
    # How long a run usually takes, until the job has a history to judge by: the
    # Refresh & jobs page flags a running run past it.
    expected_s: float = 300.0


def new_scheduler_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


def describe_error(exc: BaseException) -> str:
    text = f"{exc.__class__.__name__}: {exc}".strip()
    first_line = text.splitlines()[0] if text else exc.__class__.__name__
    return first_line[:MAX_ERROR_CHARS]


def run_recorded(engine: Engine, spec: JobSpec, scheduler_id: str) -> JobRun | None:
    """Run one job and record it; never raises, so a failing job cannot stop the scheduler.

    Returns None only when the run could not even be recorded (database unreachable).
    """
    try:
        return _run_and_record(engine, spec, scheduler_id)
    except Exception:
        log.exception("could not record a run of job %s", spec.job_id)
        return None


def _run_and_record(engine: Engine, spec: JobSpec, scheduler_id: str) -> JobRun:
    with Session(engine, expire_on_commit=False) as session, session.begin():
        run = JobRun(
            job_id=spec.job_id, scheduler_id=scheduler_id, started_at=now(), status="running"
        )
        session.add(run)
    timeout = _statement_timeout(spec)
    try:
        with job_control.job_context(spec.job_id, timeout_s=timeout):
            outcome = spec.run(engine, scheduler_id, run.id)
    except job_control.JobInterrupted:
        _end(run, "interrupted", INTERRUPTED_ERROR)
    except Exception as exc:  # any failure is recorded, then the scheduler goes on
        if job_control.stop_requested():  # its statement was cancelled by the stop
            _end(run, "interrupted", f"{INTERRUPTED_ERROR} ({describe_error(exc)})")
        else:
            log.exception("job %s failed", spec.job_id)
            _end(run, "failed", describe_error(exc))
    else:
        if outcome.skipped and not spec.record_skips:
            with Session(engine) as session, session.begin():
                session.execute(delete(JobRun).where(JobRun.id == run.id))
            return run
        run.status = "skipped" if outcome.skipped else "success"
        run.rows_touched, run.detail, run.error = outcome.rows_touched, outcome.detail, None
    run.finished_at = now()
    with Session(engine, expire_on_commit=False) as session, session.begin():
        session.merge(run)
    return run


INTERRUPTED_ERROR = "interrupted: the scheduler was stopped while this run was in progress"


def _end(run: JobRun, status: str, error: str) -> None:
    run.status, run.error, run.rows_touched, run.detail = (
        status,
        error[:MAX_ERROR_CHARS],
        None,
        None,
    )


def _statement_timeout(spec: JobSpec) -> float | None:
    from core.config import get_settings

    return get_settings().statement_timeout_for(spec.job_id, spec.statement_timeout_s)


# ---------------------------------------------------------------------------- jobs


def refresh_lease_s(interval_s: float) -> float:
    # Long enough to cover a slow refresh; a crashed holder frees the lease after it.
    return max(120.0, 4 * interval_s)


def metrics_refresh_job(engine: Engine, scheduler_id: str, run_id: int) -> JobOutcome:
    from core.config import get_settings

    lease = refresh_lease_s(get_settings().refresh_interval_s)
    if not try_acquire(engine, REFRESH_JOB_ID, scheduler_id, lease_s=lease):
        return JobOutcome(skipped=True, detail={"reason": "another scheduler holds the lock"})
    try:
        result = refresh_metrics(engine, job_run_id=run_id)
    finally:
        release(engine, REFRESH_JOB_ID, scheduler_id)
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
def _refresh_lease(engine: Engine, scheduler_id: str, *, wait_s: float = 20.0) -> Iterator[None]:
    """Hold the refresh lease, waiting up to ``wait_s`` for a running refresh to finish."""
    from core.config import get_settings

    lease = refresh_lease_s(get_settings().refresh_interval_s)
    deadline = time.monotonic() + wait_s
    while not try_acquire(engine, REFRESH_JOB_ID, scheduler_id, lease_s=lease):
        if time.monotonic() > deadline:
            raise TimeoutError("the metrics refresh held the snapshot lock for too long")
        time.sleep(0.5)
    try:
        yield
    finally:
        release(engine, REFRESH_JOB_ID, scheduler_id)


def dashboard_frames_job(engine: Engine, scheduler_id: str, run_id: int) -> JobOutcome:
    from core.config import get_settings

    with Session(engine) as session:
        has_metrics = latest_version(session=session) is not None
        due = detail_is_due(session=session, max_age_s=get_settings().detail_refresh_s)
    if not has_metrics or not due:  # rollup-based tables wait for the first refresh
        return JobOutcome(skipped=True)
    result = refresh_detail_frames(
        engine, job_run_id=run_id, write_guard=_refresh_lease(engine, scheduler_id)
    )
    return JobOutcome(
        rows_touched=result.rows,
        detail={
            "version": result.version,
            "frames": result.frames,
            "timings": result.timings,
            "errors": result.errors,
        },
    )


def prune_job_runs(engine: Engine, scheduler_id: str, run_id: int) -> JobOutcome:
    cutoff = now() - timedelta(days=JOB_RUNS_KEPT_DAYS)
    with Session(engine) as session, session.begin():
        result = session.execute(delete(JobRun).where(JobRun.started_at < cutoff))
    return JobOutcome(rows_touched=int(result.rowcount or 0))  # type: ignore[attr-defined]


def write_heartbeat(engine: Engine, scheduler_id: str, mode: str, started_at) -> None:  # type: ignore[no-untyped-def]
    hostname, pid, _ = scheduler_id.split(":", 2)
    with Session(engine) as session, session.begin():
        beat = session.get(SchedulerHeartbeat, scheduler_id)
        if beat is None:
            session.add(
                SchedulerHeartbeat(
                    scheduler_id=scheduler_id,
                    hostname=hostname,
                    pid=int(pid),
                    mode=mode,
                    started_at=started_at,
                    beat_at=now(),
                )
            )
        else:
            beat.beat_at = now()


def _alert_rules_job(engine: Engine, scheduler_id: str, run_id: int) -> JobOutcome:
    from core.workflows.alerts_job import alert_rules_job  # imports core.jobs itself

    return alert_rules_job(engine, scheduler_id, run_id)  # type: ignore[no-any-return]


JOBS: list[JobSpec] = [
    JobSpec(
        REFRESH_JOB_ID,
        "Read new platform activity, update the rollups and write a metrics snapshot",
        metrics_refresh_job,
        interval_s=lambda refresh_s: refresh_s,
        statement_timeout_s=120.0,  # the refresh lease's own bound (refresh_lease_s)
        expected_s=30.0,
    ),
    JobSpec(
        DETAIL_JOB_ID,
        "Recompute the dashboards' detail tables when they are older than "
        "BARBERPRO_DETAIL_REFRESH_S",
        dashboard_frames_job,
        interval_s=lambda refresh_s: refresh_s,
        record_skips=False,
        statement_timeout_s=300.0,  # the data-quality scans: 16 s at the default scale
        expected_s=180.0,
    ),
    JobSpec(
        "alert_rules",
        "Run the churn-intervention alert rules and deliver due notifications",
        _alert_rules_job,
        interval_s=lambda refresh_s: refresh_s,
        statement_timeout_s=120.0,
        expected_s=30.0,
    ),
    JobSpec(
        "health_scores",
        "Compute and store today's tenant health scores (and the missing history)",
        health_scores_job,
        interval_s=lambda _: HEALTH_INTERVAL_S,
        first_run_delay_s=MODEL_JOBS_DELAY_S,
        statement_timeout_s=600.0,
        expected_s=600.0,
    ),
    JobSpec(
        "churn_retrain",
        "Retrain the churn model, backtest it, promote it only if not worse, score tenants",
        churn_retrain_job,
        interval_s=lambda _: 24 * 3600.0,
        first_run_delay_s=MODEL_JOBS_DELAY_S,
        statement_timeout_s=900.0,  # a first retrain reads a year of weekly features
        expected_s=1800.0,
    ),
    JobSpec(
        "churn_score",
        "Score every active tenant's churn risk with the promoted model",
        churn_score_job,
        interval_s=lambda _: 3600.0,
        first_run_delay_s=MODEL_JOBS_DELAY_S,
        statement_timeout_s=300.0,
        expected_s=300.0,
    ),
    JobSpec(
        "prune_job_runs",
        f"Delete job-run records older than {JOB_RUNS_KEPT_DAYS} days",
        prune_job_runs,
        interval_s=lambda _: 24 * 3600.0,
        statement_timeout_s=120.0,
        expected_s=60.0,
    ),
]


# ---------------------------------------------------------------------------- test probe

SLOW_STATEMENT_VARIABLE = "BARBERPRO_TEST_SLOW_STATEMENT_S"
SLOW_STATEMENT_JOB_ID = "test_slow_statement"


def slow_statement_job(engine: Engine, scheduler_id: str, run_id: int) -> JobOutcome:
    """One statement that runs for the configured seconds while holding a lease: the
    stop and timeout tests need a job that is deterministically busy in the database."""
    seconds = float(os.environ[SLOW_STATEMENT_VARIABLE])
    if not try_acquire(engine, SLOW_STATEMENT_JOB_ID, scheduler_id, lease_s=3600.0):
        return JobOutcome(skipped=True)
    try:
        with engine.connect() as connection:
            if engine.dialect.name == "postgresql":
                connection.execute(text("SELECT pg_sleep(:s)"), {"s": seconds})
            else:  # no sleep() in SQLite: count, about 5 million steps a second
                connection.execute(
                    text(
                        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n "
                        "WHERE i < :steps) SELECT count(*) FROM n"
                    ),
                    {"steps": int(seconds * 5_000_000)},
                )
    finally:
        release(engine, SLOW_STATEMENT_JOB_ID, scheduler_id)
    return JobOutcome(rows_touched=0)


def scheduled_jobs(environment: str) -> list[JobSpec]:
    """The registry, plus the slow-statement probe in tests that ask for it."""
    if environment != "test" or not os.environ.get(SLOW_STATEMENT_VARIABLE):
        return list(JOBS)
    probe = JobSpec(
        SLOW_STATEMENT_JOB_ID,
        "Test only: one slow statement under a lease",
        slow_statement_job,
        interval_s=lambda _: 3600.0,
        statement_timeout_s=None,
        expected_s=1.0,
    )
    return [*JOBS, probe]
