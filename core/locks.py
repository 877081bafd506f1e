"""Leases held in the database, so one scheduler among many does a given job at a time."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import Engine, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from core.clock import now
from core.db import write_connection
from core.jobs import control as job_control
from core.schema import ConsoleLock


def try_acquire(engine: Engine, name: str, holder: str, *, lease_s: float) -> bool:
    """Take the lease ``name`` for ``holder`` unless someone else holds an unexpired one.

    The conditional UPDATE is atomic on both backends: SQLite serializes writers and
    PostgreSQL re-checks the WHERE clause after waiting for a concurrent update.
    """
    with write_connection(engine) as connection:
        exists = connection.scalar(select(ConsoleLock.name).where(ConsoleLock.name == name))
        if exists is None:
            try:
                with connection.begin_nested():
                    connection.execute(insert(ConsoleLock).values(name=name))
            except IntegrityError:
                pass  # another scheduler created it at the same moment
        moment = now()
        result = connection.execute(
            update(ConsoleLock)
            .where(
                ConsoleLock.name == name,
                or_(
                    ConsoleLock.holder.is_(None),
                    ConsoleLock.expires_at < moment,
                    ConsoleLock.holder == holder,
                ),
            )
            .values(holder=holder, expires_at=moment + timedelta(seconds=lease_s))
        )
        return result.rowcount == 1


def release(engine: Engine, name: str, holder: str) -> None:
    # Runs even while the scheduler stops: a stopped job must not keep its lease.
    with job_control.cleanup(), write_connection(engine) as connection:
        connection.execute(
            update(ConsoleLock)
            .where(ConsoleLock.name == name, ConsoleLock.holder == holder)
            .values(holder=None, expires_at=None)
        )


def release_all(engine: Engine, holders: list[str]) -> int:
    """Free every lease of ``holders`` (a stopping scheduler, or dead ones); returns how many."""
    if not holders:
        return 0
    with job_control.cleanup(), write_connection(engine) as connection:
        result = connection.execute(
            update(ConsoleLock)
            .where(ConsoleLock.holder.in_(holders))
            .values(holder=None, expires_at=None)
        )
    return int(result.rowcount or 0)
