"""Is the newest snapshot fresh? What the live-status line on every page shows."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.clock import now
from core.i18n import N_
from core.jobs.failures import FAILURE_TEXTS, failure_kind
from core.metrics.snapshot_types import RefreshStatus
from core.metrics.snapshots import DETAIL_KIND
from core.schema import JobRun, MetricSnapshot, SchedulerHeartbeat

REFRESH_JOB_ID = "metrics_refresh"
# Why a snapshot is stale: English msgids, translated where they are shown.
STALE_NO_SNAPSHOT = N_("no snapshot has been computed yet")
# The failure's kind, never its text: the error is for the log and the Refresh & jobs page.
STALE_LAST_RUN_FAILED = N_("the last refresh failed at {time} ({reason})")
STALE_NO_RECENT_REFRESH = N_("no refresh has completed recently (is the scheduler running?)")
# A snapshot older than this many refresh intervals is called stale even without a failure.
STALE_AFTER_INTERVALS = 3


def refresh_status(*, session: Session, interval_s: float) -> RefreshStatus:
    snapshot = session.execute(
        select(MetricSnapshot.version, MetricSnapshot.created_at)
        .where(MetricSnapshot.kind != DETAIL_KIND)
        .order_by(MetricSnapshot.version.desc())
        .limit(1)
    ).first()
    last_run = session.execute(
        select(JobRun.status, JobRun.finished_at, JobRun.error)
        .where(JobRun.job_id == REFRESH_JOB_ID, JobRun.status.in_(("success", "failed")))
        .order_by(JobRun.started_at.desc())
        .limit(1)
    ).first()
    heartbeat_at = session.scalar(select(func.max(SchedulerHeartbeat.beat_at)))

    template: str | None = None
    params: dict[str, str] = {}
    if snapshot is None:
        template = STALE_NO_SNAPSHOT
    elif last_run is not None and last_run.status == "failed":
        finished = last_run.finished_at
        template, params = (
            STALE_LAST_RUN_FAILED,
            {
                "time": "" if finished is None else f"{finished:%H:%M}",
                "reason": FAILURE_TEXTS[failure_kind(last_run.error)],  # a msgid
            },
        )
    elif (now() - snapshot.created_at).total_seconds() > STALE_AFTER_INTERVALS * interval_s:
        template = STALE_NO_RECENT_REFRESH
    stale_reason = None if template is None else template.format(**params)
    if template is STALE_LAST_RUN_FAILED and last_run is not None and last_run.error:
        stale_reason = f"{stale_reason}: {last_run.error}"  # the logs' and the API's keep it

    return RefreshStatus(
        snapshot_version=snapshot.version if snapshot else None,
        snapshot_created_at=snapshot.created_at if snapshot else None,
        last_run_status=last_run.status if last_run else None,
        last_run_finished_at=last_run.finished_at if last_run else None,
        last_error=last_run.error if last_run else None,
        heartbeat_at=heartbeat_at,
        stale=stale_reason is not None,
        stale_reason=stale_reason,
        stale_template=template,
        stale_params=params,
    )
