"""Runs and leases left behind by a scheduler that stopped without cleaning up.

A scheduler that stops cleanly marks its own runs and frees its leases
(``scheduler.stop_scheduler``). One that was killed (SIGKILL, a crash, a lost host)
cannot, so every scheduler does it for the dead ones when it starts and then every
minute: without that, their runs would show ``running`` forever and their leases would
block the job until they expire (three hours for the churn retrain).
"""

from __future__ import annotations

import os
import socket
from datetime import datetime

from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session

from core.clock import now
from core.db import write_connection
from core.jobs import on_demand
from core.locks import release_all
from core.schema import ConsoleLock, JobRun, SchedulerHeartbeat

# Six missed heartbeats (one every 10 s): a scheduler on another host is taken for dead.
STALE_AFTER_S = 60.0
DEAD_SCHEDULER_ERROR = "interrupted: the scheduler running it stopped without finishing it"


def recover_dead_schedulers(engine: Engine, own_id: str) -> tuple[int, int]:
    """Mark the runs of dead schedulers interrupted and free their leases.

    Returns (runs marked, leases freed).
    """
    with Session(engine) as session:
        dead = dead_scheduler_ids(session=session, own_id=own_id, at=now())
    if not dead:
        return 0, 0
    runs = mark_interrupted(engine, dead, DEAD_SCHEDULER_ERROR)
    # Requests they had claimed: linked ones end with their (now interrupted) run,
    # the others are queued again for a live scheduler.
    on_demand.settle_attached(engine)
    on_demand.requeue_orphans(engine, dead)
    return runs, release_all(engine, dead)


def dead_scheduler_ids(*, session: Session, own_id: str, at: datetime) -> list[str]:
    """Schedulers with a running run or a held lease that are no longer alive."""
    running = select(JobRun.scheduler_id).where(JobRun.status == "running").distinct()
    holders = select(ConsoleLock.holder).where(ConsoleLock.holder.is_not(None))
    found = set(session.scalars(running)) | set(session.scalars(holders))
    found |= on_demand.claimers(session=session)
    candidates = {c for c in found if c is not None and c != own_id}
    beats = dict(
        session.execute(
            select(SchedulerHeartbeat.scheduler_id, SchedulerHeartbeat.beat_at).where(
                SchedulerHeartbeat.scheduler_id.in_(candidates)
            )
        ).all()
    )
    return sorted(c for c in candidates if _is_dead(c, beats.get(c), at))


def _is_dead(scheduler_id: str, beat_at: datetime | None, at: datetime) -> bool:
    parts = scheduler_id.split(":")
    if len(parts) != 3 or not parts[1].isdigit():
        return False  # not a scheduler's id (a test's or a tool's holder name)
    hostname, pid = parts[0], int(parts[1])
    stale = beat_at is not None and (at - beat_at).total_seconds() > STALE_AFTER_S
    if hostname == socket.gethostname():
        return stale or not _process_alive(pid)  # stale too: the pid may have been reused
    return stale or beat_at is None


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process: alive
    return True


def mark_interrupted(engine: Engine, scheduler_ids: list[str], reason: str) -> int:
    """Mark the ``running`` runs of ``scheduler_ids`` as interrupted; returns how many."""
    with write_connection(engine) as connection:
        result = connection.execute(
            update(JobRun)
            .where(JobRun.status == "running", JobRun.scheduler_id.in_(scheduler_ids))
            .values(status="interrupted", finished_at=now(), error=reason)
        )
    return int(result.rowcount or 0)
