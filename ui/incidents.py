"""What a user sees when a page fails unexpectedly: one sentence and an incident id."""

from __future__ import annotations

import streamlit as st

from core.incidents import record_incident
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
