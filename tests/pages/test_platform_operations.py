"""Platform Operations and Refresh & jobs pages on a generated console with job runs."""

import pytest
from streamlit.testing.v1 import AppTest

from tests.pages.helpers import ROOT, render_page

# Job runs and heartbeats stamped now, read in windows ending now.
pytestmark = pytest.mark.clock

PAGE = "app_pages/platform_operations.py"


def render(**params: str) -> AppTest:
    return render_page(PAGE, params)


def test_platform_page_shows_refresh_jobs_and_data_quality(generated_console_env):
    from datetime import timedelta

    from sqlalchemy.orm import Session

    from core.clock import now
    from core.db import create_engine_for
    from core.schema import JobRun

    engine = create_engine_for(generated_console_env)
    at = now()
    with Session(engine) as session, session.begin():
        for k in range(5):
            started = at - timedelta(seconds=30 * (5 - k))
            session.add(
                JobRun(
                    job_id="metrics_refresh",
                    scheduler_id="test",
                    started_at=started,
                    finished_at=started + timedelta(milliseconds=80),
                    status="failed" if k == 2 else "success",
                    rows_touched=None if k == 2 else 100 + k,
                    detail=None
                    if k == 2
                    else {"rows_read": 90, "cells": 10, "timings": {"commit": 0.01}},
                    error="OperationalError: locked" if k == 2 else None,
                )
            )
    engine.dispose()
    app = render(lang="en")
    labels = [m.label for m in app.metric]
    assert labels[:4] == ["Snapshot", "Snapshot age", "Last refresh", "Scheduler heartbeat"]
    assert labels[4:] == [
        "Refresh duration",
        "Rows touched",
        "Job failures",
        "Data-quality warnings",
    ]
    values = dict(zip(labels, [m.value for m in app.metric], strict=True))
    assert values["Rows touched"] == "104" and values["Job failures"] == "1"
    assert values["Data-quality warnings"] == "0"
    assert len(app.get("plotly_chart")) == 3
    assert [s.value for s in app.subheader] == ["Scheduled jobs", "Detail tables", "Data quality"]
    failures = app.dataframe[1].value
    assert failures["error"].tolist() == ["OperationalError: locked"]
    quality = app.dataframe[-1].value
    assert len(quality) > 40 and set(quality["status"]) == {"ok"}
    app.toggle(key="platform_quality_problems").set_value(True).run()
    assert any("Every check passed" in s.value for s in app.success)


def test_refresh_jobs_page_is_translated(generated_console_env):
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90)
    app.run()
    app.switch_page("app_pages/refresh_jobs.py")
    app.run()
    from core.i18n import DEFAULT_LOCALE, gettext

    assert not app.exception
    assert app.title[0].value == gettext("Refresh & jobs", DEFAULT_LOCALE)  # Spanish by default
    assert len(app.metric) == 4 and app.dataframe  # snapshots; no run or beat in this db
