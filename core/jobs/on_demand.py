"""Runs of scheduler jobs asked for on demand: queued by a command, run by a scheduler.

The API process never runs a job. ``RequestJobRun`` (an administrator's command) writes a
``console_job_requests`` row, ``queued``; a scheduler claims it (a conditional UPDATE on
that one row, so two schedulers never both take it) and either

* **attaches** it to the run of that job already in progress, when there is one (the
  scheduled run is producing exactly what was asked for: running the job a second time
  right after would only repeat it, and under the job's lease it could not run at the
  same time anyway), or
* **hands it off** to the job's own scheduled entry, which runs now through the usual
  recorded path (``core.jobs.runner.run_recorded``: same lease, statement limits and
  ``console_job_runs`` row), and links the request to the run it creates.

When the run ends, the request is settled from it: ``succeeded``, ``failed`` (with the
run's one-line error; an interrupted run is a failure too) or ``skipped`` (with the
reason, e.g. the backup folder is not configured). A hand-off whose run found the lease
held by another scheduler is re-attached to that scheduler's run.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import Engine, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core import audit
from core.auth.roles import Capability
from core.clock import now
from core.db import write_connection, write_unit
from core.errors import DomainError
from core.i18n import N_
from core.jobs.spec import LEASE_HELD, JobOutcome
from core.schema import JobRun, JobRunRequest

# The names a caller may ask for → the registry's job ids. ``backup`` is the nightly
# backup job (``core.backup.jobs.BACKUP_JOB_ID``); the others are the registry's own ids.
REQUESTABLE_JOBS: dict[str, str] = {
    "metrics_refresh": "metrics_refresh",
    "dashboard_frames": "dashboard_frames",
    "health_scores": "health_scores",
    "churn_retrain": "churn_retrain",
    "churn_score": "churn_score",
    "alert_rules": "alert_rules",
    "backup": "backup_nightly",
}
QUEUED, RUNNING, SUCCEEDED, FAILED, SKIPPED = "queued", "running", "succeeded", "failed", "skipped"
ACTIVE = (QUEUED, RUNNING)
# A run's status → the request's.
_SETTLED = {"success": SUCCEEDED, "failed": FAILED, "interrupted": FAILED, "skipped": SKIPPED}
NOT_RECORDED_SKIP = "the job found nothing to do"
UNKNOWN_EXECUTION = N_("There is no job execution with id {execution_id}.")


class UnknownJobError(DomainError):
    def __init__(self, name: str) -> None:
        super().__init__(
            "unknown_job",
            N_("There is no job named {name}; ask for one of: {names}."),
            {"name": name[:60], "names": ", ".join(REQUESTABLE_JOBS)},
            field="job_id",
        )


@dataclass(frozen=True)
class Requested:
    """What ``RequestJobRun`` answers: the request, and whether it was one already open."""

    execution_id: int
    job_id: str
    status: str
    deduplicated: bool


@dataclass(frozen=True)
class RequestJobRun:
    """Ask for ``job`` (a name of :data:`REQUESTABLE_JOBS`) to run now.

    Queues a request unless one for the same job is queued or running: then that one is
    answered (``deduplicated``). Either way the ask is audited with the actor.
    """

    job: str
    required_capability: ClassVar[Capability | None] = Capability.OPERATE_SYSTEM

    def validate(self, *, session: Session, actor: Any) -> None:
        if self.job not in REQUESTABLE_JOBS:
            raise UnknownJobError(self.job)

    def run(self, *, session: Session, actor: Any) -> Requested:
        job_id = REQUESTABLE_JOBS[self.job]
        requested = _open_request(session, job_id)
        if requested is None:
            row = JobRunRequest(
                job_id=job_id,
                requested_as=self.job,
                requested_by=actor.user_id,
                requested_at=now(),
                status=QUEUED,
                active_job_id=job_id,
                attached=False,
            )
            try:
                # The unique key on active_job_id: a concurrent ask for the same job
                # (another API process) committed first; answer that one instead.
                with session.begin_nested():
                    session.add(row)
                requested = Requested(row.id, job_id, QUEUED, deduplicated=False)
            except IntegrityError:
                requested = _open_request(session, job_id)
                if requested is None:  # settled in between: extremely unlikely, but honest
                    raise
        audit.record(
            session=session,
            actor_id=actor.user_id,
            action="jobs.run_requested",
            entity="job_request",
            entity_id=requested.execution_id,
            after={"job": self.job, "job_id": job_id, "deduplicated": requested.deduplicated},
        )
        return requested


def _open_request(session: Session, job_id: str) -> Requested | None:
    row = session.execute(
        select(JobRunRequest.id, JobRunRequest.status).where(JobRunRequest.active_job_id == job_id)
    ).first()
    if row is None:
        return None
    return Requested(row.id, job_id, row.status, deduplicated=True)


# ------------------------------------------------------------------------ the scheduler


@dataclass
class HandOff:
    """Claimed requests waiting for their job's next run in this scheduler process.

    The request step puts ids here and asks APScheduler to run the job now; the run
    (``run_recorded``) takes them when it starts and links them to its row.
    """

    _pending: dict[str, list[int]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def put(self, job_id: str, request_id: int) -> None:
        with self._lock:
            self._pending.setdefault(job_id, []).append(request_id)

    def take(self, job_id: str) -> list[int]:
        with self._lock:
            return self._pending.pop(job_id, [])

    def waiting(self) -> list[str]:
        with self._lock:
            return [job_id for job_id, ids in self._pending.items() if ids]


def claim_queued(engine: Engine, scheduler_id: str, *, limit: int = 20) -> list[tuple[int, str]]:
    """Take the queued requests for this scheduler, oldest first: ``[(id, job_id)]``.

    Each is taken by ``UPDATE ... WHERE id = ? AND status = 'queued'``: of two schedulers
    polling together, exactly one updates the row.
    """
    with Session(engine) as session:
        queued = session.execute(
            select(JobRunRequest.id, JobRunRequest.job_id)
            .where(JobRunRequest.status == QUEUED)
            .order_by(JobRunRequest.requested_at, JobRunRequest.id)
            .limit(limit)
        ).all()
    claimed = []
    for request_id, job_id in queued:
        with write_connection(engine) as connection:
            taken = connection.execute(
                update(JobRunRequest)
                .where(JobRunRequest.id == request_id, JobRunRequest.status == QUEUED)
                .values(status=RUNNING, claimed_by=scheduler_id, claimed_at=now())
            ).rowcount
        if taken == 1:
            claimed.append((request_id, job_id))
    return claimed


def run_in_progress(engine: Engine, job_id: str, *, besides: int | None = None) -> JobRun | None:
    """The newest ``running`` run of ``job_id`` (another than ``besides``), or None."""
    statement = select(JobRun).where(JobRun.job_id == job_id, JobRun.status == "running")
    if besides is not None:
        statement = statement.where(JobRun.id != besides)
    with Session(engine, expire_on_commit=False) as session:
        return session.scalars(statement.order_by(JobRun.id.desc()).limit(1)).first()


def attach(engine: Engine, request_ids: Sequence[int], run: JobRun) -> None:
    """Make ``request_ids`` follow ``run`` (a run already in progress): settled with it."""
    if not request_ids:
        return
    with write_unit(engine) as session:
        session.execute(
            update(JobRunRequest)
            .where(JobRunRequest.id.in_(list(request_ids)), JobRunRequest.status == RUNNING)
            .values(job_run_id=run.id, started_at=run.started_at, attached=True)
            .execution_options(synchronize_session=False)
        )


def link(session: Session, request_ids: Sequence[int], run: JobRun) -> None:
    """In the transaction that creates ``run``: the requests it was started for."""
    if not request_ids:
        return
    session.execute(
        update(JobRunRequest)
        .where(JobRunRequest.id.in_(list(request_ids)), JobRunRequest.status == RUNNING)
        .values(job_run_id=run.id, started_at=run.started_at, attached=False)
        .execution_options(synchronize_session=False)
    )


def settle_after_run(
    engine: Engine, run: JobRun, request_ids: Sequence[int], outcome: JobOutcome | None
) -> None:
    """Settle the requests a run was started for, once it ended.

    A run that found the lease held (another scheduler runs the job right now) hands its
    requests over to that run; a skip that leaves no run record (``record_skips=False``)
    settles them as skipped with the outcome's reason.
    """
    if not request_ids:
        return
    if run.status == "skipped" and run.detail == LEASE_HELD:
        holder = run_in_progress(engine, run.job_id, besides=run.id)
        if holder is not None:
            attach(engine, request_ids, holder)
            return
    reason = None
    if run.status == "skipped":
        detail = (outcome.detail if outcome is not None else None) or run.detail or {}
        reason = str(detail.get("reason") or NOT_RECORDED_SKIP)
    _settle(engine, request_ids, run, reason)


def settle_attached(engine: Engine) -> int:
    """Settle the running requests whose run has ended (any scheduler may do it)."""
    with Session(engine) as session:
        pairs = session.execute(
            select(JobRunRequest.id, JobRunRequest.job_id, JobRun)
            .outerjoin(JobRun, JobRun.id == JobRunRequest.job_run_id)
            .where(
                JobRunRequest.status == RUNNING,
                JobRunRequest.job_run_id.is_not(None),
                or_(JobRun.id.is_(None), JobRun.status != "running"),
            )
        ).all()
        session.expunge_all()
    for request_id, job_id, run in pairs:
        if run is None:
            # A skip the job does not record (nothing due) deletes its run row.
            gone = JobRun(job_id=job_id, status="skipped", started_at=now())
            _settle(engine, [request_id], gone, NOT_RECORDED_SKIP)
            continue
        reason = None
        if run.status == "skipped":
            reason = str((run.detail or {}).get("reason") or NOT_RECORDED_SKIP)
        _settle(engine, [request_id], run, reason)
    return len(pairs)


def _settle(engine: Engine, request_ids: Sequence[int], run: JobRun, reason: str | None) -> None:
    status = _SETTLED.get(run.status, FAILED)
    recorded = run.finished_at is not None  # a deleted (unrecorded) skip has no end
    with write_unit(engine) as session:
        session.execute(
            update(JobRunRequest)
            .where(JobRunRequest.id.in_(list(request_ids)), JobRunRequest.status == RUNNING)
            .values(
                status=status,
                active_job_id=None,
                job_run_id=run.id if recorded else None,
                started_at=run.started_at,
                finished_at=run.finished_at or now(),
                rows_touched=run.rows_touched,
                error=run.error if status == FAILED else None,
                skip_reason=reason if status == SKIPPED else None,
            )
            .execution_options(synchronize_session=False)
        )


def waiting_unlinked(engine: Engine, scheduler_id: str) -> list[tuple[int, str]]:
    """This scheduler's claimed requests not yet linked to a run: ``[(id, job_id)]``."""
    with Session(engine) as session:
        return [
            (row.id, row.job_id)
            for row in session.execute(
                select(JobRunRequest.id, JobRunRequest.job_id).where(
                    JobRunRequest.status == RUNNING,
                    JobRunRequest.claimed_by == scheduler_id,
                    JobRunRequest.job_run_id.is_(None),
                )
            )
        ]


