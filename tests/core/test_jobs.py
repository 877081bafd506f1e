"""Scheduler jobs: run records, the refresh lease, failures that leave the last snapshot."""

from __future__ import annotations

import ast
import dataclasses
import subprocess
import sys
import threading
import time
from dataclasses import replace
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

import core.jobs as jobs_package
from core.clock import now
from core.config import ConfigError, Settings, get_settings
from core.jobs import refresh as refresh_jobs
from core.jobs import registry, runner
from core.jobs.refresh import DETAIL_JOB_ID
from core.jobs.spec import JobSpec
from core.locks import release, try_acquire
from core.metrics.refresh import refresh_metrics
from core.metrics.snapshots import latest_version
from core.metrics.status import REFRESH_JOB_ID, refresh_status
from core.schema import JobRun
from scheduler import build_scheduler, scheduler_settings
from tests.factories import add_booking, add_tenant

# Bookings a few hours before now, snapshot ages and the stale status.
pytestmark = pytest.mark.clock


def seed(engine: Engine) -> None:
    with Session(engine) as session, session.begin():
        refs = add_tenant(session, 1, signup=date(2026, 1, 5))
        add_booking(session, refs, start_at=now() - timedelta(hours=3))


def refresh_spec() -> JobSpec:
    return next(spec for spec in registry.JOBS if spec.job_id == REFRESH_JOB_ID)


def test_lease_excludes_a_second_holder_until_released_or_expired(engine: Engine) -> None:
    assert try_acquire(engine, "refresh", "a", lease_s=60)
    assert not try_acquire(engine, "refresh", "b", lease_s=60)
    assert try_acquire(engine, "refresh", "a", lease_s=60)  # the holder may renew
    release(engine, "refresh", "a")
    assert try_acquire(engine, "refresh", "b", lease_s=0.01)
    time.sleep(0.05)
    assert try_acquire(engine, "refresh", "a", lease_s=60)  # b's lease ran out


def test_refresh_run_is_recorded_with_rows_touched(engine: Engine) -> None:
    seed(engine)
    run = runner.run_recorded(engine, refresh_spec(), "test:1:a", get_settings())
    assert run is not None and run.status == "success"
    with Session(engine) as session:
        stored = session.get(JobRun, run.id)
        assert stored.finished_at >= stored.started_at
        assert stored.rows_touched and stored.rows_touched > 0
        assert stored.detail["kind"] == "full_rebuild"
        assert latest_version(session=session) == stored.detail["version"]


