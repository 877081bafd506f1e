"""The notice a page shows about the job that computes its data (``dashboards.kit.job_notice``)."""

from __future__ import annotations

import logging
from datetime import datetime

import streamlit as st

from core.db import DATABASE_ERRORS
from core.queries.job_state import job_state
from dashboards.kit.job_notice import JobNotice, job_notice
from ui import db

_log = logging.getLogger(__name__)


def notice_for(job_id: str, *, at: datetime, locale: str) -> JobNotice | None:
    """The job's failure or first run as one sentence, or None (also when unreadable)."""
    try:
        with db.session() as session:
            state = job_state(job_id, session=session)
    except DATABASE_ERRORS as exc:  # the page says the database is away; this can be silent
        _log.warning("cannot read the runs of %s: %s", job_id, exc)
        return None
    return job_notice(state, at=at, locale=locale)


def show_notice(notice: JobNotice | None) -> bool:
    """Draw ``notice`` (a warning for a failure, an info for work in progress); True if drawn."""
    if notice is None:
        return False
    if notice.level == "warning":
        st.warning(notice.text, icon=":material/sync_problem:")
    else:
        st.info(notice.text, icon=":material/hourglass_top:")
    return True
