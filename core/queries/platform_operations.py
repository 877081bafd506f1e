"""Live reads behind the Platform Operations page: the refresh's recent runs with their
measurements, and every job's outcomes. ``console_job_runs`` is small and indexed by
(job_id, started_at); nothing here reads a platform table.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.metrics.status import REFRESH_JOB_ID
from core.schema import JobRun

REFRESH_COLUMNS = [
    "run_id",
    "started_at",
    "finished_at",
    "status",
    "duration_s",
    "rows_touched",
    "rows_read",
    "cells",
    "days",
    "kind",
    "timings",
]
SUMMARY_COLUMNS = ["job_id", "runs", "success", "failed", "skipped", "success_rate", "last_run_at"]
FAILURE_COLUMNS = ["run_id", "job_id", "started_at", "finished_at", "error", "scheduler_id"]


def _seconds(finished: pd.Series, started: pd.Series) -> pd.Series:
    return (pd.to_datetime(finished) - pd.to_datetime(started)).dt.total_seconds()


def refresh_runs(
    *, session: Session, limit: int = 240, job_id: str = REFRESH_JOB_ID
) -> pd.DataFrame:
    """The newest ``limit`` finished runs of ``job_id``, oldest first, with what the refresh
    measured (rows read, cells recomputed, seconds per stage from ``detail``)."""
    rows = session.execute(
        select(
            JobRun.id.label("run_id"),
            JobRun.started_at,
            JobRun.finished_at,
            JobRun.status,
            JobRun.rows_touched,
            JobRun.detail,
        )
        .where(JobRun.job_id == job_id, JobRun.finished_at.is_not(None))
        .order_by(JobRun.started_at.desc())
        .limit(limit)
    ).all()
    if not rows:
        return pd.DataFrame(columns=REFRESH_COLUMNS)
    frame = pd.DataFrame([row._asdict() for row in rows]).iloc[::-1].reset_index(drop=True)
    details = [d if isinstance(d, dict) else {} for d in frame.pop("detail")]
    for key in ("rows_read", "cells", "days"):
        frame[key] = pd.array([d.get(key) for d in details], dtype="Int64")
    frame["kind"] = [d.get("kind") for d in details]
    frame["timings"] = [d.get("timings") or {} for d in details]
    frame["duration_s"] = _seconds(frame["finished_at"], frame["started_at"])
    return frame[REFRESH_COLUMNS]


def job_summary(*, session: Session, since: datetime) -> pd.DataFrame:
    """Runs per job since ``since``, by outcome, with the success rate of finished runs."""
    job_ids = list(session.scalars(select(JobRun.job_id).distinct()))
    records = []
    for job_id in sorted(job_ids):  # one index range per job
        counts = dict(
            session.execute(
                select(JobRun.status, func.count())
                .where(JobRun.job_id == job_id, JobRun.started_at >= since)
                .group_by(JobRun.status)
            ).all()
        )
        last = session.scalar(select(func.max(JobRun.started_at)).where(JobRun.job_id == job_id))
        success, failed = counts.get("success", 0), counts.get("failed", 0)
        records.append(
            {
                "job_id": job_id,
                "runs": sum(counts.values()),
                "success": success,
                "failed": failed,
                "skipped": counts.get("skipped", 0),
                "success_rate": success / (success + failed) if success + failed else None,
                "last_run_at": last,
            }
        )
    return pd.DataFrame(records, columns=SUMMARY_COLUMNS)


def recent_failures(*, session: Session, since: datetime, limit: int = 50) -> pd.DataFrame:
    """Failed runs of every job since ``since``, newest first."""
    job_ids = list(session.scalars(select(JobRun.job_id).distinct()))
    rows: list[Any] = []
    for job_id in job_ids:
        rows += session.execute(
            select(
                JobRun.id.label("run_id"),
                JobRun.job_id,
                JobRun.started_at,
                JobRun.finished_at,
                JobRun.error,
                JobRun.scheduler_id,
            )
            .where(JobRun.job_id == job_id, JobRun.started_at >= since, JobRun.status == "failed")
            .order_by(JobRun.started_at.desc())
            .limit(limit)
        ).all()
    if not rows:
        return pd.DataFrame(columns=FAILURE_COLUMNS)
    frame = pd.DataFrame([row._asdict() for row in rows])
    return (
        frame.sort_values("started_at", ascending=False)
        .head(limit)[FAILURE_COLUMNS]
        .reset_index(drop=True)
    )
