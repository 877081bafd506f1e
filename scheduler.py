"""The job scheduler: embedded in the app process, or standalone with ``python scheduler.py``.

Jobs come from the registry in ``core.jobs.registry``; every run gets the settings this
scheduler was started with (``--interval`` included), never re-read from the environment.
Each runs with an explicit id, ``coalesce=True`` and ``max_instances=1``; a database
lease makes sure that, with several schedulers on one database, only one refreshes at a
time.

Stopping (SIGTERM or Ctrl-C for the standalone scheduler, interpreter exit for the
embedded one) takes at most ``STOP_GRACE_S`` plus a second or two: no new run starts, the
statements in flight are cancelled, the runs end as ``interrupted``, and the leases of
this scheduler are freed. Jobs run on daemon threads, so one stuck outside the database
(a model fit) cannot keep the process alive; its run is marked by the stop sequence.
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import dataclasses
import logging
import signal
import sys
import threading
import time
from datetime import datetime, timedelta

from apscheduler.executors.base import BaseExecutor, run_job
from apscheduler.jobstores.base import JobLookupError
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import STATE_STOPPED, BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from sqlalchemy import Engine

from core.clock import now
from core.config import ConfigError, Settings, get_settings
from core.db import DatabaseUnavailable, check_connection, get_engine
from core.jobs import control as job_control
from core.jobs import on_demand
from core.jobs.recovery import mark_interrupted, recover_dead_schedulers
from core.jobs.registry import scheduled_jobs
from core.jobs.runner import INTERRUPTED_ERROR, new_scheduler_id, run_recorded, write_heartbeat
from core.jobs.spec import JobSpec
from core.locks import release_all

HEARTBEAT_INTERVAL_S = 10.0
# How often a scheduler looks for jobs administrators asked for (POST /api/t11/execute).
REQUEST_POLL_S = 2.0
RECOVERY_INTERVAL_S = 60.0
# Time the running jobs get, after their statements are cancelled, to record their end.
STOP_GRACE_S = 6.0
log = logging.getLogger("barberpro.scheduler")


class DaemonThreadExecutor(BaseExecutor):  # type: ignore[misc]
    """Runs each job on its own daemon thread.

    APScheduler's pool threads are joined when the interpreter exits, so a job stuck in
    a long query or a model fit kept a stopped scheduler alive until it finished.
    """

    def __init__(self) -> None:
        super().__init__()
        self._threads: set[threading.Thread] = set()
        self._threads_lock = threading.Lock()

    def _do_submit_job(self, job, run_times) -> None:  # type: ignore[no-untyped-def]
        thread = threading.Thread(
            target=self._run, args=(job, run_times), name=f"job:{job.id}", daemon=True
        )
        with self._threads_lock:
            self._threads.add(thread)
        thread.start()

    def _run(self, job, run_times) -> None:  # type: ignore[no-untyped-def]
        try:
            events = run_job(job, job._jobstore_alias, run_times, self._logger.name)
        except BaseException as exc:
            self._run_job_error(job.id, exc, exc.__traceback__)
        else:
            self._run_job_success(job.id, events)
        finally:
            with self._threads_lock:
                self._threads.discard(threading.current_thread())

    def running(self) -> int:
        with self._threads_lock:
            return len(self._threads)

    def wait(self, timeout_s: float | None) -> bool:
        """Join the running jobs; True when none is left."""
        deadline = None if timeout_s is None else time.monotonic() + timeout_s
        while True:
            with self._threads_lock:
                threads = list(self._threads)
            if not threads:
                return True
            left = None if deadline is None else deadline - time.monotonic()
            if left is not None and left <= 0:
                return False
            threads[0].join(None if left is None else min(left, 0.5))

    def shutdown(self, wait: bool = True) -> None:
        if wait:
            self.wait(None)


_embedded: BackgroundScheduler | None = None
_embedded_lock = threading.Lock()


def build_scheduler(
    engine: Engine,
    *,
    settings: Settings,
    mode: str,
    blocking: bool = False,
    first_run_at: datetime | None = None,
    scheduler_id: str | None = None,
) -> BaseScheduler:
    """A scheduler with every registered job and the heartbeat, not yet started.

    Jobs run at ``settings.refresh_interval_s`` and get ``settings`` with every run.
    """
    executors = {"default": DaemonThreadExecutor()}
    scheduler: BaseScheduler = (
        BlockingScheduler(executors=executors)
        if blocking
        else BackgroundScheduler(executors=executors, daemon=True)
    )
    scheduler_id = scheduler_id or new_scheduler_id()
    started_at = now()
    start = first_run_at or datetime.now() + timedelta(seconds=1)
    defaults = {"coalesce": True, "max_instances": 1, "replace_existing": True}
    refresh_interval_s = settings.refresh_interval_s
    handoff = on_demand.HandOff()
    for spec in scheduled_jobs(settings):
        scheduler.add_job(
            run_and_retry_soon,
            "interval",
            seconds=spec.interval_s(refresh_interval_s),
            args=(scheduler, engine, spec, scheduler_id, settings, handoff),
            id=spec.job_id,
            name=spec.description,
            next_run_time=start
            + timedelta(seconds=settings.model_jobs_delay_s if spec.waits_for_warmup else 0.0)
            + timedelta(seconds=spec.tick_offset_s),
            misfire_grace_time=max(5, int(refresh_interval_s)),
            **defaults,
        )
    scheduler.add_job(
        write_heartbeat,
        "interval",
        seconds=HEARTBEAT_INTERVAL_S,
        args=(engine, scheduler_id, mode, started_at),
        id="scheduler_heartbeat",
        name="Record that this scheduler is alive",
        next_run_time=datetime.now(),
        **defaults,
    )
    scheduler.add_job(
        _recover_quietly,
        "interval",
        seconds=RECOVERY_INTERVAL_S,
        args=(engine, scheduler_id),
        id="recover_dead_schedulers",
        name="Mark the runs of dead schedulers interrupted and free their leases",
        next_run_time=datetime.now(),
        **defaults,
    )
    scheduler.add_job(
        _serve_requests_quietly,
        "interval",
        seconds=REQUEST_POLL_S,
        args=(scheduler, engine, scheduler_id, handoff),
        id="job_requests",
        name="Run the jobs administrators asked for (POST /api/t11/execute)",
        next_run_time=datetime.now(),
        **defaults,
    )
    return scheduler


def run_and_retry_soon(
    scheduler: BaseScheduler,
    engine: Engine,
    spec: JobSpec,
    scheduler_id: str,
    settings: Settings,
    handoff: on_demand.HandOff,
) -> None:
    """One scheduled run; a failed one comes back at its announced retry, not its interval.

    The run has already retried its transient failures (``core.jobs.retry``); an hourly
    job whose run still failed runs again within minutes, at the time its run record
    announces (``detail.retry_at``), instead of leaving its pages empty for an hour.
    """
    run = run_recorded(engine, spec, scheduler_id, settings, handoff)
    if run is None or run.status != "failed" or not (run.detail or {}).get("retry_at"):
        return
    # The run record announces the retry on the console's clock; APScheduler counts real time.
    wait = datetime.fromisoformat(run.detail["retry_at"]) - now()  # type: ignore[index]
    retry_at = datetime.now() + max(wait, timedelta(0))
    with contextlib.suppress(JobLookupError):  # the scheduler is shutting down
        job = scheduler.get_job(spec.job_id)
        if job is not None and (job.next_run_time is None or _naive(job.next_run_time) > retry_at):
            scheduler.modify_job(spec.job_id, next_run_time=retry_at)


def _naive(moment: datetime) -> datetime:
    # APScheduler keeps aware datetimes in its local zone; datetime.now() is local naive.
    return moment.astimezone().replace(tzinfo=None) if moment.tzinfo else moment


def serve_job_requests(
    scheduler: BaseScheduler, engine: Engine, scheduler_id: str, handoff: on_demand.HandOff
) -> None:
    """One pass over the on-demand requests (``core.jobs.on_demand``).

    Settles the requests whose run ended, claims the queued ones and, for each, attaches
    it to the job's run in progress or hands it to the job's scheduled entry, moved to
    now: the run goes through ``run_recorded`` like any scheduled one (same lease, same
    record), and ``max_instances=1`` keeps this process from running the job twice.
    """
    on_demand.settle_attached(engine)
    known = {job.id for job in scheduler.get_jobs()}
    for request_id, job_id in on_demand.claim_queued(engine, scheduler_id):
        if job_id in known:  # REQUESTABLE_JOBS names registry jobs only (tested)
            handoff.put(job_id, request_id)
    # Also the hand-offs of earlier passes not yet taken: the job may have been running
    # (then they join that run) or APScheduler skipped the nudge (then nudge again).
    for job_id in handoff.waiting():
        running = on_demand.run_in_progress(engine, job_id)
        if running is not None:
            on_demand.attach(engine, handoff.take(job_id), running)
        else:
            scheduler.modify_job(job_id, next_run_time=datetime.now())


def _serve_requests_quietly(
    scheduler: BaseScheduler, engine: Engine, scheduler_id: str, handoff: on_demand.HandOff
) -> None:
    try:
        serve_job_requests(scheduler, engine, scheduler_id, handoff)
    except Exception:  # the database may be down for a moment; the next pass retries
        log.exception("could not serve the job requests")


def _recover_quietly(engine: Engine, scheduler_id: str) -> None:
    try:
        runs, leases = recover_dead_schedulers(engine, scheduler_id)
    except Exception:  # the database may be down for a moment; the next pass retries
        log.exception("could not check for dead schedulers")
        return
    if runs or leases:
        log.info("dead schedulers: %d runs marked interrupted, %d leases freed", runs, leases)


def stop_scheduler(
    scheduler: BaseScheduler, engine: Engine, scheduler_id: str, *, grace_s: float = STOP_GRACE_S
) -> bool:
    """Stop starting runs, cancel the running ones, record them and free the leases.

    Returns True when every running job ended by itself within ``grace_s``.
    """
    if scheduler.state != STATE_STOPPED:
        scheduler.shutdown(wait=False)
    job_control.request_stop()
    executor = scheduler._lookup_executor("default")
    deadline = time.monotonic() + grace_s
    # A job may start one more statement between the cancel and its stop check: cancel
    # again until the jobs are gone.
    while not executor.wait(0.5) and time.monotonic() < deadline:
        job_control.cancel_job_statements()
    finished = executor.running() == 0
    with contextlib.suppress(Exception):  # the database itself may be what went away
        mark_interrupted(engine, [scheduler_id], INTERRUPTED_ERROR)
        on_demand.settle_attached(engine)
        on_demand.requeue_orphans(engine, [scheduler_id])
        release_all(engine, [scheduler_id])
    return finished


def ensure_embedded_scheduler() -> BackgroundScheduler | None:
    """Start the in-app scheduler once per process (no-op when disabled in settings)."""
    global _embedded
    settings = get_settings()
    if not settings.embedded_scheduler:
        return None
    with _embedded_lock:
        if _embedded is None:
            engine, scheduler_id = get_engine(), new_scheduler_id()
            scheduler = start_scheduler(engine, scheduler_id, settings=settings, mode="embedded")
            # Streamlit returns from its event loop on SIGTERM; the interpreter then runs
            # atexit handlers while the job threads (daemons) still run.
            atexit.register(stop_scheduler, scheduler, engine, scheduler_id, grace_s=4.0)
            _embedded = scheduler  # type: ignore[assignment]
        return _embedded


def start_scheduler(
    engine: Engine, scheduler_id: str, *, settings: Settings, mode: str
) -> BackgroundScheduler:
    """Clean up after dead schedulers, then start a background one."""
    job_control.clear_stop()
    _recover_quietly(engine, scheduler_id)
    scheduler = build_scheduler(engine, settings=settings, mode=mode, scheduler_id=scheduler_id)
    scheduler.start()
    return scheduler  # type: ignore[return-value]


def scheduler_settings(settings: Settings, interval_s: float | None) -> Settings:
    """The settings with ``--interval`` in force: the trigger and the leases both use it."""
    if interval_s is None:
        return settings
    if interval_s < 1:
        raise ConfigError(f"--interval must be at least 1 second, got {interval_s:g}")
    return dataclasses.replace(settings, refresh_interval_s=interval_s)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Run the BarberPro console's scheduled jobs.")
    parser.add_argument(
        "--interval",
        type=float,
        default=None,
        help="seconds between metric refreshes (default: BARBERPRO_REFRESH_INTERVAL_S or 30)",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    # Every run is recorded in console_job_runs; APScheduler's per-run lines are noise here.
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    try:
        settings = scheduler_settings(get_settings(), args.interval)
        engine = get_engine()
        check_connection(engine)
    except (ConfigError, DatabaseUnavailable) as exc:
        print(f"scheduler: {exc}", file=sys.stderr)
        return 2
    scheduler_id = new_scheduler_id()
    job_control.clear_stop()
    _recover_quietly(engine, scheduler_id)
    scheduler = build_scheduler(
        engine,
        settings=settings,
        mode="standalone",
        blocking=True,
        scheduler_id=scheduler_id,
    )
    signal.signal(signal.SIGTERM, lambda *_: scheduler.shutdown(wait=False))
    log.info(
        "scheduler started: refresh every %ss on %s",
        settings.refresh_interval_s,
        engine.url.render_as_string(),
    )
    with contextlib.suppress(KeyboardInterrupt):
        scheduler.start()
    started = time.monotonic()
    clean = stop_scheduler(scheduler, engine, scheduler_id)
    print(
        f"scheduler: stopped in {time.monotonic() - started:.1f} s"
        + ("" if clean else " (a job did not end in time; its run is marked interrupted)"),
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
