"""POST /api/t11/execute with a real scheduler process: the request is queued by the API,
claimed and run by ``python scheduler.py`` through the job's usual recorded path, and
``GET /api/t11/execution/track`` reports what the run did (checked against
``console_job_runs``).

The scheduler runs with ``--interval 3600`` and the model jobs' warm-up at an hour, so
the only runs in the test's window are the first refresh-paced ones and the requested.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select, text
from sqlalchemy.orm import Session

from api.app import create_app
from core.config import Settings
from core.db import create_engine_for, write_unit
from core.schema import ConsoleUser, JobRun, JobRunRequest
from data.generate import generate_demo_data
from tests.api.conftest import issue
from tests.conftest import POSTGRES_URL_VARIABLE, postgres_url

ROOT = Path(__file__).resolve().parents[2]
ADMIN_EMAIL = "rita.requests@barberpro.com.ar"


@dataclass(frozen=True)
class World:
    url: str
    engine: Engine
    client: TestClient
    headers: dict[str, str]
    tmp_path: Path


def _world(url: str, tmp_path: Path) -> Iterator[World]:
    engine = create_engine_for(url)
    with write_unit(engine) as session:
        admin = ConsoleUser(full_name="Rita Requests", email=ADMIN_EMAIL, role="admin")
        session.add(admin)
        session.flush()
        admin_id = admin.id
    token = issue(engine, admin_id)
    settings = Settings(database_url=url, environment="test", data_dir=tmp_path)
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        yield World(url, engine, client, {"Authorization": f"Bearer {token}"}, tmp_path)
    engine.dispose()


@pytest.fixture
def demo_world(tmp_path: Path) -> Iterator[World]:
    """A small demo data set (3 tenants, 2 months) in SQLite: a refresh touches rows."""
    url = f"sqlite:///{tmp_path / 'console.db'}"
    generate_demo_data(url, tenants=3, months=2, seed=3, today=date(2026, 4, 10))
    yield from _world(url, tmp_path)


@pytest.fixture
def postgres_world(tmp_path: Path) -> Iterator[World]:
    url = postgres_url()
    if url is None:
        pytest.skip(f"PostgreSQL tests need {POSTGRES_URL_VARIABLE}")
    from tests import db_templates

    yield from _world(db_templates.migrated_postgres(url), tmp_path)


@pytest.fixture
def start_scheduler(tmp_path: Path) -> Iterator[Callable[[str], subprocess.Popen[str]]]:
    started: list[subprocess.Popen[str]] = []

    def start(url: str) -> subprocess.Popen[str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("BARBERPRO_")}
        env |= {
            "BARBERPRO_DATABASE_URL": url,
            "BARBERPRO_ENV": "test",
            "BARBERPRO_SIMULATOR": "false",
            "BARBERPRO_DATA_DIR": str(tmp_path),
            "BARBERPRO_MODEL_JOBS_DELAY_S": "3600",
        }
        process = subprocess.Popen(
            [sys.executable, "scheduler.py", "--interval", "3600"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        started.append(process)
        return process

    yield start
    for process in started:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def wait_for(condition: Callable[[], bool], timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def runs_of(engine: Engine, job_id: str) -> list[JobRun]:
    with Session(engine) as session:
        return list(
            session.scalars(select(JobRun).where(JobRun.job_id == job_id).order_by(JobRun.id))
        )


def execute(world: World, job: str) -> dict:
    response = world.client.post("/api/t11/execute", json={"job_id": job}, headers=world.headers)
    assert response.status_code == 202, response.text
    assert response.headers["Location"] == response.json()["track"]
    return response.json()


def track(world: World, execution_id: int) -> dict:
    response = world.client.get(
        "/api/t11/execution/track", params={"execution_id": execution_id}, headers=world.headers
    )
    assert response.status_code == 200, response.text
    return response.json()


def follow(world: World, execution_id: int, timeout_s: float = 90) -> tuple[dict, list[str]]:
    """Poll the track route until the request is settled: (last answer, statuses seen)."""
    seen: list[str] = []
    answer: dict = {}

    def settled() -> bool:
        nonlocal answer
        answer = track(world, execution_id)
        if not seen or seen[-1] != answer["status"]:
            seen.append(answer["status"])
        return answer["status"] in ("succeeded", "failed", "skipped")

    wait_for(settled, timeout_s, f"execution {execution_id} to end")
    return answer, seen


@pytest.mark.slow
def test_a_queued_request_is_run_once_by_the_scheduler_and_tracked(
    demo_world: World, start_scheduler: Callable[[str], subprocess.Popen[str]]
) -> None:
    world = demo_world
    asked = execute(world, "metrics_refresh")
    assert asked["status"] == "queued" and asked["deduplicated"] is False
    # Asked again while queued: the same request, nothing new queued.
    again = execute(world, "metrics_refresh")
    assert again["execution_id"] == asked["execution_id"] and again["deduplicated"] is True
    assert track(world, asked["execution_id"])["status"] == "queued"  # no scheduler yet

    process = start_scheduler(world.url)
    answer, seen = follow(world, asked["execution_id"])
    assert answer["status"] == "succeeded", (answer, process.poll())
    assert [s for s in seen if s != "running"] == ["queued", "succeeded"]

    # The scheduler's own first refresh and the request are one run, not two.
    runs = runs_of(world.engine, "metrics_refresh")
    assert len(runs) == 1
    run = runs[0]
    assert answer["job_run_id"] == run.id and run.status == "success"
    assert answer["rows_touched"] == run.rows_touched and run.rows_touched > 0
    assert answer["requested_by"] == ADMIN_EMAIL
    assert answer["error"] is None and answer["attached"] is False
    assert answer["duration_s"] == pytest.approx(
        (run.finished_at - run.started_at).total_seconds(), abs=0.001
    )
    assert answer["started_at"] >= answer["requested_at"]

    # A job that fails: the request fails with the run's one-line error. On this data the
    # retrain finds one class only (every demo tenant stayed in two months).
    failing = execute(world, "churn_retrain")
    answer, _seen = follow(world, failing["execution_id"], timeout_s=180)
    (retrain,) = runs_of(world.engine, "churn_retrain")
    assert answer["status"] == "failed" and retrain.status == "failed"
    assert answer["error"] == retrain.error
    assert answer["error"].startswith("ValueError: ") and "\n" not in answer["error"]
    assert answer["job_run_id"] == retrain.id

    # A job that cannot run here: skipped with its reason (no backup folder in tests).
    backup = execute(world, "backup")
    assert backup["scheduler_job_id"] == "backup_nightly"
    answer, _seen = follow(world, backup["execution_id"])
    (nightly,) = runs_of(world.engine, "backup_nightly")
    assert answer["status"] == "skipped" and nightly.status == "skipped"
    assert answer["skip_reason"] == nightly.detail["reason"]
    assert answer["error"] is None

    with Session(world.engine) as session:
        open_requests = session.scalar(
            select(func.count())
            .select_from(JobRunRequest)
            .where(JobRunRequest.active_job_id.is_not(None))
        )
    assert open_requests == 0  # settled requests free their job for the next ask


@pytest.mark.postgres
@pytest.mark.slow
def test_a_request_while_the_scheduler_runs_the_job_joins_that_run(
    postgres_world: World, start_scheduler: Callable[[str], subprocess.Popen[str]]
) -> None:
    """The scheduled refresh is held inside its run (its lease row is locked by the test):
    the request is attached to it, and the job runs once."""
    world = postgres_world
    blocker = world.engine.connect()
    transaction = blocker.begin()
    blocker.execute(text("LOCK TABLE console_locks IN EXCLUSIVE MODE"))
    try:
        start_scheduler(world.url)
        wait_for(
            lambda: any(r.status == "running" for r in runs_of(world.engine, "metrics_refresh")),
            60,
            "the scheduled refresh to start",
        )
        (scheduled,) = runs_of(world.engine, "metrics_refresh")
        asked = execute(world, "metrics_refresh")
        wait_for(
            lambda: track(world, asked["execution_id"])["job_run_id"] == scheduled.id,
            30,
            "the request to join the scheduled run",
        )
        during = track(world, asked["execution_id"])
        assert during["status"] == "running" and during["attached"] is True
        assert during["started_at"] is not None and during["finished_at"] is None
    finally:
        transaction.rollback()
        blocker.close()
    answer, _seen = follow(world, asked["execution_id"])
    runs = runs_of(world.engine, "metrics_refresh")
    assert len(runs) == 1, [(r.id, r.status, r.detail) for r in runs]
    assert runs[0].status == "success"
    assert answer["status"] == "succeeded" and answer["job_run_id"] == runs[0].id
    assert answer["rows_touched"] == runs[0].rows_touched
    # A few refresh-paced polls later, still one run: the request did not start another.
    time.sleep(5)
    assert len(runs_of(world.engine, "metrics_refresh")) == 1
