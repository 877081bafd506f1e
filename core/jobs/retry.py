"""Transient failures of a job: which errors are worth retrying, and how soon.

A job that meets a busy SQLite database, a PostgreSQL serialization failure or deadlock,
or a dropped connection, would succeed a few seconds later. The runner retries its body
a few times with a growing pause (``JobSpec.retry_pauses_s``) inside the same run; a run that
still fails is rescheduled after ``retry_delay_s`` instead of its whole interval (an
hourly job waits minutes, not an hour). The stored error of a failed run is classified
(``failure_kind``) so a page can say "the database was busy" without showing the text.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy.exc import DBAPIError

from core.jobs import control
from core.jobs.failures import SQLITE_BUSY
from core.jobs.spec import RETRY_PAUSES_S

T = TypeVar("T")

# A failed run comes back after its interval or this, whichever is sooner (growing
# with the failures in a row, see retry_delay_s).
RETRY_AFTER_FAILURE_S = 300.0

# SQLSTATE classes and codes PostgreSQL uses for conditions that pass on their own.
_TRANSIENT_SQLSTATES = {
    "40001",  # serialization_failure
    "40P01",  # deadlock_detected
    "55P03",  # lock_not_available
    "57P01",  # admin_shutdown
    "57P02",  # crash_shutdown
    "57P03",  # cannot_connect_now
}
_TRANSIENT_SQLSTATE_CLASSES = ("08",)  # connection exceptions


def _sqlstate(error: BaseException) -> str | None:
    return getattr(error, "sqlstate", None) or getattr(error, "pgcode", None)


def is_transient(error: BaseException) -> bool:
    """True when ``error`` is a condition that passes by itself: retry, do not report.

    Parameters
    ----------
    error
        What a job raised: a SQLAlchemy error (its driver error is looked at), a driver
        error, or anything else (never transient).

    Returns
    -------
    bool
        True for a locked/busy SQLite database, a PostgreSQL serialization failure,
        deadlock or lock timeout, a server shutting down, or a lost connection.
    """
    if control.is_statement_timeout(error):
        return False  # a runaway query: retrying it would only run away again
    if isinstance(error, DBAPIError):
        if error.connection_invalidated:
            return True
        return is_transient(error.orig) if error.orig is not None else False
    if isinstance(error, sqlite3.OperationalError):
        return any(text in str(error).lower() for text in SQLITE_BUSY)
    state = _sqlstate(error)
    if state:
        return state in _TRANSIENT_SQLSTATES or state.startswith(_TRANSIENT_SQLSTATE_CLASSES)
    # psycopg raises OperationalError without a SQLSTATE when the connection is gone
    return type(error).__name__ == "OperationalError" and "connection" in str(error).lower()


def run_with_retries(
    body: Callable[[], T],
    *,
    pauses_s: tuple[float, ...] = RETRY_PAUSES_S,
    on_retry: Callable[[int, BaseException], None] | None = None,
) -> tuple[T, int]:
    """Call ``body``, again after each pause while it fails transiently.

    Parameters
    ----------
    body
        The job's work; it must be safe to run again after a failure (each write unit
        of a job either committed or rolled back whole).
    pauses_s
        Seconds to wait before each retry; their number bounds the retries.
    on_retry
        Called with the attempt that failed (1-based) and its error before each pause.

    Returns
    -------
    tuple
        ``body``'s result and the number of attempts it took.

    Raises
    ------
    Exception
        The last error once the retries are used up, or at once a non-transient one.
        A stop of the scheduler during a pause raises ``JobInterrupted``.
    """
    attempt = 1
    while True:
        try:
            return body(), attempt
        except Exception as error:
            if attempt > len(pauses_s) or not is_transient(error):
                raise
            if on_retry is not None:
                on_retry(attempt, error)
            control.pause(pauses_s[attempt - 1])
            attempt += 1


def retry_delay_s(interval_s: float, failures: int = 1) -> float:
    """Seconds after a failed run until the scheduler runs the job again.

    Five minutes after a first failure, then three times longer after each further one
    in a row (15 min, 45 min…), never longer than the job's own interval: a busy
    database is retried soon, a failure that repeats (too little history to train on)
    does not burn a retrain's CPU every five minutes.
    """
    return min(interval_s, RETRY_AFTER_FAILURE_S * 3.0 ** max(0, failures - 1))
