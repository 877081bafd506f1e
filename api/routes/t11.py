"""/api/t11/*: the scheduler's jobs, their runs and the snapshots they write."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field

from api.auth import requires
from api.problems import AUTHENTICATED_ERRORS
from api.types import Timestamp
from core.auth.api_tokens import ApiCaller
from core.auth.roles import Role
from core.clock import now
from core.db import Session, read_session
from core.jobs.registry import JOBS
from core.metrics.snapshots import latest_detail_version, latest_version, load_snapshot
from core.metrics.status import refresh_status
from core.queries.operations import last_runs_by_job, scheduler_heartbeats

router = APIRouter(prefix="/api/t11", tags=["t11"])
READERS = (Role.ADMIN, Role.EXECUTIVE)


class RunOut(BaseModel):
    run_id: int = Field(examples=[1812])
    status: str = Field(description="running, success, failed or skipped.", examples=["success"])
    started_at: Timestamp
    finished_at: Timestamp | None
    duration_s: float | None = Field(examples=[1.42])
    rows_touched: int | None = Field(examples=[37])
    error: str | None = Field(description="The error's first line (failed runs).", examples=[None])


class JobOut(BaseModel):
    job_id: str = Field(examples=["metrics_refresh"])
    description: str
    interval_s: float = Field(description="Seconds between two runs.", examples=[30.0])
    expected_s: float = Field(description="How long a run usually takes.", examples=[30.0])
    last_run: RunOut | None = Field(description="The newest run (None: never ran).")
    last_success_at: Timestamp | None


class SnapshotOut(BaseModel):
    version: int = Field(examples=[5120])
    kind: str = Field(examples=["incremental"])
    created_at: Timestamp
    as_of: Timestamp
    age_s: float = Field(description="Seconds since it was written.", examples=[12.5])


class SchedulerOut(BaseModel):
    scheduler_id: str
    hostname: str
    mode: str = Field(examples=["standalone"])
    started_at: Timestamp
    beat_at: Timestamp
    beat_age_s: float = Field(examples=[4.2])


class T11StatusOut(BaseModel):
    at: Timestamp
    stale: bool = Field(
        description="True when the newest metrics snapshot is older than the refresh allows."
    )
    stale_reason: str | None
    jobs: list[JobOut]
    metrics_snapshot: SnapshotOut | None = Field(description="The newest KPI snapshot.")
    detail_snapshot: SnapshotOut | None = Field(description="The dashboards' detail tables.")
    schedulers: list[SchedulerOut]


def _snapshot(session: Session, version: int | None, at: datetime) -> SnapshotOut | None:
    if version is None:
        return None
    header = load_snapshot(session=session, version=version, frames=False)
    if header is None:  # pruned between the two reads
        return None
    return SnapshotOut(
        version=header.version,
        kind=header.kind,
        created_at=header.created_at,
        as_of=header.as_of,
        age_s=(at - header.created_at).total_seconds(),
    )


@router.get(
    "/status",
    response_model=T11StatusOut,
    responses=AUTHENTICATED_ERRORS,
    summary="Jobs with their last runs, snapshot versions and ages, schedulers",
)
def t11_status(
    request: Request, _caller: Annotated[ApiCaller, Depends(requires(*READERS))]
) -> T11StatusOut:
    """What the Refresh & jobs page shows, for every job declared in the registry."""
    settings = request.app.state.settings
    at = now()
    with read_session(request.app.state.engine) as session:
        runs = last_runs_by_job(session=session, job_ids=[job.job_id for job in JOBS])
        metrics = _snapshot(session, latest_version(session=session), at)
        detail = _snapshot(session, latest_detail_version(session=session), at)
        freshness = refresh_status(session=session, interval_s=settings.refresh_interval_s)
        beats = scheduler_heartbeats(session=session)
    jobs = []
    for job in JOBS:
        found = runs.get(job.job_id)
        jobs.append(
            JobOut(
                job_id=job.job_id,
                description=job.description,
                interval_s=job.interval_s(settings.refresh_interval_s),
                expected_s=job.expected_s,
                last_run=RunOut(**found["last"]) if found else None,
                last_success_at=found["last_success_at"] if found else None,
            )
        )
    return T11StatusOut(
        at=at,
        stale=freshness.stale,
        stale_reason=freshness.stale_reason,
        jobs=jobs,
        metrics_snapshot=metrics,
        detail_snapshot=detail,
        schedulers=[
            SchedulerOut(
                scheduler_id=row.scheduler_id,
                hostname=row.hostname,
                mode=row.mode,
                started_at=row.started_at,
                beat_at=row.beat_at,
                beat_age_s=(at - row.beat_at).total_seconds(),
            )
            for row in beats.itertuples()
        ],
    )
