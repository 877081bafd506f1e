"""A stopped scheduler stops: SIGTERM during a job ends the process within 10 s, cancels its
statement on the server, marks the run interrupted and frees the lease; a runaway
statement fails its run with a clear record; a restart cleans up after a killed scheduler.

Real processes and real databases: ``python scheduler.py`` runs the test-only
slow-statement job (``BARBERPRO_TEST_SLOW_STATEMENT_S``), which holds a lease while one
statement runs for minutes.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, insert, select, text
from sqlalchemy.orm import Session

from core.clock import now
from core.config import Settings, get_settings
from core.db import create_engine_for
from core.jobs import control as job_control
from core.jobs import registry, runner
from core.jobs.spec import JobSpec
from core.schema import ConsoleLock, JobRun
from data.generate import generate_demo_data
from tests.conftest import _reset_postgres, postgres_url

ROOT = Path(__file__).resolve().parents[2]
PROBE = registry.SLOW_STATEMENT_JOB_ID
STOP_LIMIT_S = 10.0


def scheduler_env(url: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BARBERPRO_")}
    return env | {
        "BARBERPRO_DATABASE_URL": url,
        "BARBERPRO_ENV": "test",
        "BARBERPRO_SIMULATOR": "false",
        registry.SLOW_STATEMENT_VARIABLE: "300",
        **extra,
    }


def wait_for(condition: Callable[[], bool], timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.2)


def probe_run(engine: Engine) -> JobRun | None:
    with Session(engine) as session:
        return session.scalars(
            select(JobRun).where(JobRun.job_id == PROBE).order_by(JobRun.id.desc())
        ).first()


def lease_holder(engine: Engine, name: str) -> str | None:
    with Session(engine) as session:
        return session.scalar(select(ConsoleLock.holder).where(ConsoleLock.name == name))


def slow_statements_on_server(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(
            connection.scalar(
                text(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                    " AND pid <> pg_backend_pid() AND state = 'active'"
                    " AND query LIKE '%pg_sleep%'"
                )
            )
        )


def plant_dead_scheduler(engine: Engine) -> str:
    """A run left ``running`` and a lease held by a scheduler that was killed (SIGKILL)."""
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    dead_id = f"{socket.gethostname()}:{dead.pid}:dead00"
    with Session(engine) as session, session.begin():
        session.add(
            JobRun(
                job_id="health_scores",
                scheduler_id=dead_id,
                started_at=now() - timedelta(seconds=5),
                status="running",
            )
        )
        session.execute(
            insert(ConsoleLock).values(
                name="health_scores", holder=dead_id, expires_at=now() + timedelta(hours=3)
            )
        )
    return dead_id


def sigterm_during_the_probe(engine: Engine, command: list[str], env: dict[str, str]) -> float:
    """Start ``command``, wait until the probe's statement runs, SIGTERM; seconds to exit."""
    process = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    try:
        wait_for(
            lambda: (run := probe_run(engine)) is not None and run.status == "running",
            60,
            "the slow job to start",
        )
        time.sleep(1.0)  # inside its statement
        assert process.poll() is None, process.communicate()[0]
        started = time.monotonic()
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)
        elapsed = time.monotonic() - started
    finally:
        if process.poll() is None:
            process.kill()
    output = process.communicate()[0]
    assert process.returncode == 0, output
    return elapsed


def assert_stopped_cleanly(engine: Engine, elapsed: float) -> None:
    assert elapsed < STOP_LIMIT_S, f"the scheduler took {elapsed:.1f} s to stop"
    run = probe_run(engine)
    assert run is not None and run.status == "interrupted" and run.finished_at is not None
    assert "interrupted" in (run.error or "")
    assert lease_holder(engine, PROBE) is None
    with Session(engine) as session:
        left = session.scalar(select(JobRun.id).where(JobRun.status == "running"))
    assert left is None


@pytest.fixture
def pg_console() -> Iterator[tuple[str, Engine]]:
    url = postgres_url()
    if url is None:
        pytest.skip("PostgreSQL tests need BARBERPRO_TEST_POSTGRES_URL")
    _reset_postgres(url)
    generate_demo_data(url, tenants=3, months=2, seed=3, today=date(2026, 4, 10))
    engine = create_engine_for(url)
    yield url, engine
    engine.dispose()


