"""The System status read model for pages: cached per version, and kept when the database
does not answer.

Each run asks the database only for :func:`core.queries.ops.status_version` (one round
trip); the read model is built once per version, locale and process. The last model
built is also kept in memory per database and locale, so when the database is
unreachable the page still shows what it last knew, with its age, under a red banner.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import datetime

import streamlit as st

from core.clock import now
from core.config import Settings, get_settings
from core.db import DATABASE_ERRORS
from core.incidents import record_incident
from core.ops.status_types import SystemStatus
from core.queries.ops import status_version, system_status
from ui import db

_log = logging.getLogger(__name__)
_last_good: dict[tuple[str, str], SystemStatus] = {}
_lock = threading.Lock()


@dataclass(frozen=True)
class StatusRead:
    """What a run got: the model (maybe the last good one) and the database error, if any."""

    status: SystemStatus | None
    at: datetime
    # The database did not answer: the incident id its error was logged under (the page
    # quotes the id, never the driver's text); ``status`` is the last good.
    error: str | None = None

    @property
    def age_s(self) -> float | None:
        return None if self.status is None else (self.at - self.status.built_at).total_seconds()


@st.cache_resource(max_entries=8, show_spinner=False)
def _build(database_url: str, version: tuple[object, ...], locale: str) -> SystemStatus:
    # Immutable (frozen dataclasses): one shared object per version, never copied.
    with db.session(database_url) as session:
        settings = get_settings()
        return system_status(
            session=session,
            at=now(),
            locale=locale,
            watchdog_interval_s=settings.watchdog_interval_s,
            settings=settings,
        )


def read_status(settings: Settings, *, locale: str) -> StatusRead:
    """The read model for this run: fresh when the database answers, else the last good."""
    key = (settings.database_url, locale)
    at = now()
    try:
        with db.session(settings.database_url) as session:
            version = status_version(session=session, at=at)
        status = _build(settings.database_url, version, locale)
    except DATABASE_ERRORS as exc:
        incident = record_incident(exc, where="system status")
        with _lock:
            last = _last_good.get(key)
        return StatusRead(last, at, incident.id)
    with _lock:
        _last_good[key] = status
    return StatusRead(status, at)
