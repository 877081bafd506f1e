"""What a user sees when a page fails unexpectedly: one sentence and an incident id."""

from __future__ import annotations

import streamlit as st

from core.incidents import record_incident
from core.jobs.retry import is_transient
from ui.i18n import _


def show_incident(error: BaseException, *, where: str) -> None:
    """Record ``error`` as an incident and tell the user its id, never the traceback."""
    incident = record_incident(error, where=where)
    st.error(
        _(
            "Something went wrong on this page (incident {id}). It has been logged; the "
            "rest of the console keeps working. Quote the incident number to support."
        ).format(id=incident.id),
        icon=":material/error:",
    )


def on_script_error(error: Exception) -> bool:
    """st.App's handler for an exception no page caught: an incident, no traceback."""
    try:
        show_incident(error, where="script")
    except Exception:  # no script context to draw in: the log line is still written
        return False
    return True  # suppress Streamlit's own exception display


def database_error_text(error: BaseException, *, where: str) -> str:
    """Record a database error as an incident; the sentence to show, with its id.

    The driver's text ("(sqlite3.OperationalError) database is locked") goes to the log
    under the id, never to the page: it means nothing to a user and may name internals.
    """
    incident = record_incident(error, where=where)
    if is_transient(error):
        return _(
            "The database is busy with an update and did not answer in time (incident "
            "{id}). Nothing was changed; try again in a few seconds."
        ).format(id=incident.id)
    return _(
        "The database cannot be read right now (incident {id}). Nothing was changed; the "
        "error has been logged for support."
    ).format(id=incident.id)


def show_database_error(error: BaseException, *, where: str) -> None:
    """:func:`database_error_text` as the page's one error message."""
    st.error(database_error_text(error, where=where), icon=":material/database:")