@pytest.fixture
def sqlite_console(tmp_path) -> Iterator[tuple[str, Engine]]:  # type: ignore[no-untyped-def]
    url = f"sqlite:///{tmp_path / 'console.db'}"
    generate_demo_data(url, tenants=3, months=2, seed=3, today=date(2026, 4, 10))
    engine = create_engine_for(url)
    yield url, engine
    engine.dispose()


@pytest.mark.postgres
@pytest.mark.slow
def test_sigterm_stops_the_standalone_scheduler_on_postgres(pg_console) -> None:
    url, engine = pg_console
    dead_id = plant_dead_scheduler(engine)
    elapsed = sigterm_during_the_probe(
        engine, [sys.executable, "scheduler.py", "--interval", "5"], scheduler_env(url)
    )
    print(f"SIGTERM to exit: {elapsed:.2f} s")
    assert_stopped_cleanly(engine, elapsed)
    assert slow_statements_on_server(engine) == 0  # cancelled, not orphaned
    # The restart cleaned up after the killed scheduler.
    with Session(engine) as session:
        dead_run = session.scalars(select(JobRun).where(JobRun.scheduler_id == dead_id)).one()
    assert dead_run.status == "interrupted"
    assert lease_holder(engine, "health_scores") is None


@pytest.mark.slow
def test_sigterm_stops_the_standalone_scheduler_on_sqlite(sqlite_console) -> None:
    url, engine = sqlite_console
    elapsed = sigterm_during_the_probe(
        engine, [sys.executable, "scheduler.py", "--interval", "5"], scheduler_env(url)
    )
    assert_stopped_cleanly(engine, elapsed)


EMBEDDED = """
import signal, sys, time
import scheduler
# Streamlit answers SIGTERM by leaving its event loop; the interpreter then exits.
signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
scheduler.ensure_embedded_scheduler()
time.sleep(3600)
"""


@pytest.mark.slow
def test_the_embedded_scheduler_stops_with_its_process(engine) -> None:  # type: ignore[no-untyped-def]
    url = engine.url.render_as_string(hide_password=False)
    env = scheduler_env(url, BARBERPRO_EMBEDDED_SCHEDULER="true")
    elapsed = sigterm_during_the_probe(engine, [sys.executable, "-c", EMBEDDED], env)
    assert_stopped_cleanly(engine, elapsed)
    if engine.dialect.name == "postgresql":
        assert slow_statements_on_server(engine) == 0


def probe_spec() -> JobSpec:
    probe_settings = Settings(environment="test")
    return next(s for s in registry.scheduled_jobs(probe_settings) if s.job_id == PROBE)


def test_a_runaway_statement_fails_its_run_with_a_clear_record(engine, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv(registry.SLOW_STATEMENT_VARIABLE, "120")
    monkeypatch.setenv("BARBERPRO_JOB_STATEMENT_TIMEOUTS", f"{PROBE}=1")
    started = time.monotonic()
    holder = f"{socket.gethostname()}:{os.getpid()}:t"
    run = runner.run_recorded(engine, probe_spec(), holder, get_settings())
    assert time.monotonic() - started < 10
    assert run is not None and run.status == "failed"
    assert run.error is not None
    assert "statement timeout" in run.error and "longer than 1 s" in run.error
    assert "BARBERPRO_JOB_STATEMENT_TIMEOUTS" in run.error
    assert lease_holder(engine, PROBE) is None


def test_page_queries_get_the_shorter_default_limit(engine) -> None:  # type: ignore[no-untyped-def]
    endless = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n)"
    slow = (
        "SELECT pg_sleep(30)"
        if engine.dialect.name == "postgresql"
        else f"{endless} SELECT count(*) FROM n"
    )
    job_control.set_default_statement_timeout(0.5)
    try:
        with (
            pytest.raises(job_control.StatementTimeout, match="PAGE_STATEMENT_TIMEOUT"),
            engine.connect() as connection,
        ):
            connection.execute(text(slow))
    finally:
        job_control.set_default_statement_timeout(None)
    with engine.connect() as connection:  # the next page query runs normally
        assert connection.scalar(text("SELECT 1")) == 1


def test_a_bad_timeout_setting_gets_one_clear_message(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from core.config import ConfigError, get_settings

    monkeypatch.setenv("BARBERPRO_JOB_STATEMENT_TIMEOUTS", "dashboard_frames=ten")
    with pytest.raises(ConfigError, match="dashboard_frames=600"):
        get_settings()
