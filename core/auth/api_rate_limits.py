"""The JSON API's per-token write limit: a fixed-window counter kept in the database.

Each API write (a POST) takes one slot of its token's current window (a minute by
default, aligned to the clock: 14:05:00 to 14:06:00). The slot is taken by one atomic
``INSERT ... ON CONFLICT DO UPDATE ... WHERE writes < limit RETURNING writes``: the
database serialises concurrent writers, so the limit holds across API processes,
uvicorn workers and replicas on one database, and a refused write changes no count.
GitHub's and Stripe's limits work the same way (a fixed window, headers saying what is
left and when it resets); a window edge can let through up to twice the limit in a
short burst, which is acceptable for a limit that protects the database, not a quota.

Windows that ended before the previous one are pruned when a token opens a new window,
so the table holds about two rows per active token.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from core.schema import ApiRateWindow

WINDOW_S = 60
# Window starts are counted from this instant (any fixed minute boundary will do).
_EPOCH = datetime(2000, 1, 1)


@dataclass(frozen=True)
class WriteSlot:
    """What counting one write decided, and what the client is told about its window."""

    allowed: bool
    limit: int
    remaining: int
    window_end: datetime
    at: datetime

    @property
    def reset_after_s(self) -> int:
        """Whole seconds until the window ends (at least 1): ``Retry-After`` when refused."""
        return max(1, math.ceil((self.window_end - self.at).total_seconds()))


def window_start(at: datetime, window_s: int = WINDOW_S) -> datetime:
    """The start of the fixed window ``at`` falls in (aligned to ``window_s``)."""
    elapsed = int((at - _EPOCH).total_seconds() // window_s) * window_s
    return _EPOCH + timedelta(seconds=elapsed)


def take_write_slot(
    *, session: Session, token_id: int, at: datetime, limit: int, window_s: int = WINDOW_S
) -> WriteSlot:
    """Count one write of ``token_id`` at ``at`` unless its window already holds ``limit``.

    Parameters
    ----------
    session
        A write unit (``core.db.write_unit``); the caller commits.
    token_id
        The API token making the write.
    at
        The console's time now (``core.clock.now()``).
    limit
        Writes allowed per window (``Settings.api_write_limit_per_minute``).
    window_s
        The window's length in seconds.

    Returns
    -------
    WriteSlot
        ``allowed`` False when the window was full (nothing was counted then).
    """
    start = window_start(at, window_s)
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    counted = insert(ApiRateWindow).values(token_id=token_id, window_start=start, writes=1)
    statement = counted.on_conflict_do_update(
        index_elements=[ApiRateWindow.token_id, ApiRateWindow.window_start],
        set_={"writes": ApiRateWindow.writes + 1},
        where=ApiRateWindow.writes < limit,
    ).returning(ApiRateWindow.writes)
    writes = session.scalar(statement)
    end = start + timedelta(seconds=window_s)
    if writes is None:  # the conflicting row was full: the WHERE refused the update
        return WriteSlot(allowed=False, limit=limit, remaining=0, window_end=end, at=at)
    if writes == 1:
        # The token's first write of this window: drop windows older than the previous
        # one (kept, in case another process's clock is a little behind).
        previous = start - timedelta(seconds=window_s)
        session.execute(delete(ApiRateWindow).where(ApiRateWindow.window_start < previous))
    return WriteSlot(
        allowed=True, limit=limit, remaining=max(0, limit - writes), window_end=end, at=at
    )
