"""The console's first run, done before the scheduler starts (``python -m data.warm``).

A freshly generated database has platform rows and nothing else. Left to the scheduler,
a complete console (every page's tables, the health history, a promoted churn model,
alerts) took many minutes: every job runs as a thread of one process (one core's worth
of Python), the model jobs wait ``BARBERPRO_MODEL_JOBS_DELAY_S`` so the first snapshot
comes first, the finance ledger grows a slice per 30-second run, and the tables that
show model outputs were recomputed only at the detail cadence.

Here the same registered jobs run once, recorded as the scheduler records them, in
three phases (``PHASES``); the jobs of one phase are independent and run in up to
``workers`` processes, so the 2-core machine's second core works too:

1. ``metrics_refresh``: the rollups and the first metrics snapshot, which the detail
   tables and the alert rules read;
2. ``health_scores`` (the whole history backfill), ``churn_retrain`` (training,
   backtest, promotion, scoring) and, on the first process free, ``dashboard_frames``
   (every detail table, the finance ledger's whole history at once);
3. ``dashboard_frames`` again (the tables showing the new model outputs, see
   ``FrameProvider.inputs_written_at``), then ``alert_rules``.

Afterwards the scheduler's first runs find nothing to redo: the health history is up to
date, the model is recent (``core.jobs.models.RETRAIN_AFTER``), its scores are under an
hour old, and every detail table is fresh or kept. A second warm-up on a warm database
takes seconds for the same reasons.
"""

from __future__ import annotations

import logging
import math
import os
import time
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from dataclasses import dataclass, field
from multiprocessing import get_context

from core.config import Settings
from core.db import create_engine_for
from core.jobs.refresh import DETAIL_JOB_ID
from core.jobs.registry import JOBS
from core.jobs.runner import run_recorded
from core.metrics.frames import finance_ledger

OMP_VARIABLE = "OMP_NUM_THREADS"
_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Phase:
    """Jobs that may run at the same time; a phase starts when the one before has ended."""

    name: str
    job_ids: tuple[str, ...]  # a pool takes them in this order


PHASES: tuple[Phase, ...] = (
    Phase("metrics snapshot", ("metrics_refresh",)),
    # Two processes: the health backfill on one, the retrain then the detail tables on the
    # other. CPU seconds at the default scale (h18first's notes): health 122, retrain 75,
    # detail tables with the whole ledger 108: 122 against 183, the best of the splits.
    Phase("models and detail tables", ("health_scores", "churn_retrain", DETAIL_JOB_ID)),
    Phase("model tables and alerts", (DETAIL_JOB_ID, "alert_rules")),
)


@dataclass(frozen=True)
class JobTiming:
    """One job's run in the warm-up: how it ended and what it cost."""

    job_id: str
    status: str  # the run's recorded status: success, skipped, failed... ("lost": no record)
    wall_s: float
    cpu_s: float  # CPU seconds of the process that ran it, during the run
    detail: dict[str, object] = field(default_factory=dict)
    error: str | None = None


@dataclass
class WarmReport:
    """Every job run of the warm-up, in the order they ended, and each phase's seconds."""

    jobs: list[JobTiming] = field(default_factory=list)
    phases: dict[str, float] = field(default_factory=dict)

    @property
    def failed(self) -> list[JobTiming]:
        return [job for job in self.jobs if job.status not in ("success", "skipped")]


@contextmanager
def _whole_finance_history() -> Iterator[None]:
    # The scheduler adds the ledger's older history a slice per run (a time budget keeps
    # its 30-second runs short); nothing waits on this run, so it takes all of it now.
    kept = finance_ledger.BACKFILL_BUDGET_S
    finance_ledger.BACKFILL_BUDGET_S = math.inf
    try:
        yield
    finally:
        finance_ledger.BACKFILL_BUDGET_S = kept


