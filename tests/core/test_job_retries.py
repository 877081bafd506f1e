"""Transient failures inside a job: retried within the run, then retried soon, never hourly.

Against real databases held locked by another connection: SQLite's write lock taken by a
second ``sqlite3`` connection with ``BEGIN IMMEDIATE``, and on PostgreSQL a row lock held
by another session while the job's ``lock_timeout`` runs out.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy import Engine, event, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from core.clock import now
from core.config import get_settings
from core.db import create_engine_for, read_session, write_unit
from core.jobs import on_demand
from core.jobs.failures import (
    KIND_CONNECTION,
    KIND_DATABASE_BUSY,
    KIND_OTHER,
    KIND_TIMEOUT,
    failure_kind,
)
from core.jobs.retry import is_transient, retry_delay_s, run_with_retries
from core.jobs.runner import run_recorded
from core.jobs.spec import JobContext, JobOutcome, JobSpec
from core.schema import JobRun, SchedulerHeartbeat
from scheduler import run_and_retry_soon
from tests import db_templates
from tests.conftest import postgres_url

PAUSES = (0.2, 0.4, 0.6)


@pytest.fixture
def impatient_sqlite(tmp_path) -> Iterator[tuple[Engine, str]]:  # type: ignore[no-untyped-def]
    """A migrated SQLite file whose engine waits only 50 ms for a lock, and its path."""
    url = db_templates.migrated_sqlite(f"sqlite:///{tmp_path / 'locked.db'}")
    engine = create_engine_for(url)

    @event.listens_for(engine, "connect")
    def _short_busy_timeout(dbapi_connection, _record):  # type: ignore[no-untyped-def]
        dbapi_connection.execute("PRAGMA busy_timeout=50")

    yield engine, str(make_url(url).database)
    engine.dispose()


class Locker:
    """Another process's writer: holds SQLite's write lock until released."""

    def __init__(self, path: str) -> None:
        self.connection = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self.held = False

    def hold(self, release_after_s: float | None = None) -> None:
        self.connection.execute("BEGIN IMMEDIATE")
        self.held = True
        if release_after_s is not None:
            threading.Timer(release_after_s, self.release).start()

    def release(self) -> None:
        if self.held:
            self.held = False
            self.connection.execute("ROLLBACK")

    def close(self) -> None:
        self.release()
        self.connection.close()


def beat(engine: Engine, name: str) -> None:
    """One small write, the kind every job chunk does."""
    at = now()
    with write_unit(engine) as session:
        session.add(
            SchedulerHeartbeat(
                scheduler_id=name, hostname="test", pid=1, mode="test", started_at=at, beat_at=at
            )
        )


def spec_for(body, every_s: float | None = 3600.0, pauses=PAUSES) -> JobSpec:  # type: ignore[no-untyped-def]
    return JobSpec("test_locked_job", "test", body, every_s=every_s, retry_pauses_s=pauses)


def test_a_job_meeting_a_locked_sqlite_database_retries_and_succeeds_in_the_same_run(
    impatient_sqlite: tuple[Engine, str],
) -> None:
    engine, path = impatient_sqlite
    locker = Locker(path)
    attempts: list[float] = []

    def body(context: JobContext) -> JobOutcome:
        attempts.append(0.0)
        if len(attempts) == 1:
            locker.hold(release_after_s=0.5)  # another writer takes the lock for 0.5 s
        beat(context.engine, "written-by-the-job")
        return JobOutcome(rows_touched=1)

    try:
        run = run_recorded(engine, spec_for(body), "test:1:a", get_settings())
    finally:
        locker.close()
    assert run is not None and run.status == "success", run and run.error
    assert len(attempts) in (2, 3)  # 0.2 s or 0.6 s of pauses against a 0.5 s lock
    assert run.detail is not None and run.detail["attempts"] == len(attempts)
    assert all("database is locked" in error for error in run.detail["retried"])
    with read_session(engine) as session:
        stored = session.get(JobRun, run.id)
        assert stored is not None and stored.status == "success"
        assert session.get(SchedulerHeartbeat, "written-by-the-job") is not None


def test_a_job_locked_out_on_every_attempt_fails_once_and_announces_its_retry(
    impatient_sqlite: tuple[Engine, str],
) -> None:
    engine, path = impatient_sqlite
    locker = Locker(path)
    attempts: list[int] = []

    def body(context: JobContext) -> JobOutcome:
        attempts.append(1)
        if len(attempts) == 1:
            locker.hold()
        try:
            beat(context.engine, "never-written")
        finally:
            if len(attempts) == len(PAUSES) + 1:
                locker.release()  # after the last attempt met the lock: the record can be written
        return JobOutcome(rows_touched=1)

    before = now()
    try:
        run = run_recorded(engine, spec_for(body), "test:1:a", get_settings())
    finally:
        locker.close()
    assert len(attempts) == 4  # the first attempt and three retries, no more
    assert run is not None and run.status == "failed"
    assert run.error is not None and "database is locked" in run.error
    assert run.detail is not None
    assert run.detail["attempts"] == 4 and run.detail["failure"] == KIND_DATABASE_BUSY
    retry_at = datetime.fromisoformat(run.detail["retry_at"])
    # an hourly job comes back in five minutes, not an hour
    assert before + timedelta(seconds=299) <= retry_at <= now() + timedelta(seconds=301)
    with read_session(engine) as session:
        assert session.get(SchedulerHeartbeat, "never-written") is None


def test_a_failure_that_is_not_transient_is_not_retried(sqlite_engine: Engine) -> None:
    attempts: list[int] = []

    def body(context: JobContext) -> JobOutcome:
        attempts.append(1)
        raise ValueError("a bug, not a busy database")

    run = run_recorded(sqlite_engine, spec_for(body), "test:1:a", get_settings())
    assert attempts == [1]
    assert run is not None and run.status == "failed"
    assert run.detail is not None and run.detail["failure"] == KIND_OTHER


def test_the_real_sqlite_lock_error_is_transient_and_a_syntax_error_is_not(
    impatient_sqlite: tuple[Engine, str],
) -> None:
    engine, path = impatient_sqlite
    locker = Locker(path)
    locker.hold()
    try:
        with pytest.raises(OperationalError) as locked:
            beat(engine, "locked")
    finally:
        locker.close()
    assert is_transient(locked.value) and is_transient(locked.value.orig)
    with pytest.raises(OperationalError) as syntax, read_session(engine) as session:
        session.execute(text("SELEC 1"))
    assert not is_transient(syntax.value)


def test_retries_are_bounded_by_the_pauses_and_skip_other_errors() -> None:
    calls: list[int] = []

    def always_locked() -> None:
        calls.append(1)
        raise sqlite3.OperationalError("database is locked")

    with pytest.raises(sqlite3.OperationalError):
        run_with_retries(always_locked, pauses_s=(0.0, 0.0))
    assert len(calls) == 3
    assert run_with_retries(lambda: 7, pauses_s=(0.0,)) == (7, 1)


def test_the_stored_error_is_classified_for_the_pages() -> None:
    assert failure_kind("OperationalError: (sqlite3.OperationalError) database is locked") == (
        KIND_DATABASE_BUSY
    )
    assert (
        failure_kind(
            "OperationalError: (psycopg.errors.SerializationFailure) could not serialize access"
        )
        == KIND_DATABASE_BUSY
    )
    assert failure_kind("StatementTimeout: statement timeout: a query ran longer") == KIND_TIMEOUT
    assert failure_kind("OperationalError: connection to server lost") == KIND_CONNECTION
    assert failure_kind("KeyError: 'mrr'") == KIND_OTHER
    assert retry_delay_s(3600.0) == 300.0 and retry_delay_s(30.0) == 30.0
    # three times longer after each failure in a row, capped at the job's interval
    assert [retry_delay_s(3600.0, n) for n in (1, 2, 3, 4)] == [300.0, 900.0, 2700.0, 3600.0]
    assert retry_delay_s(86400.0, 4) == 8100.0


def test_a_failure_that_repeats_is_retried_less_and_less_often(sqlite_engine: Engine) -> None:
    def body(context: JobContext) -> JobOutcome:
        raise ValueError("too little history to train on")

    spec = spec_for(body, every_s=86400.0, pauses=())
    waits = []
    for _ in range(3):
        run = run_recorded(sqlite_engine, spec, "test:1:a", get_settings())
        assert run is not None and run.detail is not None and run.finished_at is not None
        retry_at = datetime.fromisoformat(run.detail["retry_at"])
        waits.append(round((retry_at - run.finished_at).total_seconds() / 60))
    assert waits == [5, 15, 45]
    spec_ok = spec_for(lambda context: JobOutcome(rows_touched=0), every_s=86400.0, pauses=())
    run_recorded(sqlite_engine, spec_ok, "test:1:a", get_settings())
    run = run_recorded(sqlite_engine, spec, "test:1:a", get_settings())
    assert run is not None and run.detail is not None
    assert run.detail["failures_in_a_row"] == 1  # a success in between starts again


def test_a_failed_hourly_run_is_rescheduled_within_minutes(sqlite_engine: Engine) -> None:
    def body(context: JobContext) -> JobOutcome:
        raise ValueError("fails every time")

    spec = spec_for(body, pauses=())
    scheduler = BackgroundScheduler()
    in_an_hour = datetime.now() + timedelta(hours=1)  # APScheduler's real-time instants
    scheduler.add_job(
        lambda: None, "interval", seconds=3600, id=spec.job_id, next_run_time=in_an_hour
    )
    scheduler.start(paused=True)
    try:
        run_and_retry_soon(
            scheduler, sqlite_engine, spec, "test:1:a", get_settings(), on_demand.HandOff()
        )
        job = scheduler.get_job(spec.job_id)
        moved_to = job.next_run_time.astimezone().replace(tzinfo=None)
    finally:
        scheduler.shutdown(wait=False)
    expected = datetime.now() + timedelta(seconds=300)
    assert abs((moved_to - expected).total_seconds()) < 5


def test_a_successful_run_keeps_its_schedule(sqlite_engine: Engine) -> None:
    spec = spec_for(lambda context: JobOutcome(rows_touched=0), pauses=())
    scheduler = BackgroundScheduler()
    in_an_hour = datetime.now() + timedelta(hours=1)
    scheduler.add_job(
        lambda: None, "interval", seconds=3600, id=spec.job_id, next_run_time=in_an_hour
    )
    scheduler.start(paused=True)
    try:
        run_and_retry_soon(
            scheduler, sqlite_engine, spec, "test:1:a", get_settings(), on_demand.HandOff()
        )
        kept = scheduler.get_job(spec.job_id).next_run_time.astimezone().replace(tzinfo=None)
    finally:
        scheduler.shutdown(wait=False)
    assert abs((kept - in_an_hour).total_seconds()) < 1


@pytest.mark.skipif(postgres_url() is None, reason="needs BARBERPRO_TEST_POSTGRES_URL")
def test_on_postgresql_a_lock_timeout_is_retried_until_the_row_is_free(tmp_path) -> None:  # type: ignore[no-untyped-def]
    url = db_templates.migrated_postgres(postgres_url())
    engine = create_engine_for(url)
    holder = create_engine_for(url)
    beat(engine, "contended")
    attempts: list[int] = []
    try:
        with holder.connect() as other:
            other.execute(text("BEGIN"))
            other.execute(
                text(
                    "SELECT 1 FROM console_scheduler_heartbeats WHERE scheduler_id = 'contended' "
                    "FOR UPDATE"
                )
            )
            threading.Timer(0.5, other.connection.dbapi_connection.rollback).start()

            def body(context: JobContext) -> JobOutcome:
                attempts.append(1)
                with write_unit(context.engine) as session:
                    session.execute(text("SET LOCAL lock_timeout = '100ms'"))
                    row = session.get(SchedulerHeartbeat, "contended", with_for_update=True)
                    assert row is not None
                    row.mode = "updated"
                return JobOutcome(rows_touched=1)

            run = run_recorded(engine, spec_for(body), "test:1:a", get_settings())
        assert run is not None and run.status == "success", run and run.error
        assert len(attempts) >= 2  # the first met the lock (55P03 lock_not_available)
        with read_session(engine) as session:
            mode = session.scalar(
                select(SchedulerHeartbeat.mode).where(
                    SchedulerHeartbeat.scheduler_id == "contended"
                )
            )
        assert mode == "updated"
    finally:
        engine.dispose()
        holder.dispose()


def test_a_write_unit_holding_the_lock_long_is_logged_with_its_job(
    sqlite_engine: Engine, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    import core.db
    from core.jobs import control

    monkeypatch.setattr(core.db, "LONG_WRITE_WARNING_S", 0.05)
    with caplog.at_level("WARNING", logger="core.db"):
        with (
            control.job_context("dashboard_frames", timeout_s=None),
            write_unit(sqlite_engine) as session,
        ):
            session.execute(text("SELECT 1"))
            time.sleep(0.1)
        with write_unit(sqlite_engine) as session:  # a short one says nothing
            session.execute(text("SELECT 1"))
    held = [r.getMessage() for r in caplog.records if "write lock" in r.getMessage()]
    assert len(held) == 1 and "job dashboard_frames" in held[0]
