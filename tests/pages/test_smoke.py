"""Every page in the registry renders without an exception and shows what it should."""

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import update
from sqlalchemy.orm import Session
from streamlit.testing.v1 import AppTest

from core.clock import now
from core.db import get_engine
from core.i18n import DEFAULT_LOCALE, gettext
from core.incidents import incident_count, recent_incidents
from core.schema import JobRun, SnapshotFrame
from page_registry import PAGES, PageSpec
from tests import snapshot_factory as factory

# The stale banner and the status line depend on the snapshot's age and today's date.
pytestmark = pytest.mark.clock

ROOT = Path(__file__).resolve().parents[2]

# What each page must show, by url_path: counts of st.metric, plotly charts, dataframes.
EXPECTED = {
    "executive-overview": {"metric": 6, "plotly_chart": 2, "dataframe": 2},
    "tenants": {"metric": 0, "plotly_chart": 0, "dataframe": 1},
    "onboarding-sessions": {"metric": 4, "plotly_chart": 0, "dataframe": 1},
    "refresh-jobs": {"metric": 4, "plotly_chart": 0, "dataframe": 3},
}


def render(page: PageSpec) -> AppTest:
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    app.run()
    app.switch_page(page.path)
    app.run()
    return app


def test_expectations_name_real_pages():
    # Hand-made snapshots have no detail tables: the full check of every page is
    # tests/pages/test_every_page.py, on a generated console with every job run.
    assert set(EXPECTED) <= {page.url_path for page in PAGES}


@pytest.mark.parametrize("page", PAGES, ids=[page.url_path for page in PAGES])
def test_page_renders(page, console_env):
    app = render(page)
    assert not app.exception, [e.value for e in app.exception]
    assert not app.error, [e.value for e in app.error]
    assert app.title[0].value == gettext(page.title, DEFAULT_LOCALE)
    for element_type, count in EXPECTED.get(page.url_path, {}).items():
        assert len(app.get(element_type)) == count, element_type


def test_overview_tiles_and_status_line(console_env, monkeypatch):
    # The shared snapshot is written when the session starts; a slow run can reach this
    # test minutes later. An interval of an hour keeps it "fresh" (within 3 intervals)
    # whenever the test runs; the stale case has its own test below.
    monkeypatch.setenv("BARBERPRO_REFRESH_INTERVAL_S", "3600")
    app = render(PAGES[0])
    labels = [metric.label for metric in app.metric]
    window = gettext("{label} ({days} d)", DEFAULT_LOCALE)
    assert labels == [gettext("MRR", DEFAULT_LOCALE), gettext("Active tenants", DEFAULT_LOCALE)] + [
        window.format(label=gettext(name, DEFAULT_LOCALE), days=28)
        for name in ("Bookings", "GMV", "Logo churn", "No-show rate")
    ]
    assert app.metric[0].value.startswith("$ ")
    data_as_of = gettext("Data as of {when} ({age}) · snapshot v{version}", DEFAULT_LOCALE)
    prefix = data_as_of.split("{when}")[0]
    assert any(c.value.startswith(f":material/schedule: {prefix}") for c in app.caption)
    assert not app.warning  # a fresh snapshot is not stale


def test_tenant_filters_narrow_the_table(console_env):
    app = render(next(p for p in PAGES if p.url_path == "tenants"))
    assert len(app.dataframe[0].value) == len(factory.TENANT_ROWS)
    app.multiselect(key="tenants_tier").set_value(["enterprise"]).run()
    assert set(app.dataframe[0].value["tier"]) == {"enterprise"}
    app.text_input(key="tenants_search").input("córdoba").run()
    assert list(app.dataframe[0].value["trade_name"]) == ["Cadena Corte Fino"]


@pytest.mark.parametrize("page", PAGES, ids=[page.url_path for page in PAGES])
def test_pages_without_a_snapshot(page, empty_env):
    app = render(page)
    assert not app.exception
    assert not app.error
    if page.url_path in ("executive-overview", "tenants"):
        assert app.info[0].value == gettext(
            "Computing the first snapshot… This page fills in by itself as soon as it is ready.",
            DEFAULT_LOCALE,
        )


