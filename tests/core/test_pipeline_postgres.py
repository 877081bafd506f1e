"""The whole scheduler pipeline on PostgreSQL: every job of a fresh console succeeds there
and writes its rows (the SQLite twin is tests/full_console.py, used by the page tests)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.clock import now
from core.db import create_engine_for
from core.metrics.detail import DETAIL_KIND
from core.schema import (
    ChurnModelVersion,
    ChurnScore,
    CsAlert,
    HealthScore,
    MetricSnapshot,
    SnapshotFrame,
)
from data.generate import generate_demo_data
from tests.conftest import POSTGRES_URL_VARIABLE, _reset_postgres, postgres_url
from tests.full_console import MONTHS, TENANTS, run_every_job

# Training the churn model on 14 months takes minutes; the suite-wide 600 s limit is for
# ordinary tests.
pytestmark = [pytest.mark.postgres, pytest.mark.slow, pytest.mark.timeout(1800)]


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    url = postgres_url()
    if url is None:
        pytest.skip(f"PostgreSQL tests need {POSTGRES_URL_VARIABLE} (set by .ci/run)")
    _reset_postgres(url)
    generate_demo_data(url, tenants=TENANTS, months=MONTHS, seed=5, today=now().date())
    return url, run_every_job(url)


def _count(session: Session, model, *where) -> int:  # type: ignore[no-untyped-def]
    return int(session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


def test_every_job_succeeds_on_postgres(pipeline) -> None:  # type: ignore[no-untyped-def]
    _url, runs = pipeline
    assert {job: run.status for job, run in runs.items()} | {"churn_score": "success"} == {
        job: "success" for job in runs
    }
    assert runs["metrics_refresh"].rows_touched > 0
    assert runs["dashboard_frames"].detail["errors"] == {}


def test_each_job_wrote_its_rows_on_postgres(pipeline) -> None:  # type: ignore[no-untyped-def]
    url, runs = pipeline
    engine = create_engine_for(url)
    try:
        with Session(engine) as session:
            assert _count(session, MetricSnapshot, MetricSnapshot.kind != DETAIL_KIND) >= 1
            detail_version = runs["dashboard_frames"].detail["version"]
            assert _count(session, SnapshotFrame, SnapshotFrame.version == detail_version) >= 10
            # Today's scores plus the missing history, for every active tenant.
            assert _count(session, HealthScore) > TENANTS
            assert _count(session, ChurnModelVersion) >= 1
            if runs["churn_score"].status == "success":
                assert _count(session, ChurnScore) > 0
            # The rules open alerts for the riskiest tenants of the generated book.
            assert _count(session, CsAlert) > 0
            assert runs["alert_rules"].rows_touched > 0
    finally:
        engine.dispose()