def requeue_orphans(engine: Engine, scheduler_ids: Sequence[str]) -> int:
    """Queue again the claimed requests of stopped or dead schedulers that never started.

    Their job did not run for them: a live scheduler (or this one, restarted) takes them.
    """
    if not scheduler_ids:
        return 0
    with write_connection(engine) as connection:
        result = connection.execute(
            update(JobRunRequest)
            .where(
                JobRunRequest.status == RUNNING,
                JobRunRequest.claimed_by.in_(list(scheduler_ids)),
                JobRunRequest.job_run_id.is_(None),
            )
            .values(status=QUEUED, claimed_by=None, claimed_at=None)
        )
    return int(result.rowcount or 0)


def claimers(*, session: Session) -> set[str]:
    """Schedulers holding claimed requests (dead ones are found among them)."""
    return {
        holder
        for holder in session.scalars(
            select(JobRunRequest.claimed_by)
            .where(JobRunRequest.status == RUNNING, JobRunRequest.claimed_by.is_not(None))
            .distinct()
        )
        if holder is not None
    }


# ------------------------------------------------------------------------------ reading


@dataclass(frozen=True)
class Execution:
    """One request as ``GET /api/t11/execution/track`` shows it."""

    execution_id: int
    job: str
    job_id: str
    status: str
    requested_at: datetime
    requested_by: str | None
    started_at: datetime | None
    finished_at: datetime | None
    rows_touched: int | None
    error: str | None
    skip_reason: str | None
    job_run_id: int | None
    attached: bool

    @property
    def duration_s(self) -> float | None:
        if self.started_at is None or self.finished_at is None:
            return None
        return round((self.finished_at - self.started_at).total_seconds(), 3)