@contextmanager
def _threads_per_worker(workers: int) -> Iterator[None]:
    # Workers started meanwhile share the cores instead of each starting an OpenMP pool
    # as wide as the machine (the gradient boosting then spins against the other jobs).
    kept = os.environ.get(OMP_VARIABLE)
    if kept is None:
        os.environ[OMP_VARIABLE] = str(max(1, (os.cpu_count() or 1) // workers))
    try:
        yield
    finally:
        if kept is None:
            os.environ.pop(OMP_VARIABLE, None)


def run_job(url: str, job_id: str, scheduler_id: str, settings: Settings) -> JobTiming:
    """Run one registered job once on ``url`` under ``settings``, recorded as
    ``scheduler_id``'s run.

    Module-level so a worker process can run it; opens (and closes) its own engine.
    """
    spec = next(spec for spec in JOBS if spec.job_id == job_id)
    engine = create_engine_for(url)
    wall, cpu = time.perf_counter(), time.process_time()
    try:
        with _whole_finance_history():
            run = run_recorded(engine, spec, scheduler_id, settings)
    finally:
        engine.dispose()
    wall_s, cpu_s = time.perf_counter() - wall, time.process_time() - cpu
    if run is None:
        return JobTiming(job_id, "lost", wall_s, cpu_s, error="the run could not be recorded")
    return JobTiming(job_id, run.status, wall_s, cpu_s, dict(run.detail or {}), run.error)


def warm_console(
    url: str,
    *,
    scheduler_id: str,
    settings: Settings,
    workers: int = 2,
    on_start: Callable[[Phase, str], None] | None = None,
    on_end: Callable[[Phase, JobTiming], None] | None = None,
    phases: tuple[Phase, ...] = PHASES,
) -> WarmReport:
    """Run every phase's jobs on ``url``; returns their timings.

    Parameters
    ----------
    url
        The console database (migrated, with platform rows).
    settings
        What every job runs under (the scheduler's own settings, as ``run_recorded``
        takes them); handed to the worker processes.
    scheduler_id
        Recorded on every run; in ``core.jobs.runner.new_scheduler_id``'s form, so a
        scheduler takes the runs of a killed warm-up for dead and frees their leases.
    workers
        Processes running a phase's jobs at once; 1 runs them here, one after another.
    on_start, on_end
        Called as each job starts and ends (the command line's progress bars).
    phases
        The plan (default ``PHASES``).

    A job that fails does not stop the others (the scheduler retries it); the report
    lists it.
    """
    report = WarmReport()
    pool = None
    if workers > 1:  # its processes start as jobs are submitted, under _threads_per_worker
        pool = ProcessPoolExecutor(max_workers=workers, mp_context=get_context("spawn"))
    try:
        for phase in phases:
            started = time.perf_counter()
            here = phase.job_ids
            if pool is not None:
                with _threads_per_worker(workers):
                    here = _run_phase_in_pool(
                        pool, phase, url, scheduler_id, settings, report, on_start, on_end
                    )
                if here:  # a worker process died: the pool is unusable
                    _log.warning("a warm-up process died; running %s here", ", ".join(here))
                    pool.shutdown(wait=False, cancel_futures=True)
                    pool = None
            for job_id in here:
                if on_start:
                    on_start(phase, job_id)
                timing = run_job(url, job_id, scheduler_id, settings)
                report.jobs.append(timing)
                if on_end:
                    on_end(phase, timing)
            report.phases[phase.name] = round(time.perf_counter() - started, 3)
    finally:
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
    return report


def _run_phase_in_pool(
    pool: ProcessPoolExecutor,
    phase: Phase,
    url: str,
    scheduler_id: str,
    settings: Settings,
    report: WarmReport,
    on_start: Callable[[Phase, str], None] | None,
    on_end: Callable[[Phase, JobTiming], None] | None,
) -> tuple[str, ...]:
    """Run the phase's jobs in the pool; returns those a dead worker process left undone
    (a broken pool runs nothing more), in the phase's order."""
    running: dict[Future[JobTiming], str] = {}
    undone: list[str] = []
    for job_id in phase.job_ids:
        try:
            running[pool.submit(run_job, url, job_id, scheduler_id, settings)] = job_id
        except BrokenProcessPool:
            undone.append(job_id)
            continue
        if on_start:
            on_start(phase, job_id)
    while running:
        done, _ = wait(running, return_when=FIRST_COMPLETED)
        for future in done:
            job_id = running.pop(future)
            try:
                timing = future.result()
            except BrokenProcessPool:  # killed, out of memory: its run is recorded as
                undone.append(job_id)  # interrupted by the next scheduler's recovery
                continue
            except Exception as exc:  # the job could not even be handed over
                timing = JobTiming(job_id, "lost", 0.0, 0.0, error=f"{type(exc).__name__}: {exc}")
            report.jobs.append(timing)
            if on_end:
                on_end(phase, timing)
    return tuple(job_id for job_id in phase.job_ids if job_id in undone)
