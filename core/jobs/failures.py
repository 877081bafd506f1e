"""What kind of failure a job run's stored error was, in words a page can show.

SQL-free (the dashboards' notices use it): ``console_job_runs.error`` holds the error's
first line for support; a page says only its kind ("the database was busy").
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from core.i18n import N_

# SQLite's messages for a lock it could not get within the busy timeout.
SQLITE_BUSY = ("database is locked", "database table is locked", "database is busy")

# What a failure was, for the pages: msgids, translated where shown.
KIND_DATABASE_BUSY = "database_busy"
KIND_CONNECTION = "connection"
KIND_TIMEOUT = "timeout"
KIND_OTHER = "other"
FAILURE_TEXTS = {
    KIND_DATABASE_BUSY: N_("the database was busy with another update"),
    KIND_CONNECTION: N_("the database did not answer"),
    KIND_TIMEOUT: N_("a query took longer than allowed"),
    KIND_OTHER: N_("an unexpected error (logged for support)"),
}


def failure_kind(error_text: str | None) -> str:
    """Classify a failed run's stored error text (``console_job_runs.error``).

    Returns
    -------
    str
        One of the ``KIND_*`` keys of ``FAILURE_TEXTS``.
    """
    text = (error_text or "").lower()
    if any(busy in text for busy in SQLITE_BUSY) or any(
        word in text for word in ("serializ", "deadlock", "could not obtain lock")
    ):
        return KIND_DATABASE_BUSY
    if "statementtimeout" in text or "statement timeout" in text:
        return KIND_TIMEOUT
    if "connection" in text or "could not connect" in text or "server closed" in text:
        return KIND_CONNECTION
    return KIND_OTHER


@dataclass(frozen=True)
class JobState:
    """The newest telling runs of one job."""

    job_id: str
    # The newest finished run's outcome ("success", "failed") or None when none finished.
    last_status: str | None = None
    last_finished_at: datetime | None = None
    # When that run failed: what kind of failure (``core.jobs.retry.FAILURE_TEXTS``) and
    # the time the scheduler announced for the next attempt.
    failure: str | None = None
    retry_at: datetime | None = None
    # A run in progress: when it started.
    running_since: datetime | None = None
    # Whether any run of the job has ever succeeded.
    ever_succeeded: bool = False

    @property
    def failed(self) -> bool:
        return self.last_status == "failed"
