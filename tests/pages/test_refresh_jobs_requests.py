"""Refresh & jobs lists the runs administrators asked for through the API."""

import pytest

from tests.pages.helpers import render_page

pytestmark = pytest.mark.clock


def test_refresh_jobs_page_shows_requested_runs(generated_console_env):
    from datetime import timedelta

    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from core.clock import now
    from core.db import create_engine_for
    from core.schema import ConsoleUser, JobRunRequest

    engine = create_engine_for(generated_console_env)
    at = now()
    with Session(engine) as session, session.begin():
        user = session.scalars(select(ConsoleUser).order_by(ConsoleUser.id)).first()
        assert user is not None
        email = user.email
        session.add_all(
            [
                JobRunRequest(
                    job_id="churn_retrain",
                    requested_as="churn_retrain",
                    requested_by=user.id,
                    requested_at=at - timedelta(minutes=5),
                    status="failed",
                    attached=False,
                    job_run_id=77,
                    started_at=at - timedelta(minutes=4),
                    finished_at=at - timedelta(minutes=3),
                    error="ValueError: no billing history yet",
                ),
                JobRunRequest(
                    job_id="backup_nightly",
                    requested_as="backup",
                    requested_by=user.id,
                    requested_at=at - timedelta(minutes=1),
                    status="queued",
                    active_job_id="backup_nightly",
                    attached=False,
                ),
            ]
        )
    engine.dispose()
    app = render_page("app_pages/refresh_jobs.py", {"lang": "en"})
    assert "Requested runs" in [s.value for s in app.subheader]
    table = next(frame.value for frame in app.dataframe if "requested_by" in frame.value)
    shown = table.data if hasattr(table, "data") else table
    assert shown["job"].tolist() == ["backup", "churn_retrain"]  # newest first
    assert shown["status"].tolist() == ["queued", "failed"]
    assert set(shown["requested_by"]) == {email}
    assert shown["outcome"].tolist() == ["", "ValueError: no billing history yet"]
    assert shown["duration_s"].tolist()[1] == pytest.approx(60.0)
