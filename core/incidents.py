"""Unexpected errors as incidents: a short id the user can quote, the traceback in the log.

A page that fails shows only "something went wrong, incident 3f9c2a1b"; support finds
the traceback by grepping the log for the id. The newest incidents are also kept in
memory, so tests (and the coming system-status page) can tell an incident happened
without parsing logs.
"""

from __future__ import annotations

import logging
import secrets
import threading
from collections import deque
from dataclasses import dataclass
from datetime import datetime

from core.clock import now

_log = logging.getLogger("barberpro.incidents")

# Enough to show the last few on a status page; older ones live in the log.
_RECENT_LIMIT = 200
_recent: deque[Incident] = deque(maxlen=_RECENT_LIMIT)
_lock = threading.Lock()
_count = 0


@dataclass(frozen=True)
class Incident:
    """One unexpected error: its id, when, where, and the exception's type."""

    id: str
    at: datetime
    where: str
    error_type: str


def record_incident(error: BaseException, *, where: str) -> Incident:
    """Log ``error`` with its traceback under a fresh incident id, and remember it.

    Parameters
    ----------
    error
        The unexpected exception.
    where
        What was running (a page path, "script", a job name), for the log line.

    Returns
    -------
    Incident
        The id to show the user, who can quote it to support.
    """
    global _count
    incident = Incident(
        id=secrets.token_hex(4), at=now(), where=where, error_type=type(error).__name__
    )
    _log.error(
        "incident %s in %s: %s",
        incident.id,
        where,
        type(error).__name__,
        exc_info=(type(error), error, error.__traceback__),
    )
    with _lock:
        _recent.append(incident)
        _count += 1
    return incident


def incident_count() -> int:
    """How many incidents this process has recorded since it started."""
    with _lock:
        return _count


def recent_incidents() -> list[Incident]:
    """The newest incidents of this process, oldest first."""
    with _lock:
        return list(_recent)
