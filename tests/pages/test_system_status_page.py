"""System status page: components, incidents and monitors from what the watchdog stored; an
admin acts on incidents (commands with audit rows), an executive only reads, other roles
are refused; with the database gone the page says so and keeps the last status it read."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from streamlit.testing.v1 import AppTest

from core.auth.sessions import SignedInUser
from core.clock import now
from core.config import Settings
from core.db import create_engine_for, get_engine
from core.ops.catalog import MONITORS
from core.ops.watchdog import evaluate_once
from core.schema import AuditEvent, OpsIncident
from page_registry import PAGES
from tests.pages.helpers import as_read
from ui.auth import signed_in_as

PAGE = "app_pages/system_status.py"
SPEC = next(p for p in PAGES if p.path == PAGE)
WATCHED = tuple(
    m
    for m in MONITORS
    # Not disk.free: the machine running the tests may itself be short of space.
    if m.monitor_id in {"database.reachable", "scheduler.heartbeat", "database.latency"}
)
EXECUTIVE = SignedInUser(
    user_id=999_997, email="exec@barberpro.com.ar", full_name="Eva Exec", role="executive"
)


def _watchdog_rounds(url: str) -> None:
    """Two real rounds with no scheduler: its heartbeat goes critical and opens an incident."""
    engine = create_engine_for(url)
    start = now() - timedelta(seconds=40)
    for offset in (0, 30):
        evaluate_once(
            engine, Settings.from_env(), at=start + timedelta(seconds=offset), monitors=WATCHED
        )
    engine.dispose()


def _render(lang: str = "en") -> AppTest:
    """app.py, then the page (render_page's steps, minus its no-error check: a component
    that is down is an error box on this page)."""
    app = AppTest.from_file(str(Path(__file__).parents[2] / "app.py"), default_timeout=90)
    app.query_params["lang"] = lang
    app.run()
    app.switch_page(PAGE).run()
    assert not app.exception, [e.value for e in app.exception]
    return app


def _markdown(app: AppTest) -> str:
    return as_read("\n".join(m.value for m in app.markdown))


def test_an_admin_reads_the_status_and_acknowledges_then_resolves(
    empty_env: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BARBERPRO_DATA_DIR", str(tmp_path))
    _watchdog_rounds(empty_env)
    app = _render()
    assert app.title[0].value == "System status"
    assert [e.value for e in app.error] == ["**Down**: Scheduler."]
    text = _markdown(app)
    assert "**Scheduler** · :red[:material/error: **Down**]" in text
    assert "no scheduler has ever sent a heartbeat" in text
    assert "Scheduler heartbeat" in text and "What to do" in text
    monitors = app.dataframe[0].value
    assert set(monitors["id"]) == {m.monitor_id for m in MONITORS}
    assert monitors["id"].iloc[0] == "scheduler.heartbeat"  # failing first
    ack = next(b for b in app.button if b.label == "Acknowledge")
    ack.click().run()
    assert "Incident #1 acknowledged." in app.success[0].value
    assert "Acknowledged by Test Admin" in _markdown(app)
    app.text_area[0].input("restarted **it** <b>now</b>")
    next(b for b in app.button if b.label == "Resolve the incident").click().run()
    assert_clean_but_status(app)
    assert "No open incident." in " ".join(c.value for c in app.caption)
    engine = create_engine_for(empty_env)
    with Session(engine) as session:
        incident = session.get_one(OpsIncident, 1)
        actions = session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
    engine.dispose()
    assert (
        incident.status == "resolved" and incident.resolution_note == "restarted **it** <b>now</b>"
    )
    assert actions == ["ops.incident.acknowledge", "ops.incident.resolve"]
    resolved = app.dataframe[0].value  # the resolved incidents table, note as typed
    assert resolved["note"].iloc[0] == "restarted **it** <b>now</b>"


def assert_clean_but_status(app: AppTest) -> None:
    """No exception, and no error box other than the headline's (a component is down)."""
    assert not app.exception, [e.value for e in app.exception]
    assert all("Down" in e.value for e in app.error), [e.value for e in app.error]


def test_an_executive_reads_without_actions_in_spanish(
    empty_env: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BARBERPRO_DATA_DIR", str(tmp_path))
    _watchdog_rounds(empty_env)
    assert "executive" in SPEC.roles and "admin" in SPEC.roles
    with signed_in_as(EXECUTIVE):
        app = AppTest.from_file(str(Path(__file__).parents[2] / "app.py"), default_timeout=90)
        app.query_params["lang"] = "es_AR"
        app.run()
        app.switch_page(PAGE).run()
    assert not app.exception
    assert app.title[0].value == "Estado del sistema"
    assert "Señal de vida del planificador" in _markdown(app)
    labels = {b.label for b in app.button}
    assert "Tomar" not in labels and "Resolver el incidente" not in labels
    assert not [e for e in app.expander if "mantenimiento" in e.label]


def _stand_in() -> None:
    from page_registry import PAGES
    from ui.gate import no_access_page

    no_access_page(next(p for p in PAGES if p.url_path == "status"))()


@pytest.mark.parametrize("role", ["cs_manager", "cs_lead", "onboarding", "display"])
def test_other_roles_are_refused(role: str, console_env: str) -> None:
    assert role not in SPEC.roles and SPEC.roles == ("executive", "admin")
    user = SignedInUser(user_id=999_998, email=f"{role}@b.test", full_name="Someone", role=role)
    with signed_in_as(user):
        app = AppTest.from_function(_stand_in, default_timeout=30)
        app.query_params["lang"] = "en"
        app.run()
    assert not app.exception
    assert len(app.error) == 1 and "You don't have access to" in app.error[0].value
    assert "System status" in app.error[0].value
    assert not app.title and not app.button and not app.dataframe


def test_database_unreachable_shows_the_last_good_status(
    empty_env: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BARBERPRO_DATA_DIR", str(tmp_path))
    _watchdog_rounds(empty_env)
    app = _render()
    assert "Scheduler heartbeat" in _markdown(app)
    # The database file goes away (a directory stands in its place: SQLite cannot open it).
    path = Path(empty_env.removeprefix("sqlite:///"))
    get_engine(empty_env).dispose()
    path.rename(path.with_suffix(".gone"))
    path.mkdir()
    app.run()
    assert not app.exception
    assert "Database unreachable" in app.error[0].value
    assert "Showing the last status this console read" in app.warning[0].value
    assert "Scheduler heartbeat" in _markdown(app)  # the last good status, still readable
    assert not [b for b in app.button if b.label == "Acknowledge"]  # no writes meanwhile


def test_database_unreachable_with_nothing_read_before(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.pages.helpers import page_env

    page_env(monkeypatch, f"sqlite:///{tmp_path / 'missing' / 'none.db'}")
    app = AppTest.from_file(str(Path(__file__).parents[2] / "app.py"), default_timeout=90)
    app.query_params["lang"] = "en"
    app.run()
    app.switch_page(PAGE).run()
    assert not app.exception
    assert any("Database unreachable" in e.value for e in app.error)
