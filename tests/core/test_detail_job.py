"""The dashboard_frames job: waits for the first metrics snapshot, leaves no record when
nothing is due, recomputes a provider that is not incremental once its cadence has passed,
and updates an incremental one on every run."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pandas as pd
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.clock import now
from core.config import get_settings
from core.jobs import runner
from core.jobs.refresh import DETAIL_JOB_ID
from core.jobs.registry import JOBS
from core.jobs.spec import JobSpec
from core.metrics import detail
from core.metrics.detail import FrameProvider
from core.metrics.refresh import refresh_metrics
from core.metrics.snapshots import latest_detail_version
from core.schema import JobRun
from tests.factories import add_booking, add_tenant

# Bookings a few hours before now fall on yesterday just after midnight.
pytestmark = pytest.mark.clock

PROVIDER = FrameProvider(
    "test",
    ("test_frame",),
    lambda session, as_of: {"test_frame": pd.DataFrame({"as_of": [as_of]})},
    "a provider for the job test",
)


def detail_spec() -> JobSpec:
    return next(spec for spec in JOBS if spec.job_id == DETAIL_JOB_ID)


def runs(engine) -> int:  # type: ignore[no-untyped-def]
    with Session(engine) as session:
        return session.scalar(
            select(func.count()).select_from(JobRun).where(JobRun.job_id == DETAIL_JOB_ID)
        )


def test_job_waits_for_metrics_then_runs_only_when_due(sqlite_engine, monkeypatch):
    monkeypatch.setattr(detail, "discover_providers", lambda: [PROVIDER])
    spec = detail_spec()

    runner.run_recorded(sqlite_engine, spec, "s1", get_settings())  # no metrics snapshot yet
    assert runs(sqlite_engine) == 0
    with Session(sqlite_engine) as session:
        assert latest_detail_version(session=session) is None

    with Session(sqlite_engine) as session, session.begin():
        refs = add_tenant(session, 1, signup=date(2026, 1, 5))
        add_booking(session, refs, start_at=now() - timedelta(hours=3))
    refresh_metrics(sqlite_engine)
    run = runner.run_recorded(sqlite_engine, spec, "s1", get_settings())
    assert run.status == "success", run.error
    assert run.detail["frames"] == 1
    assert runs(sqlite_engine) == 1

    runner.run_recorded(
        sqlite_engine, spec, "s1", get_settings()
    )  # fresh: nothing due, nothing recorded
    assert runs(sqlite_engine) == 1

    # Its cadence (BARBERPRO_DETAIL_REFRESH_S) has passed: recomputed and stored.
    due = replace(get_settings(), detail_refresh_s=0.0)
    assert runner.run_recorded(sqlite_engine, spec, "s1", due).status == "success"
    assert runs(sqlite_engine) == 2


def test_an_incremental_provider_is_updated_on_every_run(sqlite_engine, monkeypatch):
    updates: list[int] = []

    def update(session, as_of, previous, touched):  # type: ignore[no-untyped-def]
        updates.append(len(touched.bookings))
        return {"test_frame": previous["test_frame"]}

    provider = FrameProvider(
        "test",
        ("test_frame",),
        lambda session, as_of: {"test_frame": pd.DataFrame({"as_of": [as_of]})},
        "an incremental provider for the job test",
        update=update,
    )
    monkeypatch.setattr(detail, "discover_providers", lambda: [provider])
    with Session(sqlite_engine) as session, session.begin():
        refs = add_tenant(session, 1, signup=date(2026, 1, 5))
    refresh_metrics(sqlite_engine)
    spec = detail_spec()
    first = runner.run_recorded(sqlite_engine, spec, "s1", get_settings())
    assert first.detail["modes"] == {"test": "full"}
    with Session(sqlite_engine) as session, session.begin():
        add_booking(session, refs, start_at=now() - timedelta(hours=3))
    refresh_metrics(sqlite_engine)
    second = runner.run_recorded(sqlite_engine, spec, "s1", get_settings())
    assert second.status == "success", second.error
    assert second.detail["modes"] == {"test": "incremental"}
    assert updates == [1]  # the new booking's tenant-day
    assert runs(sqlite_engine) == 2
