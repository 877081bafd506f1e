"""Model card page: renders the promoted model's stored backtest; says so when there is none."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from core.clock import now
from core.db import create_engine_for, write_unit
from core.schema import JobRun
from tests.core.models.test_churn_helpers import registry_database
from tests.pages.conftest import _env

ROOT = Path(__file__).resolve().parents[2]
PAGE = "app_pages/model_card.py"


@pytest.fixture(scope="module")
def registry_url(tmp_path_factory) -> str:
    return registry_database(f"sqlite:///{tmp_path_factory.mktemp('card') / 'registry.db'}")


def render() -> AppTest:
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90)
    app.query_params["lang"] = "en"
    app.run()
    app.switch_page(PAGE)
    app.query_params["lang"] = "en"
    app.run()
    assert not app.exception, [e.value for e in app.exception]
    assert not app.error, [e.value for e in app.error]
    return app


def test_model_card_shows_the_stored_backtest(monkeypatch, registry_url) -> None:
    _env(monkeypatch, registry_url)
    app = render()
    assert app.title[0].value == "Model card"
    assert any("Version 2" in m.value for m in app.markdown)
    headers = [h.value for h in app.subheader]
    assert "Backtest metrics (95% CI, resampling tenants)" in headers
    assert "Version history" in headers
    assert len(app.get("plotly_chart")) == 3  # calibration, lift, drivers
    assert len(app.dataframe) == 4  # metrics, comparison, origins, history


def test_model_card_without_a_model_says_so(monkeypatch, empty_env) -> None:
    app = render()
    assert any("No churn model has been promoted yet" in i.value for i in app.info)
    assert not app.get("plotly_chart")


def test_a_failed_training_says_when_it_is_retried(monkeypatch, empty_env) -> None:
    failed_at, retry_at = now() - timedelta(minutes=2), now() + timedelta(minutes=3)
    engine = create_engine_for(empty_env)
    with write_unit(engine) as session:
        session.add(
            JobRun(
                job_id="churn_retrain",
                scheduler_id="s",
                started_at=failed_at - timedelta(minutes=5),
                finished_at=failed_at,
                status="failed",
                error="ValueError: not enough history to calibrate",
                detail={"failure": "other", "retry_at": retry_at.isoformat()},
            )
        )
    engine.dispose()
    app = render()
    assert [w.value for w in app.warning] == [
        f"The churn model training failed at {failed_at:%H:%M} (an unexpected error (logged "
        f"for support)); it is retried at {retry_at:%H:%M}."
    ]
    assert not any("No churn model has been promoted yet" in i.value for i in app.info)
