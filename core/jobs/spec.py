"""What a job is: its declaration (``JobSpec``), what a run receives and what it returns.

A leaf module: job bodies import it, the registry imports the bodies, so the
dependencies run one way only.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine

from core.config import Settings

# Pauses between the attempts of one run after a transient failure (``core.jobs.retry``):
# three retries, about 20 s in all, on top of each attempt's own busy timeout (core.db).
RETRY_PAUSES_S: tuple[float, ...] = (2.0, 5.0, 13.0)

# The answer of a job that found its lease held by another scheduler.
LEASE_HELD = {"reason": "another scheduler holds the lock"}


@dataclass(frozen=True)
class JobOutcome:
    rows_touched: int | None = None
    detail: dict[str, Any] | None = None
    skipped: bool = False


@dataclass(frozen=True)
class JobContext:
    """What one run of a job gets: the database, who runs it, and the settings in force.

    ``settings`` is the scheduler's: its refresh interval may come from ``--interval``
    rather than the environment, so jobs read it from here, never from ``get_settings``.
    """

    engine: Engine
    scheduler_id: str
    run_id: int
    settings: Settings
    # True when an administrator asked for this run (``core.jobs.on_demand``): a job that
    # wakes often and acts only when due does its work anyway.
    requested: bool = False


def refresh_lease_s(settings: Settings) -> float:
    """Lease of the refresh-paced jobs: long enough to cover a slow refresh; a crashed
    holder frees the lease after it."""
    return max(120.0, 4 * settings.refresh_interval_s)


@dataclass(frozen=True)
class JobSpec:
    """One job, declared once: id, schedule, lease and limits, and its body."""

    job_id: str
    description: str
    run: Callable[[JobContext], JobOutcome]
    # Seconds between runs; None runs the job at the configured refresh interval.
    every_s: float | None = None
    # A database lease named after the job, held for the whole run, so only one
    # scheduler runs it at a time: seconds, or a function of the settings in force.
    lease_s: float | Callable[[Settings], float] | None = None
    # False for jobs that wake often and usually find nothing due: a skipped run leaves
    # no record, so the run history shows only the runs that did something.
    record_skips: bool = True
    # Heavy model jobs wait BARBERPRO_MODEL_JOBS_DELAY_S after start, so the first metrics
    # snapshot and the dashboards' tables come first (and short-lived test servers never
    # start them).
    waits_for_warmup: bool = False
    # Seconds after each tick of its interval the job starts (0: on the tick). Keeps the
    # order of jobs that share a tick and read each other's output.
    tick_offset_s: float = 0.0
    # Longest one statement may run (BARBERPRO_JOB_STATEMENT_TIMEOUTS overrides it): a
    # runaway query fails the run instead of holding a transaction open for hours.
    statement_timeout_s: float | None = 300.0
    # How long a run usually takes, until the job has a history to judge by: the
    # Refresh & jobs page flags a running run past it.
    expected_s: float = 300.0
    # Pauses before each retry of a transient failure within a run (their number bounds
    # the retries); a job that cannot be run twice safely declares ().
    retry_pauses_s: tuple[float, ...] = RETRY_PAUSES_S

    def interval_s(self, refresh_interval_s: float) -> float:
        """Seconds between runs, given the scheduler's refresh interval."""
        return refresh_interval_s if self.every_s is None else self.every_s

    def lease_for(self, settings: Settings) -> float | None:
        """The lease in seconds under ``settings``, or None for a job without one."""
        if self.lease_s is None or isinstance(self.lease_s, float | int):
            return self.lease_s
        return self.lease_s(settings)

    def statement_timeout(self, settings: Settings) -> float | None:
        return settings.statement_timeout_for(self.job_id, self.statement_timeout_s)
