"""An exception no page caught: an incident id on screen, the traceback only in the log."""

from __future__ import annotations

import logging

from streamlit.testing.v1 import AppTest

from core.i18n import DEFAULT_LOCALE, gettext
from core.incidents import incident_count, recent_incidents


def _failing_script() -> None:
    from ui.incidents import on_script_error

    try:
        raise ValueError("postgresql://admin:hunter2@db/barberpro")
    except ValueError as error:
        suppressed = on_script_error(error)
    import streamlit as st

    st.text(f"suppressed={suppressed}")


def test_on_script_error_shows_an_incident_id_and_nothing_of_the_error(caplog):
    before = incident_count()
    with caplog.at_level(logging.ERROR, logger="barberpro.incidents"):
        app = AppTest.from_function(_failing_script).run()
    assert incident_count() == before + 1
    incident = recent_incidents()[-1]
    assert incident.error_type == "ValueError" and len(incident.id) == 8
    shown = gettext(
        "Something went wrong on this page (incident {id}). It has been logged; the "
        "rest of the console keeps working. Quote the incident number to support.",
        DEFAULT_LOCALE,
    ).format(id=incident.id)
    assert [e.value for e in app.error] == [shown]
    assert "hunter2" not in shown and not app.exception
    assert app.text[0].value == "suppressed=True"  # Streamlit's own display is suppressed
    # The log has the id and the traceback, for support to find.
    record = next(r for r in caplog.records if incident.id in r.getMessage())
    assert record.exc_info is not None and "hunter2" in str(record.exc_info[1])


def test_the_server_installs_the_handler(monkeypatch, tmp_path):
    import importlib

    from ui.incidents import on_script_error

    monkeypatch.setenv("BARBERPRO_DATABASE_URL", f"sqlite:///{tmp_path / 'console.db'}")
    serve = importlib.import_module("serve")
    assert serve.app._on_script_error is on_script_error
