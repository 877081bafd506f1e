"""Running one job: its lease, its statement limits, and the record of the run.

Every run is written to ``console_job_runs`` (start, end, rows touched, error), so the
Operations pages can show what the automation did and how often it failed.
"""

from __future__ import annotations

import logging
import os
import socket
import uuid
from datetime import datetime, timedelta

from sqlalchemy import Engine, delete, select

from core.clock import now
from core.config import Settings
from core.db import read_session, write_unit
from core.jobs import control, on_demand
from core.jobs.failures import failure_kind
from core.jobs.retry import retry_delay_s, run_with_retries
from core.jobs.spec import LEASE_HELD, JobContext, JobOutcome, JobSpec
from core.locks import release, try_acquire
from core.ops.probes import SCHEDULER, upsert_probe
from core.schema import JobRun, SchedulerHeartbeat

log = logging.getLogger(__name__)

# Error text stored per failed run: enough to diagnose, short enough to show in a table.
MAX_ERROR_CHARS = 500
INTERRUPTED_ERROR = "interrupted: the scheduler was stopped while this run was in progress"


def new_scheduler_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


def describe_error(exc: BaseException) -> str:
    text = f"{exc.__class__.__name__}: {exc}".strip()
    first_line = text.splitlines()[0] if text else exc.__class__.__name__
    return first_line[:MAX_ERROR_CHARS]


def run_recorded(
    engine: Engine,
    spec: JobSpec,
    scheduler_id: str,
    settings: Settings,
    handoff: on_demand.HandOff | None = None,
) -> JobRun | None:
    """Run one job and record it; never raises, so a failing job cannot stop the scheduler.

    ``handoff`` holds the on-demand requests (``core.jobs.on_demand``) waiting for this
    job in this scheduler: the run takes them, links them to its row and settles them
    when it ends. Returns None only when the run could not even be recorded (database
    unreachable).
    """
    request_ids = handoff.take(spec.job_id) if handoff is not None else []
    try:
        return _run_and_record(engine, spec, scheduler_id, settings, request_ids)
    except Exception:
        log.exception("could not record a run of job %s", spec.job_id)
        return None


def _run_and_record(
    engine: Engine,
    spec: JobSpec,
    scheduler_id: str,
    settings: Settings,
    request_ids: list[int],
) -> JobRun:
    def start() -> JobRun:
        with write_unit(engine) as session:
            run = JobRun(
                job_id=spec.job_id, scheduler_id=scheduler_id, started_at=now(), status="running"
            )
            session.add(run)
            session.flush()
            on_demand.link(session, request_ids, run)
        return run

    # The run's own record retries a busy database too: a run left "running" would say
    # nothing true about what happened.
    run = run_with_retries(start)[0]
    context = JobContext(engine, scheduler_id, run.id, settings, requested=bool(request_ids))
    outcome: JobOutcome | None = None
    retries: list[str] = []  # the transient errors retried within this run
    try:
        with control.job_context(spec.job_id, timeout_s=spec.statement_timeout(settings)):
            outcome = _run_under_lease(spec, context, retries)
    except control.JobInterrupted:
        _end(run, "interrupted", INTERRUPTED_ERROR)
    except Exception as exc:  # any failure is recorded, then the scheduler goes on
        if control.stop_requested():  # its statement was cancelled by the stop
            _end(run, "interrupted", f"{INTERRUPTED_ERROR} ({describe_error(exc)})")
        else:
            log.exception("job %s failed", spec.job_id)
            _end(run, "failed", describe_error(exc))
            failures = 1 + _failures_in_a_row(engine, spec.job_id, before=run.started_at)
            retry_in = retry_delay_s(spec.interval_s(settings.refresh_interval_s), failures)
            run.detail = {
                "attempts": len(retries) + 1,
                "failure": failure_kind(run.error),
                "failures_in_a_row": failures,
                "retry_at": (now() + timedelta(seconds=retry_in)).isoformat(timespec="seconds"),
            }
    else:
        if outcome.skipped and not spec.record_skips:
            with write_unit(engine) as session:
                session.execute(delete(JobRun).where(JobRun.id == run.id))
            run.status = "skipped"
            on_demand.settle_after_run(engine, run, request_ids, outcome)
            return run
        run.status = "skipped" if outcome.skipped else "success"
        detail = outcome.detail
        if retries:  # said in the run's record: a run that needed retries is a warning sign
            detail = {**(detail or {}), "attempts": len(retries) + 1, "retried": retries}
        run.rows_touched, run.detail, run.error = outcome.rows_touched, detail, None
    run.finished_at = now()

    def finish() -> None:
        with write_unit(engine) as session:
            session.merge(run)

    run_with_retries(finish)
    on_demand.settle_after_run(engine, run, request_ids, outcome)
    return run


def _run_under_lease(spec: JobSpec, context: JobContext, retries: list[str]) -> JobOutcome:
    """The body, inside the job's lease when it declares one (skipped if another holds it).

    A transient failure (a busy database, a lost connection) is retried a few times
    within the run (``core.jobs.retry``); ``retries`` collects the errors retried.
    """

    def note_retry(attempt: int, error: BaseException) -> None:
        log.warning(
            "job %s: attempt %d failed transiently, retrying: %s", spec.job_id, attempt, error
        )
        retries.append(describe_error(error)[:200])

    def body() -> JobOutcome:
        return run_with_retries(
            lambda: spec.run(context), pauses_s=spec.retry_pauses_s, on_retry=note_retry
        )[0]

    lease_s = spec.lease_for(context.settings)
    if lease_s is None:
        return body()
    engine, holder = context.engine, context.scheduler_id
    if not try_acquire(engine, spec.job_id, holder, lease_s=lease_s):
        return JobOutcome(skipped=True, detail=dict(LEASE_HELD))
    try:
        return body()
    finally:
        release(engine, spec.job_id, holder)


def _failures_in_a_row(engine: Engine, job_id: str, *, before: datetime) -> int:
    """How many of the job's runs before ``before`` failed since its last success."""
    with read_session(engine) as session:
        statuses = session.scalars(
            select(JobRun.status)
            .where(
                JobRun.job_id == job_id,
                JobRun.started_at < before,
                JobRun.status.in_(("success", "failed")),
            )
            .order_by(JobRun.started_at.desc())
            .limit(10)
        ).all()
    return next((i for i, status in enumerate(statuses) if status != "failed"), len(statuses))


def _end(run: JobRun, status: str, error: str) -> None:
    run.status, run.error, run.rows_touched, run.detail = (
        status,
        error[:MAX_ERROR_CHARS],
        None,
        None,
    )


def write_heartbeat(engine: Engine, scheduler_id: str, mode: str, started_at: datetime) -> None:
    """Stamp this scheduler's heartbeat and its availability probe of the minute.

    The probe (``ops_probes``, component ``scheduler``) is one idempotent upsert per beat
    in the same transaction: uptime counts the minutes a scheduler was beating.
    """
    hostname, pid, _ = scheduler_id.split(":", 2)
    with write_unit(engine) as session:
        upsert_probe(session, SCHEDULER, now())
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
