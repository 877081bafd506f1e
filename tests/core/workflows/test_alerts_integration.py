"""The alert rules against the real health-score store, and the scheduler's job spec."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from core.config import get_settings
from core.jobs.registry import JOBS
from core.jobs.runner import run_recorded
from core.schema import CsAlert, JobRun
from core.workflows.alerts_engine import run_alert_rules
from tests.core.workflows.alerts_fixtures import AT, TODAY, make_world

health_store = pytest.importorskip("core.schema.health")


def store_health(engine: Engine, rows: list[tuple[int, float, str]], day=TODAY) -> None:  # type: ignore[no-untyped-def]
    if not hasattr(health_store, "HealthScore"):
        pytest.skip("the health score store is not there yet")
    with Session(engine) as session, session.begin():
        for tenant_id, score, band in rows:
            session.add(
                health_store.HealthScore(
                    tenant_id=tenant_id, day=day, tier="pro", score=score, band=band, missing=[]
                )
            )


def test_health_entering_red_in_the_stored_scores_opens_an_alert(sqlite_engine: Engine) -> None:
    world = make_world(sqlite_engine)
    a, b, _c = world.tenants
    store_health(sqlite_engine, [(a, 30.0, "red"), (b, 65.0, "yellow")])
    with Session(sqlite_engine) as session, session.begin():
        run = run_alert_rules(session=session, at=AT, rng=random.Random(0))
    assert "health_red" not in run.skipped
    with Session(sqlite_engine) as session:
        alert = session.scalars(select(CsAlert).where(CsAlert.reason == "health_red")).one()
    assert alert.tenant_id == a and alert.signal_detail["score"] == 30.0
    # The next day's score is yellow: the alert closes as the signal cleared.
    store_health(sqlite_engine, [(a, 45.0, "yellow")], day=TODAY + timedelta(days=1))
    with Session(sqlite_engine) as session, session.begin():
        assert run_alert_rules(session=session, at=AT + timedelta(days=1)).closed == 1


def test_alert_rules_is_a_recorded_scheduler_job(sqlite_engine: Engine, monkeypatch) -> None:
    spec = next(s for s in JOBS if s.job_id == "alert_rules")
    assert spec.interval_s(30.0) == 30.0  # every refresh interval
    make_world(sqlite_engine)
    run = run_recorded(sqlite_engine, spec, "test:1:a", get_settings())
    assert run is not None and run.status == "success", run and run.error
    with Session(sqlite_engine) as session:
        stored = session.get(JobRun, run.id)
    assert stored.detail["opened"] == stored.rows_touched  # type: ignore[union-attr]
    assert set(stored.detail["skipped"]) >= {"churn_risk"}  # type: ignore[union-attr]