def test_failed_refresh_is_recorded_and_keeps_the_last_good_snapshot(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed(engine)
    good = runner.run_recorded(engine, refresh_spec(), "test:1:a", get_settings())
    assert good is not None and good.status == "success"

    def broken(*_args, **_kwargs):  # type: ignore[no-untyped-def]
        raise RuntimeError("disk full\nsecond line is not shown")

    monkeypatch.setattr("core.metrics.refresh.build_snapshot_content", broken)
    failed = runner.run_recorded(engine, refresh_spec(), "test:1:a", get_settings())
    assert failed is not None and failed.status == "failed"
    assert failed.error == "RuntimeError: disk full"
    with Session(engine) as session:
        assert latest_version(session=session) == good.detail["version"]
        status = refresh_status(session=session, interval_s=30)
    assert status.stale and "disk full" in (status.stale_reason or "")
    assert status.snapshot_version == good.detail["version"]


def test_two_schedulers_never_refresh_at_the_same_time(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed(engine)
    refresh_metrics(engine)
    intervals: list[tuple[float, float]] = []
    real_refresh = refresh_jobs.refresh_metrics

    def slow_refresh(*args, **kwargs):  # type: ignore[no-untyped-def]
        started = time.perf_counter()
        time.sleep(0.5)
        result = real_refresh(*args, **kwargs)
        intervals.append((started, time.perf_counter()))
        return result

    monkeypatch.setattr(refresh_jobs, "refresh_metrics", slow_refresh)
    runs: list[JobRun | None] = []
    threads = [
        threading.Thread(
            target=lambda i=i: runs.append(
                runner.run_recorded(engine, refresh_spec(), f"host:{i}:x", get_settings())
            )
        )
        for i in range(2)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    statuses = sorted(run.status for run in runs if run is not None)
    assert statuses == ["skipped", "success"]
    assert len(intervals) == 1


def interval_settings(refresh_interval_s: float) -> Settings:
    return dataclasses.replace(get_settings(), refresh_interval_s=refresh_interval_s)


def test_scheduler_registers_every_job_with_explicit_ids_and_no_overlap(engine: Engine) -> None:
    scheduler = build_scheduler(engine, settings=interval_settings(30), mode="embedded")
    registered = {job.id: job for job in scheduler.get_jobs()}
    assert set(registered) == {spec.job_id for spec in registry.JOBS} | {
        "scheduler_heartbeat",
        "recover_dead_schedulers",
        "job_requests",
    }
    refresh = registered[REFRESH_JOB_ID]
    assert refresh.coalesce is True and refresh.max_instances == 1
    assert refresh.trigger.interval == timedelta(seconds=30)


def test_model_jobs_wait_the_configured_warmup(engine: Engine) -> None:
    start = datetime(2026, 12, 7, 9, 0)
    settings = replace(interval_settings(30), model_jobs_delay_s=45.0)
    scheduler = build_scheduler(engine, settings=settings, mode="embedded", first_run_at=start)
    delays = {
        job.id: (job.next_run_time.replace(tzinfo=None) - start).total_seconds()
        for job in scheduler.get_jobs()
        if job.id in {spec.job_id for spec in registry.JOBS}
    }
    waiting = {spec.job_id for spec in registry.JOBS if spec.waits_for_warmup}
    assert waiting >= {"health_scores", "churn_retrain"}
    assert {job: delay for job, delay in delays.items() if job in waiting} == dict.fromkeys(
        waiting, 45.0
    )
    assert delays[REFRESH_JOB_ID] == 0.0


def test_detail_tables_start_after_the_refresh_of_the_same_tick(engine: Engine) -> None:
    # Started on the same tick, the detail job could take the refresh lease first and
    # fold in a new booking's rollup change only one interval later.
    start = datetime(2026, 12, 7, 9, 0).astimezone()
    scheduler = build_scheduler(
        engine, settings=interval_settings(30), mode="embedded", first_run_at=start
    )
    jobs = {job.id: job for job in scheduler.get_jobs()}
    refresh, detail = jobs[REFRESH_JOB_ID], jobs[DETAIL_JOB_ID]
    assert (detail.next_run_time - refresh.next_run_time).total_seconds() == 3.0
    # and so on every later tick: an interval trigger counts from the previous run
    later = detail.trigger.get_next_fire_time(detail.next_run_time, detail.next_run_time)
    assert (later - refresh.next_run_time).total_seconds() == 33.0


def test_embedded_scheduler_refreshes_and_beats(engine: Engine) -> None:
    seed(engine)
    scheduler = build_scheduler(
        engine, settings=interval_settings(1), mode="embedded", first_run_at=datetime.now()
    )
    scheduler.start()
    try:
        deadline = time.time() + 20
        while time.time() < deadline:
            with Session(engine) as session:
                versions = latest_version(session=session) or 0
                beat = refresh_status(session=session, interval_s=1).heartbeat_at
            if versions >= 2 and beat is not None:
                break
            time.sleep(0.2)
    finally:
        scheduler.shutdown(wait=True)
    assert versions >= 2
    assert beat is not None
    with Session(engine) as session:
        runs = session.scalars(select(JobRun).where(JobRun.job_id == REFRESH_JOB_ID)).all()
    assert all(run.status == "success" for run in runs if run.finished_at is not None)


def test_standalone_scheduler_rejects_an_unreachable_database(tmp_path) -> None:  # type: ignore[no-untyped-def]
    result = subprocess.run(
        [sys.executable, "scheduler.py"],
        env={"BARBERPRO_DATABASE_URL": f"sqlite:///{tmp_path}/missing/dir/x.db", "PATH": ""},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "does not exist" in lines[0]
    assert "Traceback" not in result.stderr


def test_the_interval_sets_the_trigger_and_the_leases(engine: Engine) -> None:
    settings = scheduler_settings(get_settings(), 100.0)  # scheduler.py --interval 100
    scheduler = build_scheduler(engine, settings=settings, mode="standalone")
    refresh = {job.id: job for job in scheduler.get_jobs()}[REFRESH_JOB_ID]
    assert refresh.trigger.interval == timedelta(seconds=100)
    _scheduler, _, spec, _, passed, _handoff = refresh.args
    assert passed.refresh_interval_s == 100.0
    assert spec.lease_for(passed) == 400.0  # four intervals, not the environment's 30 s
    with pytest.raises(ConfigError, match="at least 1 second"):
        scheduler_settings(get_settings(), 0.5)


def test_jobs_read_the_settings_they_are_given_never_the_environment() -> None:
    package = Path(jobs_package.__file__).parent
    for path in package.glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        names = {node.id for node in ast.walk(tree) if isinstance(node, ast.Name)}
        names |= {a.name for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
                  for a in node.names}  # fmt: skip
        assert "get_settings" not in names, path.name