def load_execution(*, session: Session, execution_id: int) -> Execution | None:
    """The request ``execution_id`` with who asked for it (their e-mail), or None.

    Parameters
    ----------
    session
        A read session.
    execution_id
        The id ``RequestJobRun`` answered.
    """
    from core.schema import ConsoleUser

    found = session.execute(
        select(JobRunRequest, ConsoleUser.email)
        .outerjoin(ConsoleUser, ConsoleUser.id == JobRunRequest.requested_by)
        .where(JobRunRequest.id == execution_id)
    ).first()
    if found is None:
        return None
    row, email = found
    return Execution(
        execution_id=row.id,
        job=row.requested_as,
        job_id=row.job_id,
        status=row.status,
        requested_at=row.requested_at,
        requested_by=email,
        started_at=row.started_at,
        finished_at=row.finished_at,
        rows_touched=row.rows_touched,
        error=row.error,
        skip_reason=row.skip_reason,
        job_run_id=row.job_run_id,
        attached=bool(row.attached),
    )


def recent_requests(*, session: Session, limit: int = 20) -> list[Execution]:
    """The newest requests first (the Refresh & jobs page's table)."""
    ids = session.scalars(
        select(JobRunRequest.id).order_by(JobRunRequest.id.desc()).limit(limit)
    ).all()
    found = [load_execution(session=session, execution_id=i) for i in ids]
    return [execution for execution in found if execution is not None]
