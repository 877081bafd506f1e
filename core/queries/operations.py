"""What the Refresh & jobs page shows: recent job runs, scheduler heartbeats, snapshots."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.schema import JobRun, MetricSnapshot, SchedulerHeartbeat

JOB_RUN_COLUMNS = [
    "run_id",
    "job_id",
    "status",
    "started_at",
    "finished_at",
    "duration_s",
    "rows_touched",
    "error",
    "scheduler_id",
]
HEARTBEAT_COLUMNS = ["scheduler_id", "hostname", "pid", "mode", "started_at", "beat_at"]
SNAPSHOT_COLUMNS = ["version", "created_at", "as_of", "kind", "job_run_id"]


def _frame(rows: Sequence[Any], columns: list[str]) -> pd.DataFrame:
    if not rows:
        return pd.DataFrame(columns=columns)
    return pd.DataFrame([row._asdict() for row in rows])[columns]


def recent_job_runs(*, session: Session, limit: int = 50) -> pd.DataFrame:
    """The newest ``limit`` job runs, newest first, with their duration in seconds."""
    rows = session.execute(
        select(
            JobRun.id.label("run_id"),
            JobRun.job_id,
            JobRun.status,
            JobRun.started_at,
            JobRun.finished_at,
            JobRun.rows_touched,
            JobRun.error,
            JobRun.scheduler_id,
        )
        .order_by(JobRun.started_at.desc(), JobRun.id.desc())
        .limit(limit)
    ).all()
    frame = _frame(rows, [c for c in JOB_RUN_COLUMNS if c != "duration_s"])
    if frame.empty:
        return pd.DataFrame(columns=JOB_RUN_COLUMNS)
    started = pd.to_datetime(frame["started_at"])
    finished = pd.to_datetime(frame["finished_at"])
    frame["duration_s"] = (finished - started).dt.total_seconds()
    return frame[JOB_RUN_COLUMNS]


# A job's history says what to expect once it has this many successful runs.
MIN_HISTORY_RUNS = 5
OVERDUE_COLUMNS = ["run_id", "job_id", "started_at", "elapsed_s", "expected_s"]


def expected_duration_s(*, session: Session, job_id: str, declared_s: float) -> float:
    """How long a run of ``job_id`` may take: twice its recent 90th percentile, else declared."""
    durations = [
        (finished - started).total_seconds()  # type: ignore[operator]
        for started, finished in session.execute(
            select(JobRun.started_at, JobRun.finished_at)
            .where(
                JobRun.job_id == job_id,
                JobRun.status == "success",
                JobRun.finished_at.is_not(None),
            )
            .order_by(JobRun.started_at.desc())
            .limit(20)
        )
    ]
    if len(durations) < MIN_HISTORY_RUNS:
        return declared_s
    # The floor keeps a job that usually takes milliseconds from being flagged for a hiccup.
    return max(2 * float(pd.Series(durations).quantile(0.9)), 10.0)


def overdue_runs(*, session: Session, at: datetime, declared: dict[str, float]) -> pd.DataFrame:
    """Runs still ``running`` past their expected duration (``declared``: per job id)."""
    rows = session.execute(
        select(JobRun.id, JobRun.job_id, JobRun.started_at).where(JobRun.status == "running")
    ).all()
    records = []
    for run_id, job_id, started_at in rows:
        expected = expected_duration_s(
            session=session, job_id=job_id, declared_s=declared.get(job_id, 300.0)
        )
        elapsed = (at - started_at).total_seconds()
        if elapsed > expected:
            records.append((run_id, job_id, started_at, elapsed, expected))
    return pd.DataFrame(records, columns=OVERDUE_COLUMNS)


def scheduler_heartbeats(*, session: Session) -> pd.DataFrame:
    """Every scheduler that has ever beaten, most recent beat first."""
    rows = session.execute(
        select(
            SchedulerHeartbeat.scheduler_id,
            SchedulerHeartbeat.hostname,
            SchedulerHeartbeat.pid,
            SchedulerHeartbeat.mode,
            SchedulerHeartbeat.started_at,
            SchedulerHeartbeat.beat_at,
        ).order_by(SchedulerHeartbeat.beat_at.desc())
    ).all()
    return _frame(rows, HEARTBEAT_COLUMNS)


def snapshot_history(*, session: Session, limit: int = 20) -> pd.DataFrame:
    """Headers of the newest snapshots (no frames are read), newest first."""
    rows = session.execute(
        select(
            MetricSnapshot.version,
            MetricSnapshot.created_at,
            MetricSnapshot.as_of,
            MetricSnapshot.kind,
            MetricSnapshot.job_run_id,
        )
        .order_by(MetricSnapshot.version.desc())
        .limit(limit)
    ).all()
    return _frame(rows, SNAPSHOT_COLUMNS)


def last_runs_by_job(*, session: Session, job_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
    """Each job's newest run and newest successful run (one indexed lookup per job).

    Parameters
    ----------
    session
        A read session.
    job_ids
        The declared jobs (``core.jobs.registry.JOBS``): jobs that never ran are absent.

    Returns
    -------
    dict
        ``{job_id: {"last": row or None, "last_success_at": datetime or None}}`` where a
        row has ``run_id``, ``status``, ``started_at``, ``finished_at``, ``duration_s``,
        ``rows_touched`` and ``error`` (its first line, at most 300 characters).
    """
    found: dict[str, dict[str, Any]] = {}
    for job_id in job_ids:
        newest = session.execute(
            select(
                JobRun.id,
                JobRun.status,
                JobRun.started_at,
                JobRun.finished_at,
                JobRun.rows_touched,
                JobRun.error,
            )
            .where(JobRun.job_id == job_id)
            .order_by(JobRun.started_at.desc(), JobRun.id.desc())
            .limit(1)
        ).one_or_none()
        if newest is None:
            continue
        success = session.scalar(
            select(JobRun.finished_at)
            .where(JobRun.job_id == job_id, JobRun.status == "success")
            .order_by(JobRun.started_at.desc(), JobRun.id.desc())
            .limit(1)
        )
        run_id, status, started_at, finished_at, rows_touched, error = newest
        found[job_id] = {
            "last": {
                "run_id": run_id,
                "status": status,
                "started_at": started_at,
                "finished_at": finished_at,
                "duration_s": (finished_at - started_at).total_seconds()
                if finished_at is not None
                else None,
                "rows_touched": rows_touched,
                "error": _first_line(error),
            },
            "last_success_at": success,
        }
    return found


def _first_line(error: str | None, limit: int = 300) -> str | None:
    if not error:
        return None
    return error.strip().splitlines()[0][:limit] if error.strip() else None


REQUEST_COLUMNS = [
    "execution_id",
    "job",
    "status",
    "requested_by",
    "requested_at",
    "started_at",
    "finished_at",
    "duration_s",
    "job_run_id",
    "attached",
    "outcome",
]


def requested_runs(*, session: Session, limit: int = 20) -> pd.DataFrame:
    """The newest on-demand job requests (``POST /api/t11/execute``), newest first.

    Parameters
    ----------
    session
        A read session.
    limit
        How many requests at most.

    Returns
    -------
    pandas.DataFrame
        :data:`REQUEST_COLUMNS`; ``attached`` is True for a request that followed a run
        already in progress, ``outcome`` the one-line error of a failed request or the
        reason of a skipped one, else empty.
    """
    from core.jobs.on_demand import recent_requests

    rows = [
        (
            found.execution_id,
            found.job,
            found.status,
            found.requested_by or "",
            found.requested_at,
            found.started_at,
            found.finished_at,
            found.duration_s,
            found.job_run_id,
            found.attached,
            found.error or found.skip_reason or "",
        )
        for found in recent_requests(session=session, limit=limit)
    ]
    return pd.DataFrame(rows, columns=REQUEST_COLUMNS)
