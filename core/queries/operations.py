"""What the Refresh & jobs page shows: recent job runs, scheduler heartbeats, snapshots."""

from __future__ import annotations

from collections.abc import Sequence
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
