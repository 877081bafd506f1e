"""The completed visits the client-base component reads, kept per process between runs.

A one-day health run needs a year of completed visits (``client_base.load_visits``):
reading them is the largest cost of the daily job. :class:`VisitCache` reads them once
per process and database, then keeps them current the way the rollups do
(``core.metrics.rollups.changed_cells``): every booking whose ``updated_at`` moved past
the cache's own watermark (minus an overlap for rows committed late) is re-read and
replaces its old copy, whatever its status now (a completed visit may be corrected to
cancelled); bookings starting in the days the window newly covers are read by range
(they may have been written completed long before they started). So a changed or late
booking is reflected exactly as a fresh read would; the cost follows the rows changed.

The cache lives per :class:`~sqlalchemy.Engine` (a new engine, a new cache) and trusts
what the house rules guarantee: every write to ``bookings`` moves ``updated_at`` and
bookings are never deleted (cancelling is a status).
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Engine, String, cast, func, select
from sqlalchemy.orm import Session

from core.clock import FUTURE_TOLERANCE, now
from core.metrics.rollups import WATERMARK_OVERLAP
from core.models.health.client_base import WINDOW_DAYS
from core.schema import Booking, Tenant

_VISIT_COLUMNS = ("booking_id", "tenant_id", "customer_id", "day", "known_day", "amount")


@dataclass
class _Visits:
    """Columns of completed visits (days as int64 days since the epoch), one per booking."""

    booking_id: np.ndarray
    tenant_id: np.ndarray
    customer_id: np.ndarray
    day: np.ndarray
    known_day: np.ndarray
    amount: np.ndarray

    @classmethod
    def from_rows(cls, rows: Sequence[Any]) -> _Visits:
        """From (id, tenant, customer, start_at text, updated_at text, price) rows."""
        if not rows:
            empty = np.zeros(0, dtype="int64")
            return cls(empty, empty, empty, empty, empty, np.zeros(0, dtype="float64"))
        ids, tenant, customer, start, updated, amount = zip(*rows, strict=True)
        # Only the day of each timestamp is parsed (numpy keeps the first 10 characters of
        # each string): converting millions of DateTime values one by one costs more than
        # the query.
        return cls(
            np.asarray(ids, dtype="int64"),
            np.asarray(tenant, dtype="int64"),
            np.asarray(customer, dtype="int64"),
            np.array(start, dtype="U10").astype("datetime64[D]").astype("int64"),
            np.array(updated, dtype="U10").astype("datetime64[D]").astype("int64"),
            np.asarray(amount, dtype="float64"),
        )

    def select(self, keep: np.ndarray) -> _Visits:
        return _Visits(*(getattr(self, c)[keep] for c in _VISIT_COLUMNS))

    def concat(self, other: _Visits) -> _Visits:
        return _Visits(
            *(np.concatenate([getattr(self, c), getattr(other, c)]) for c in _VISIT_COLUMNS)
        )

    def frame(self) -> pd.DataFrame:
        """As ``client_base.load_visits`` returns them (days as ``datetime64``)."""
        return pd.DataFrame(
            {
                "tenant_id": self.tenant_id,
                "customer_id": self.customer_id,
                "day": self.day.astype("datetime64[D]").astype("datetime64[ns]"),
                "known_day": self.known_day.astype("datetime64[D]").astype("datetime64[ns]"),
                "amount": self.amount,
            }
        )


def _day_number(moment: datetime) -> int:
    return int(np.datetime64(moment.date(), "D").astype("int64"))


def _visit_columns() -> tuple[Any, ...]:
    b = Booking
    return (
        b.id,
        b.tenant_id,
        b.customer_id,
        cast(b.start_at, String),
        cast(b.updated_at, String),
        b.price_ars,
    )


def read_visits(session: Session, low: datetime, high: datetime) -> _Visits:
    """Completed visits starting in ``[low, high)``, read now."""
    b = Booking
    # ``tenant_id IN (tenants)`` lets both dialects seek the (tenant, start) index per
    # tenant instead of scanning every booking for a start range.
    query = select(*_visit_columns()).where(
        b.tenant_id.in_(select(Tenant.id)),
        b.start_at >= low,
        b.start_at < high,
        b.status == "completed",
    )
    return _Visits.from_rows(session.connection().execute(query).all())


@dataclass
class VisitCache:
    """Completed visits starting in ``[low, high)`` as of the watermark ``mark``.

    ``mark`` is the newest ``updated_at`` read (rows stamped beyond ``now()`` plus the
    clock tolerance do not move it, as in the rollups). ``loads`` and ``refreshes``
    count full reads and incremental ones; ``rows_changed`` the rows the last refresh
    re-read.
    """

    visits: _Visits | None = None
    low: datetime | None = None
    high: datetime | None = None
    mark: datetime | None = None
    loads: int = 0
    refreshes: int = 0
    rows_changed: int = 0

    def visits_for(self, session: Session, low: datetime, high: datetime) -> pd.DataFrame:
        """Completed visits starting in ``[low, high)`` as a fresh read would give them now.

        Columns as ``client_base.load_visits``.
        """
        covered = self.visits is not None and self.low is not None and self.low <= low
        if covered:
            self._refresh(session, high)
        else:
            self._load(session, low, high)
        assert self.visits is not None
        # Days before the window are dropped for good (memory follows the window).
        self.visits = self.visits.select(self.visits.day >= _day_number(low))
        self.low = low
        days = self.visits.day
        return self.visits.select(days < _day_number(high)).frame()

    def _horizon_mark(self, session: Session) -> datetime | None:
        horizon = now() + FUTURE_TOLERANCE
        return session.scalar(
            select(func.max(Booking.updated_at)).where(Booking.updated_at <= horizon)
        )

    def _load(self, session: Session, low: datetime, high: datetime) -> None:
        # The mark is taken first: a row written during the read is re-read next time.
        self.mark = self._horizon_mark(session)
        self.visits = read_visits(session, low, high)
        self.low, self.high = low, high
        self.loads += 1
        self.rows_changed = 0

    def _refresh(self, session: Session, high: datetime) -> None:
        assert self.visits is not None and self.low is not None and self.high is not None
        b = Booking
        newest = self._horizon_mark(session)
        changed_query = select(*_visit_columns(), b.status, b.start_at)
        if self.mark is not None:
            changed_query = changed_query.where(b.updated_at > self.mark - WATERMARK_OVERLAP)
        changed = session.connection().execute(changed_query).all()
        old_high = self.high
        new_high = max(old_high, high)
        # Every changed booking leaves; the completed ones in the window come back as now.
        ids = np.fromiter((row[0] for row in changed), dtype="int64", count=len(changed))
        kept = self.visits.select(~np.isin(self.visits.booking_id, ids))
        back = [
            row[:6] for row in changed if row[6] == "completed" and self.low <= row[7] < old_high
        ]
        visits = kept.concat(_Visits.from_rows(back))
        if new_high > old_high:
            # The newly covered days, read whole (their changed rows are in it too).
            fresh = read_visits(session, old_high, new_high)
            visits = visits.select(~np.isin(visits.booking_id, fresh.booking_id))
            visits = visits.concat(fresh)
        self.visits, self.high = visits, new_high
        if newest is not None and (self.mark is None or newest > self.mark):
            self.mark = newest
        self.refreshes += 1
        self.rows_changed = len(changed)


_caches: weakref.WeakKeyDictionary[Engine, VisitCache] = weakref.WeakKeyDictionary()
_lock = threading.Lock()


def cache_for(session: Session) -> VisitCache:
    """The process's visit cache of the database ``session`` reads."""
    bind = session.get_bind()
    engine = bind if isinstance(bind, Engine) else bind.engine
    with _lock:
        cache = _caches.get(engine)
        if cache is None:
            cache = _caches[engine] = VisitCache()
        return cache


def cached_visits(session: Session, first_as_of: date, last_as_of: date) -> pd.DataFrame:
    """``client_base.load_visits(session, first_as_of, last_as_of)``, from the process cache.

    Parameters
    ----------
    session : Session
        Reads ``bookings`` (only the rows changed since the cache's last read, after the
        first call for a database).
    first_as_of, last_as_of : date
        The span of as-of days: visits starting in the 365 days before the first and
        before the last's first instant.

    Returns
    -------
    pandas.DataFrame
        ``tenant_id``, ``customer_id``, ``day``, ``known_day`` and ``amount``, as a fresh
        read gives them now (row order may differ).
    """
    low = datetime.combine(first_as_of - timedelta(days=WINDOW_DAYS), time())
    high = datetime.combine(last_as_of, time())
    cache = cache_for(session)
    with _lock:
        return cache.visits_for(session, low, high)


def forget(engine: Engine) -> None:
    """Drop the process's visit cache of ``engine`` (the next read loads the window whole)."""
    with _lock:
        _caches.pop(engine, None)
