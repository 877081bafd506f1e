"""Live job-run reads of Platform Operations: refresh measurements, outcomes, failures."""

from datetime import datetime, timedelta

import pytest
from sqlalchemy.orm import Session

from core.db import create_engine_for
from core.migrate import upgrade_database
from core.queries.platform_operations import job_summary, recent_failures, refresh_runs
from core.schema import JobRun

AT = datetime(2026, 4, 10, 12, 0)


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('ops') / 'ops.db'}"
    upgrade_database(url)
    engine = create_engine_for(url)
    runs = []
    for i in range(6):  # a refresh every 30 s; the fourth failed
        started = AT - timedelta(seconds=30 * (6 - i))
        failed = i == 3
        runs.append(
            JobRun(
                job_id="metrics_refresh",
                scheduler_id="s1",
                started_at=started,
                finished_at=started + timedelta(milliseconds=100 * (i + 1)),
                status="failed" if failed else "success",
                rows_touched=None if failed else 10 * i,
                detail=None
                if failed
                else {
                    "rows_read": i,
                    "cells": 2 * i,
                    "days": 1,
                    "kind": "incremental",
                    "timings": {"read_changes": 0.01 * i, "commit": 0.002},
                },
                error="OperationalError: database is locked" if failed else None,
            )
        )
    runs.append(
        JobRun(
            job_id="dashboard_frames",
            scheduler_id="s1",
            started_at=AT - timedelta(days=3),
            finished_at=AT - timedelta(days=3),
            status="failed",
            error="boom",
        )
    )
    runs.append(
        JobRun(job_id="metrics_refresh", scheduler_id="s1", started_at=AT, status="running")
    )
    with Session(engine) as session, session.begin():
        session.add_all(runs)
    yield engine
    engine.dispose()


def test_refresh_runs_carry_the_refresh_measurements(engine):
    with Session(engine) as session:
        runs = refresh_runs(session=session)
    assert len(runs) == 6  # the running one has no duration yet
    assert runs["started_at"].is_monotonic_increasing
    assert runs["duration_s"].tolist() == pytest.approx([0.1, 0.2, 0.3, 0.4, 0.5, 0.6])
    assert runs["rows_read"].tolist()[:3] == [0, 1, 2]
    assert runs["rows_read"].isna().tolist() == [False, False, False, True, False, False]
    assert runs["timings"][5] == {"read_changes": 0.05, "commit": 0.002}


def test_summary_and_failures_per_window(engine):
    with Session(engine) as session:
        day = job_summary(session=session, since=AT - timedelta(hours=24))
        week = job_summary(session=session, since=AT - timedelta(days=7))
        failures = recent_failures(session=session, since=AT - timedelta(days=7))
    refresh = day.set_index("job_id").loc["metrics_refresh"]
    assert (refresh["runs"], refresh["success"], refresh["failed"]) == (7, 5, 1)
    assert refresh["success_rate"] == pytest.approx(5 / 6)
    assert day.set_index("job_id").loc["dashboard_frames", "runs"] == 0
    assert week.set_index("job_id").loc["dashboard_frames", "failed"] == 1
    assert failures["job_id"].tolist() == ["metrics_refresh", "dashboard_frames"]
    assert failures["error"][0].startswith("OperationalError")
