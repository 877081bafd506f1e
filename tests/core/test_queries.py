"""Read queries behind the Onboarding and Refresh & jobs pages."""

from datetime import datetime

import pytest
from sqlalchemy.orm import Session

from core.db import get_engine
from core.queries.onboarding import SESSION_COLUMNS, onboarding_sessions
from core.queries.operations import recent_job_runs, scheduler_heartbeats, snapshot_history
from tests import snapshot_factory as factory

AT = datetime(2026, 6, 30, 15, 0)


@pytest.fixture
def session(tmp_path):
    url = factory.make_database(f"sqlite:///{tmp_path / 'queries.db'}")
    factory.add_operations(url, AT)
    with Session(get_engine(url)) as session:
        yield session


def test_onboarding_sessions_idle_and_elapsed(session):
    frame = onboarding_sessions(session=session, at=AT)
    assert list(frame.columns) == SESSION_COLUMNS
    assert list(frame["business_name"]) == ["Barbería Nueva", "Cadena Glam"]  # in progress first
    live, done = frame.iloc[0], frame.iloc[1]
    assert live["operator"] == "Carla Méndez"
    assert live["idle_s"] == 120  # the step event (2 min ago) is newer than the save (4 min)
    assert live["elapsed_min"] == pytest.approx(20)
    assert done["elapsed_min"] == pytest.approx(50)
    assert done["idle_s"] != done["idle_s"]  # NaN: idle only means something in progress


def test_old_finished_sessions_drop_out(session):
    later = datetime(2026, 7, 30, 15, 0)
    frame = onboarding_sessions(session=session, at=later, recent_days=7)
    assert list(frame["business_name"]) == ["Barbería Nueva"]


def test_job_runs_heartbeats_snapshots(session):
    runs = recent_job_runs(session=session, limit=2)
    assert list(runs["status"]) == ["success", "failed"]
    assert list(runs["duration_s"]) == [2.0, 2.0]
    assert runs["error"].iloc[1] == "database is locked"
    assert list(scheduler_heartbeats(session=session)["scheduler_id"]) == ["embedded-1"]
    assert snapshot_history(session=session).empty
