"""What a job's pages need to know about it: running, failed and when it retries.

A page whose data a job computes (Customer Health, the triage card's and Tenant 360's
health charts, the churn pages) says "the health calculation failed at 10:42; it is
retried at 10:47" rather than "no scores yet": this is the read behind that sentence.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.jobs.failures import KIND_OTHER, JobState, failure_kind
from core.schema import JobRun

# Runs that say something about the job's data (skips and interruptions do not).
_TELLING = ("success", "failed", "running")


def job_state(job_id: str, *, session: Session) -> JobState:
    """The newest finished run of ``job_id``, a run in progress, and whether any succeeded.

    Parameters
    ----------
    job_id
        The registry's id (``health_scores``).
    session
        A read session.

    Returns
    -------
    JobState
        Empty (no status) for a job that never ran.
    """
    runs = session.execute(
        select(JobRun.status, JobRun.started_at, JobRun.finished_at, JobRun.error, JobRun.detail)
        .where(JobRun.job_id == job_id, JobRun.status.in_(_TELLING))
        .order_by(JobRun.started_at.desc())
        .limit(2)
    ).all()
    running_since = runs[0].started_at if runs and runs[0].status == "running" else None
    finished = next((run for run in runs if run.status != "running"), None)
    ever = session.scalar(
        select(JobRun.id).where(JobRun.job_id == job_id, JobRun.status == "success").limit(1)
    )
    if finished is None:
        return JobState(job_id, running_since=running_since, ever_succeeded=ever is not None)
    failure = retry_at = None
    if finished.status == "failed":
        detail = finished.detail or {}
        failure = detail.get("failure") or failure_kind(finished.error) or KIND_OTHER
        if detail.get("retry_at"):
            retry_at = datetime.fromisoformat(detail["retry_at"])
    return JobState(
        job_id,
        last_status=finished.status,
        last_finished_at=finished.finished_at,
        failure=failure,
        retry_at=retry_at,
        running_since=running_since,
        ever_succeeded=ever is not None,
    )
