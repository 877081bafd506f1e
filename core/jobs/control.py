"""Stopping jobs and bounding their statements: the stop flag, per-thread job context,
statement timeouts and the cancellation of running statements.

A job runs inside ``job_context`` on its scheduler thread. Every connection checked out
there is tracked, so ``request_stop`` can cancel the statements in flight (psycopg's
cancel request on PostgreSQL, ``sqlite3.Connection.interrupt`` on SQLite), and every
statement it starts gets the job's timeout. After a stop is requested, a job's next
statement raises ``JobInterrupted`` before reaching the database: that is the "check
between chunks" every job gets without sprinkling checks through its code.

``core.db`` installs the listeners (``install_statement_guards``) on every engine it
creates. Threads outside a job (page queries) get the process default set by the app.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Iterator
from typing import Any

log = logging.getLogger(__name__)

# SQLite calls the progress handler every this many virtual-machine steps: often enough
# to stop within milliseconds, rare enough to cost nothing measurable.
SQLITE_PROGRESS_STEPS = 20_000


class JobInterrupted(BaseException):
    """The scheduler is stopping; raised at a job's next statement or checkpoint.

    A BaseException, like KeyboardInterrupt, so the ``except Exception`` that keeps one
    failing detail provider from blanking the others does not swallow a stop.
    """


class StatementTimeout(RuntimeError):  # noqa: N818 - reads as the condition it names
    """A statement ran longer than its job allows; the message names the setting."""


_stop = threading.Event()
_local = threading.local()
_tracked: dict[int, Any] = {}  # id(DBAPI connection) -> connection, checked out by jobs
_tracked_lock = threading.Lock()
_default_timeout_s: float | None = None


# ------------------------------------------------------------------ stop flag


def stop_requested() -> bool:
    return _stop.is_set()


def check_stop() -> None:
    """In a job, raise ``JobInterrupted`` once a stop was requested (between chunks)."""
    if _stop.is_set() and current_job() is not None:
        raise JobInterrupted("the scheduler is stopping")


def pause(seconds: float) -> None:
    """Wait ``seconds`` between a job's attempts; a stop ends the wait with ``JobInterrupted``."""
    if _stop.wait(seconds):
        raise JobInterrupted("the scheduler is stopping")


def request_stop() -> int:
    """Set the stop flag and cancel every job statement in flight; returns how many."""
    _stop.set()
    return cancel_job_statements()


def clear_stop() -> None:
    """Forget a previous stop (a scheduler started again in the same process)."""
    _stop.clear()


# ------------------------------------------------------------------ job context


@contextlib.contextmanager
def job_context(job_id: str, *, timeout_s: float | None) -> Iterator[None]:
    """Run the body as job ``job_id``: tracked connections, ``timeout_s`` per statement."""
    _local.job_id, _local.timeout_s = job_id, timeout_s
    try:
        yield
    finally:
        _local.job_id = _local.timeout_s = None


@contextlib.contextmanager
def cleanup() -> Iterator[None]:
    """Statements that must run even while stopping (releasing a lease, recording a run)."""
    previous = getattr(_local, "cleanup", False)
    _local.cleanup = True
    try:
        yield
    finally:
        _local.cleanup = previous


def current_job() -> str | None:
    return getattr(_local, "job_id", None)


def set_default_statement_timeout(timeout_s: float | None) -> None:
    """The timeout for statements outside any job (the app sets it for page queries)."""
    global _default_timeout_s
    _default_timeout_s = timeout_s or None


def current_timeout_s() -> float | None:
    if current_job() is not None:
        return getattr(_local, "timeout_s", None) or None
    return _default_timeout_s


# ------------------------------------------------------------------ cancellation


def track(dbapi_connection: Any) -> None:
    if current_job() is not None:
        with _tracked_lock:
            _tracked[id(dbapi_connection)] = dbapi_connection


def untrack(dbapi_connection: Any) -> None:
    with _tracked_lock:
        _tracked.pop(id(dbapi_connection), None)


def cancel_job_statements() -> int:
    """Ask the database to cancel what every job connection is running."""
    with _tracked_lock:
        connections = list(_tracked.values())
    for connection in connections:
        with contextlib.suppress(Exception):  # a connection that just closed is fine
            _cancel(connection)
    return len(connections)


def _cancel(connection: Any) -> None:
    if hasattr(connection, "cancel_safe"):  # psycopg 3: a cancel request on a new socket
        connection.cancel_safe(timeout=3.0)
    elif hasattr(connection, "interrupt"):  # sqlite3: aborts the running statement
        connection.interrupt()


# ------------------------------------------------------------------ timeouts


def check_job_may_run() -> None:
    """Before each statement: a job's statement after a stop request interrupts the job."""
    if _stop.is_set() and current_job() is not None and not getattr(_local, "cleanup", False):
        raise JobInterrupted("the scheduler is stopping")


def timeout_text() -> str:
    limit = current_timeout_s()
    bound = f"{limit:g} s" if limit else "its limit"
    job = current_job()
    setting = "BARBERPRO_JOB_STATEMENT_TIMEOUTS" if job else "BARBERPRO_PAGE_STATEMENT_TIMEOUT_S"
    return f"statement timeout: a query ran longer than {bound} and was cancelled ({setting})"


def is_statement_timeout(exc: BaseException) -> bool:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, StatementTimeout):
            return True
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return False


class SqliteDeadline:
    """The per-statement deadline a SQLite connection's progress handler enforces."""

    def __init__(self) -> None:
        self.deadline: float | None = None
        self.timed_out = False

    def start(self, timeout_s: float | None) -> None:
        self.timed_out = False
        self.deadline = None if not timeout_s else time.monotonic() + timeout_s

    def __call__(self) -> int:
        if self.deadline is not None and time.monotonic() > self.deadline:
            self.timed_out = True
            return 1  # non-zero aborts the statement with "interrupted"
        return 0