def test_stale_snapshot_shows_a_warning_and_the_last_numbers(empty_env):
    at = now()
    written = at - timedelta(minutes=10)  # its own day: this may run just after midnight
    factory.add_snapshot(empty_env, written, factory.flat_daily(written.date()))
    with Session(get_engine(empty_env)) as session:
        session.add(
            JobRun(
                job_id="metrics_refresh",
                scheduler_id="s",
                started_at=at,
                finished_at=at,
                status="failed",
                error="disk full",
            )
        )
        session.commit()
    app = render(PAGES[0])
    assert not app.exception
    failed = gettext("the last refresh failed at {time} ({reason})", DEFAULT_LOCALE).format(
        time=f"{at:%H:%M}",
        reason=gettext("an unexpected error (logged for support)", DEFAULT_LOCALE),
    )
    assert failed in app.warning[0].value
    assert "disk full" not in app.warning[0].value  # the error's text stays in the log
    assert [m.value for m in app.metric][:3] == ["$ 2,5 M", "189", "336"]
    # no countdown to a refresh the scheduler is not making
    line = next(c.value for c in app.caption if "instantánea v" in c.value)
    assert "próxima actualización" not in line
    assert gettext("the last refresh failed; the scheduler retries it", DEFAULT_LOCALE) in line


def test_a_late_refresh_is_said_on_the_status_line_not_counted_down(empty_env):
    at = now()
    written = at - timedelta(minutes=7)
    factory.add_snapshot(empty_env, written, factory.flat_daily(written.date()))
    with Session(get_engine(empty_env)) as session:
        session.add(
            JobRun(
                job_id="metrics_refresh",
                scheduler_id="s",
                started_at=written,
                finished_at=written,
                status="success",
            )
        )
        session.commit()
    app = render(PAGES[0])
    assert not app.exception
    line = next(c.value for c in app.caption if "instantánea v" in c.value)
    assert "próxima actualización" not in line
    assert "la actualización está demorada: la última terminó hace 7 min" in line


def test_unreachable_database_is_one_clear_error(monkeypatch, tmp_path):
    monkeypatch.setenv("BARBERPRO_DATABASE_URL", f"sqlite:///{tmp_path}/missing/dir/x.db")
    monkeypatch.setenv("BARBERPRO_EMBEDDED_SCHEDULER", "false")
    app = render(PAGES[0])
    assert not app.exception
    cannot_read = gettext(
        "The database cannot be read right now (incident {id}). Nothing was changed; the "
        "error has been logged for support.",
        DEFAULT_LOCALE,
    )
    shown = app.error[0].value
    assert shown.startswith(cannot_read.split("{")[0])
    # one sentence with the incident's id, never the driver's text or the file's path
    incident = recent_incidents()[-1]
    assert shown == cannot_read.format(id=incident.id)
    assert "missing" not in shown and "sqlite" not in shown.lower()


def test_bad_setting_is_one_clear_error(monkeypatch, console_db):
    monkeypatch.setenv("BARBERPRO_DATABASE_URL", console_db)
    monkeypatch.setenv("BARBERPRO_REFRESH_INTERVAL_S", "soon")
    app = render(PAGES[0])
    assert not app.exception
    assert "BARBERPRO_REFRESH_INTERVAL_S must be a number" in app.error[0].value


def test_no_legacy_pages_folder_beside_app():
    # Streamlit would run a deep-linked file from pages/ without app.py on a fresh server.
    assert not (ROOT / "pages").exists()
    assert all((ROOT / page.path).is_file() for page in PAGES)


def test_undecodable_snapshot_is_one_clear_error(empty_env):
    factory.add_snapshot(empty_env, now(), factory.flat_daily(now().date()))
    with Session(get_engine(empty_env)) as session:
        session.execute(update(SnapshotFrame).values(data=b"not arrow"))
        session.commit()
    before = incident_count()
    app = render(PAGES[0])
    assert not app.exception
    _assert_one_incident(app, before, error_type="ArrowInvalid")


def test_a_failing_builder_is_contained(console_env, monkeypatch):
    from dashboards import executive_overview

    def broken(*_args, **_kwargs):
        raise KeyError("mrr_ars")

    monkeypatch.setattr(executive_overview, "mrr_figure", broken)
    before = incident_count()
    app = render(PAGES[0])
    assert not app.exception
    _assert_one_incident(app, before, error_type="KeyError")


def _assert_one_incident(app, before: int, *, error_type: str) -> None:
    """An incident recorded (one per script run), its id on screen, none of the error."""
    assert incident_count() > before
    incident = recent_incidents()[-1]
    assert incident.error_type == error_type
    shown = gettext(
        "Something went wrong on this page (incident {id}). It has been logged; the "
        "rest of the console keeps working. Quote the incident number to support.",
        DEFAULT_LOCALE,
    ).format(id=incident.id)
    assert [e.value for e in app.error] == [shown]
    assert "Traceback" not in shown and "mrr_ars" not in shown
