"""/api/t11/*: the scheduler's jobs, their runs and the snapshots they write.

``POST /execute`` queues a run of a job (``core.jobs.on_demand.RequestJobRun``): a
scheduler process runs it under the job's usual lease, never this process;
``GET /execution/track`` follows it (read exactly, one indexed query per request).
``/status`` is kept a few seconds per process and ``/validation`` until what it derives
from changes (``api.cache``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from api.auth import actor_of, requires, requires_capability
from api.cache import cache_control, encode, json_answer, memo_of, with_fields
from api.locale import locale_of
from api.problems import AUTHENTICATED_ERRORS, ProblemError, documented
from api.types import Timestamp, timestamp_text
from core.auth.api_tokens import ApiCaller
from core.auth.roles import Role
from core.clock import now
from core.commands import execute as execute_command
from core.config import Settings
from core.db import Engine, Session, read_session
from core.i18n import gettext
from core.jobs.on_demand import (
    REQUESTABLE_JOBS,
    UNKNOWN_EXECUTION,
    RequestJobRun,
    load_execution,
)
from core.jobs.registry import JOBS
from core.metrics.snapshots import latest_detail_version, latest_version, load_snapshot
from core.metrics.status import refresh_status
from core.queries.operations import last_runs_by_job, scheduler_heartbeats
from core.queries.validation import validation_inputs, validation_results

router = APIRouter(prefix="/api/t11", tags=["t11"])
READERS = (Role.ADMIN, Role.EXECUTIVE)
# Seconds a status answer is kept: the scheduler beats every few seconds and the
# quickest job runs every 30 s, so 5 s shows a run's end within a sixth of its interval.
STATUS_MAX_AGE_S = 5.0
STATUS_MEMO, VALIDATION_MEMO = "t11_status", "t11_validation"


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
    computed_at: Timestamp = Field(
        description="When this answer was computed (the ages above are as of then)."
    )
    max_age_s: float = Field(
        description="How long an answer is kept and served again (Cache-Control matches).",
        examples=[STATUS_MAX_AGE_S],
    )


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
async def t11_status(
    request: Request, _caller: Annotated[ApiCaller, Depends(requires(*READERS))]
) -> Response:
    """What the Refresh & jobs page shows, for every job declared in the registry, kept
    up to ``max_age_s`` seconds per process."""
    engine, settings = request.app.state.engine, request.app.state.settings
    kept = await memo_of(request, STATUS_MEMO, STATUS_MAX_AGE_S).get(
        None, lambda: encode(_t11_status(engine, settings))
    )
    return json_answer(
        kept.value, headers={"Cache-Control": cache_control(STATUS_MAX_AGE_S, kept.age_s)}
    )


def _t11_status(engine: Engine, settings: Settings) -> T11StatusOut:
    at = now()
    with read_session(engine) as session:
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
        computed_at=at,
        max_age_s=STATUS_MAX_AGE_S,
    )


# ----------------------------------------------------------------- on-demand job runs

JobName = Literal[
    "metrics_refresh",
    "dashboard_frames",
    "health_scores",
    "churn_retrain",
    "churn_score",
    "alert_rules",
    "backup",
]
ExecutionStatus = Literal["queued", "running", "succeeded", "failed", "skipped"]
_JOBS_TEXT = ", ".join(f"`{name}`" for name in REQUESTABLE_JOBS)


class ExecuteIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"job_id": "metrics_refresh"}]}
    )

    job_id: JobName = Field(
        description=f"The job to run now: one of {_JOBS_TEXT}. `backup` is the nightly "
        "backup job (`backup_nightly` in the scheduler's registry and in /api/t11/status).",
        examples=["metrics_refresh"],
    )


class ExecuteOut(BaseModel):
    execution_id: int = Field(description="Follow it at the track route.", examples=[42])
    job_id: str = Field(description="The name asked for.", examples=["metrics_refresh"])
    scheduler_job_id: str = Field(
        description="The job's id in the scheduler's registry.", examples=["metrics_refresh"]
    )
    status: ExecutionStatus = Field(examples=["queued"])
    deduplicated: bool = Field(
        description="True when a request for this job was already queued or running: its "
        "id is answered and no second run is queued.",
        examples=[False],
    )
    track: str = Field(examples=["/api/t11/execution/track?execution_id=42"])


class ExecutionOut(BaseModel):
    execution_id: int = Field(examples=[42])
    job_id: str = Field(examples=["metrics_refresh"])
    scheduler_job_id: str = Field(examples=["metrics_refresh"])
    status: ExecutionStatus = Field(
        description="queued (no scheduler took it yet), running, succeeded, failed or "
        "skipped (the job found nothing to do or could not run: see skip_reason).",
        examples=["succeeded"],
    )
    requested_at: Timestamp
    requested_by: str | None = Field(
        description="The e-mail of the console user whose token asked.",
        examples=["ana.admin@barberpro.com.ar"],
    )
    started_at: Timestamp | None
    finished_at: Timestamp | None
    duration_s: float | None = Field(examples=[1.42])
    rows_touched: int | None = Field(examples=[37])
    error: str | None = Field(description="The failed run's one-line error.", examples=[None])
    skip_reason: str | None = Field(examples=[None])
    job_run_id: int | None = Field(
        description="The scheduler's run record (console_job_runs) that did the work.",
        examples=[1812],
    )
    attached: bool = Field(
        description="True when the request joined a run of the job already in progress "
        "(the scheduled one) instead of starting a second one.",
        examples=[False],
    )


def _track_link(execution_id: int) -> str:
    return f"/api/t11/execution/track?execution_id={execution_id}"


@router.post(
    "/execute",
    status_code=202,
    response_model=ExecuteOut,
    responses=AUTHENTICATED_ERRORS,
    summary="Ask for a scheduler job to run now (queued; a scheduler runs it under its lease)",
)
def execute_job(
    request: Request,
    response: Response,
    body: ExecuteIn,
    caller: Annotated[ApiCaller, Depends(requires_capability(RequestJobRun.required_capability))],
) -> ExecuteOut:
    """Queue the job and answer at once (202) with the execution to follow (``Location``).

    When a request for the job is already queued or running, that one is answered
    (``deduplicated``). This process never runs the job: a scheduler claims the request
    within seconds and runs it like a scheduled run (same lease, same run record); if
    the job is running at that moment, the request follows that run.
    """
    requested = execute_command(
        RequestJobRun(job=body.job_id), actor=actor_of(caller), engine=request.app.state.engine
    )
    link = _track_link(requested.execution_id)
    response.headers["Location"] = link
    return ExecuteOut(
        execution_id=requested.execution_id,
        job_id=body.job_id,
        scheduler_job_id=requested.job_id,
        status=requested.status,  # type: ignore[arg-type]
        deduplicated=requested.deduplicated,
        track=link,
    )


@router.get(
    "/execution/track",
    response_model=ExecutionOut,
    responses={
        **AUTHENTICATED_ERRORS,
        **documented(404, "No job execution has this id.", "There is no job execution with id 42."),
    },
    summary="A requested job run: status, timings, rows touched, the one-line error",
)
async def track_execution(
    request: Request,
    _caller: Annotated[ApiCaller, Depends(requires(*READERS))],
    execution_id: Annotated[int, Query(ge=1, le=2**31 - 1, examples=[42])],
) -> Response:
    """What became of a ``POST /api/t11/execute``: read from the request's own record.

    Never kept: one query by primary key per request, on the event loop."""
    with read_session(request.app.state.engine) as session:
        found = load_execution(session=session, execution_id=execution_id)
    if found is None:
        text = gettext(UNKNOWN_EXECUTION, locale_of(request))
        raise ProblemError(404, text.format(execution_id=execution_id), code="unknown_execution")
    answer = ExecutionOut(
        execution_id=found.execution_id,
        job_id=found.job,
        scheduler_job_id=found.job_id,
        status=found.status,  # type: ignore[arg-type]
        requested_at=found.requested_at,
        requested_by=found.requested_by,
        started_at=found.started_at,
        finished_at=found.finished_at,
        duration_s=found.duration_s,
        rows_touched=found.rows_touched,
        error=found.error,
        skip_reason=found.skip_reason,
        job_run_id=found.job_run_id,
        attached=found.attached,
    )
    return json_answer(encode(answer))


# ------------------------------------------------------------------ validation results


class ValidationItemOut(BaseModel):
    id: str = Field(examples=["forecast_mase.bookings"])
    name: str = Field(examples=["Forecast of bookings: MASE vs the naive forecast"])
    values: dict[str, Any] | None = Field(
        description="The stored figures; null when the result does not exist yet.",
        examples=[{"mase_model": 0.82, "mase_naive": 1.0, "origins": 6, "horizon": 14}],
    )
    rule: str = Field(
        description="The threshold or rule the figures are judged by.",
        examples=["Backtest MASE of the model below the seasonal-naive forecast's MASE."],
    )
    passed: bool | None = Field(description="null when there is nothing to judge yet.")
    measured_at: Timestamp | None = Field(description="When the figures were computed.")
    note: str | None = Field(
        description="Why a result is missing.",
        examples=[None],
    )


class ValidationOut(BaseModel):
    at: Timestamp
    passed: bool | None = Field(
        description="False if any result failed; null if none could be judged; else true.",
        examples=[True],
    )
    results: list[ValidationItemOut]


@router.get(
    "/validation",
    response_model=ValidationOut,
    responses=AUTHENTICATED_ERRORS,
    summary="The latest data-quality and model-validation results (stored, not recomputed)",
)
async def validation(
    request: Request, _caller: Annotated[ApiCaller, Depends(requires(*READERS))]
) -> Response:
    """Data quality, incremental snapshot vs full rebuild (the restore drill), churn
    backtest vs the promotion rule, forecast MASE vs the naive forecast: the results
    the jobs stored (``core.queries.validation``).

    Kept per process and language until what they derive from changes (a new detail
    snapshot, a new or newly promoted churn model, a new drill): checked per request."""
    engine, settings = request.app.state.engine, request.app.state.settings
    with read_session(engine) as session:
        inputs = validation_inputs(session=session, settings=settings)
    locale = locale_of(request)
    kept = await memo_of(request, VALIDATION_MEMO, None).get(
        (inputs, locale), lambda: _validation(engine, settings, locale)
    )
    return json_answer(with_fields(kept.value, {"at": timestamp_text(now())}))


def _validation(engine: Engine, settings: Settings, locale: str) -> bytes:
    with read_session(engine) as session:
        results = validation_results(session=session, settings=settings)
    judged = [result.passed for result in results if result.passed is not None]
    answer = ValidationOut(
        at=now(),  # per request (see validation)
        passed=all(judged) if judged else None,
        results=[
            ValidationItemOut(
                id=result.id,
                name=gettext(result.name, locale).format(**result.params),
                values=result.values,
                rule=gettext(result.rule, locale).format(**result.params),
                passed=result.passed,
                measured_at=result.measured_at,
                note=gettext(result.note, locale) if result.note else None,
            )
            for result in results
        ],
    )
    return encode(answer, exclude={"at"})
