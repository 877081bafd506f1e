"""The Customer Health page with AppTest, on a generated set with stored health scores."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from streamlit.testing.v1 import AppTest

from core.auth.sessions import SignedInUser
from core.clock import now
from core.db import create_engine_for, write_unit
from core.i18n import DEFAULT_LOCALE, gettext
from core.metrics.detail import refresh_detail_frames
from core.metrics.frames.health import PROVIDERS
from core.metrics.refresh import refresh_metrics
from core.models.health.score import health_scores_for_days, store_scores
from core.models.health.weights import DEFAULT_WEIGHTS, load_weights
from core.schema import AuditEvent, ConsoleUser, JobRun
from data.generate import generate_demo_data
from page_registry import PAGES
from tests.pages.helpers import page_env
from ui.auth import signed_in_as

ROOT = Path(__file__).resolve().parents[2]
TODAY = date(2026, 4, 10)
PAGE = next(p for p in PAGES if p.url_path == "customer-health")


@pytest.fixture(scope="module")
def health_url(tmp_path_factory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('health_page') / 'demo.db'}"
    generate_demo_data(url, tenants=20, months=6, seed=9, today=TODAY)
    engine = create_engine_for(url)
    days = [TODAY - timedelta(days=7), TODAY]
    with Session(engine) as session:
        scores = health_scores_for_days(session, days)
    with Session(engine) as session, session.begin():
        for day in days:
            store_scores(session=session, day=day, scores=scores[day])
    at = datetime.combine(TODAY, time(12, 0))
    refresh_metrics(engine, full=True, as_of=at)
    result = refresh_detail_frames(engine, at=at, providers=PROVIDERS)
    assert not result.errors, result.errors
    engine.dispose()
    return url


@pytest.fixture
def health_env(monkeypatch, health_url) -> str:
    page_env(monkeypatch, health_url)
    return health_url


def render() -> AppTest:
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90)
    app.run()
    app.switch_page(PAGE.path)
    app.run()
    return app


def _(text: str) -> str:
    return gettext(text, DEFAULT_LOCALE)


def test_page_shows_tiles_charts_tables_and_filters(health_env) -> None:
    app = render()
    assert not app.exception, [e.value for e in app.exception]
    assert not app.error, [e.value for e in app.error]
    assert len(app.metric) == 4
    assert len(app.get("plotly_chart")) == 4
    assert len(app.dataframe) >= 1
    table = app.dataframe[-1].value
    assert len(table) >= 10
    assert len(app.get("download_button")) == 1
    app.multiselect(key=f"{PAGE.url_path}__filter_tier").set_value(["pro"]).run()
    assert not app.exception
    tiers = set(app.dataframe[-1].value["tier"])
    assert tiers == {_("pro")}


def _an_admin(url: str) -> SignedInUser:
    """An administrator of the page's database (only admins save weights)."""
    engine = create_engine_for(url)
    with Session(engine) as session, session.begin():
        user = session.scalar(select(ConsoleUser).where(ConsoleUser.role == "admin"))
        assert user is not None
        signed = SignedInUser(user.id, user.email, user.full_name, "admin")
    engine.dispose()
    return signed


def test_weights_editor_refuses_bad_input_and_audits_good(health_env) -> None:
    with signed_in_as(_an_admin(health_env)):
        _edit_weights(health_env)


def _edit_weights(health_env: str) -> None:
    app = render()
    app.selectbox(key=f"{PAGE.url_path}_weights_tier").set_value("enterprise").run()
    key = f"{PAGE.url_path}_w_enterprise_usage"
    app.number_input(key=key).set_value(-5.0)
    save = next(b for b in app.button if b.label == _("Save weights"))
    save.click().run()
    assert not app.exception
    assert any(e.value.startswith(_("Weights not saved: {error}").split("{")[0]) for e in app.error)
    engine = create_engine_for(health_env)
    with Session(engine) as session:
        assert load_weights(session=session)["enterprise"] == DEFAULT_WEIGHTS["enterprise"]
    app.number_input(key=key).set_value(40.0)
    save = next(b for b in app.button if b.label == _("Save weights"))
    save.click().run()
    assert not app.exception and not app.error
    assert app.success
    with Session(engine) as session:
        assert load_weights(session=session)["enterprise"]["usage"] == 40.0
        events = session.scalars(
            select(AuditEvent).where(AuditEvent.entity == "health_weights")
        ).all()
        assert [e.entity_id for e in events] == ["enterprise"]
    engine.dispose()


@pytest.fixture(scope="module")
def unscored_url(tmp_path_factory) -> str:
    """Snapshots but no health score: the health job has not succeeded yet."""
    url = f"sqlite:///{tmp_path_factory.mktemp('health_unscored') / 'demo.db'}"
    generate_demo_data(url, tenants=6, months=3, seed=9, today=TODAY)
    engine = create_engine_for(url)
    at = datetime.combine(TODAY, time(12, 0))
    refresh_metrics(engine, full=True, as_of=at)
    assert not refresh_detail_frames(engine, at=at, providers=PROVIDERS).errors
    engine.dispose()
    return url


def test_a_failed_health_job_says_when_it_retries_instead_of_no_scores_yet(
    monkeypatch, unscored_url
) -> None:
    page_env(monkeypatch, unscored_url)
    engine = create_engine_for(unscored_url)
    failed_at, retry_at = now() - timedelta(minutes=1), now() + timedelta(minutes=4)
    with write_unit(engine) as session:
        session.add(
            JobRun(
                job_id="health_scores",
                scheduler_id="s",
                started_at=failed_at - timedelta(minutes=8),
                finished_at=failed_at,
                status="failed",
                error="OperationalError: (sqlite3.OperationalError) database is locked",
                detail={"failure": "database_busy", "retry_at": retry_at.isoformat()},
            )
        )
    engine.dispose()
    app = render()
    assert not app.exception and not app.error
    expected = (
        f"El cálculo de salud falló a las {failed_at:%H:%M} (la base de datos estaba ocupada "
        f"con otra actualización); se reintenta a las {retry_at:%H:%M}."
    )
    assert [w.value for w in app.warning] == [expected]
    no_scores = _(
        "No health scores yet: the health_scores job computes them (hourly) and fills in the "
        "history the first time it runs."
    )
    assert no_scores not in [i.value for i in app.info]
    assert "locked" not in str([w.value for w in app.warning])
