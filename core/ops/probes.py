"""Availability probes: one ``ops_probes`` row per component per minute it was up.

The console's timing flusher (``core.ops.timings``) writes component ``console`` every
minute its process runs, the scheduler's heartbeat writes ``scheduler``, and the
watchdog writes ``freshness`` with the snapshot age of the minute
(``core.ops.uptime.record_freshness``). Uptime is then the minutes that have a row.

Writes are upserts (``INSERT ... ON CONFLICT``, the same statement on SQLite and
PostgreSQL), so writing a minute twice is harmless and two processes of one component
never collide.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import case
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from core.schema import OpsProbe

CONSOLE = "console"
SCHEDULER = "scheduler"
FRESHNESS = "freshness"
# The components whose uptime the System status page shows.
AVAILABILITY_COMPONENTS = (CONSOLE, SCHEDULER)


def floor_minute(moment: datetime) -> datetime:
    """``moment`` without its seconds: the minute a probe belongs to."""
    return moment.replace(second=0, microsecond=0)


def upsert_probe(
    session: Session, component: str, moment: datetime, value: float | None = None
) -> None:
    """Record that ``component`` was up in the minute of ``moment``.

    Parameters
    ----------
    session
        A session inside a write transaction (``core.db.write_unit``).
    component
        ``console``, ``scheduler`` or ``freshness``.
    moment
        Any time in the minute (it is floored).
    value
        A measurement of the minute (the freshness probe's snapshot age, seconds). When the
        minute already has a row, the larger value is kept (the worst of the minute); a
        NULL value never replaces a number.
    """
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(OpsProbe).values(
        component=component, minute=floor_minute(moment), value=value
    )
    if value is None:
        session.execute(statement.on_conflict_do_nothing(index_elements=["component", "minute"]))
        return
    worst = case(
        (OpsProbe.value.is_(None), statement.excluded.value),
        (statement.excluded.value > OpsProbe.value, statement.excluded.value),
        else_=OpsProbe.value,
    )
    session.execute(
        statement.on_conflict_do_update(
            index_elements=["component", "minute"], set_={"value": worst}
        )
    )
