"""Per-(tenant, day) sums of the big event tables, for point-in-time windows at many dates.

The churn features count events (bookings, payments, back-office logins) in windows
``[as_of - a days, as_of - b days)`` for many as-of moments at once. Reading the raw rows
once per as-of date is what made training slow; here each table is aggregated once in
SQL by tenant and local day (from the covering indexes where they exist) over the span
every as-of date needs, and a window at any moment is then a difference of cumulative
sums (:class:`DayGrid`). Two kinds of raw rows complete it, both few:

* *edge rows*: when an as-of moment is not a midnight, its windows start and end inside
  a day; the rows of those partial days (``[midnight, moment)``) are read as they are
  (:func:`edge_rows`);
* *late rows*: a row's status is only trusted when it was last changed before the as-of
  moment; rows started (or created) before some as-of moment and changed at or after it
  are read as they are (:func:`late_rows`) and their status taken back out by the caller.

Every bound is computed in Python and passed as a parameter; the only SQL function is
the local day of a timestamp (``core.metrics.rollups.local_day``, the rollups' own), so
the same statements run on SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.orm import Session

from core.metrics.rollups import local_day

__all__ = ["DayGrid", "day_index", "edge_rows", "late_rows", "midnight"]

#: Above this many rows changed since the first as-of moment, look for late rows by
#: comparing each row's change day with its event day instead of through the
#: ``updated_at`` index.
LATE_ROWS_SEEK = 100_000


def midnight(moment: datetime) -> datetime:
    return datetime.combine(moment.date(), datetime.min.time())


def day_index(days: Any) -> np.ndarray:
    """Days (dates, ISO strings or timestamps) as integer day numbers since 1970-01-01."""
    values = pd.to_datetime(pd.Series(days, dtype=object)).to_numpy("datetime64[D]")
    return values.astype("int64")


def to_ns(moments: Any) -> np.ndarray:
    """Timestamps as int64 nanoseconds (NaT as the smallest int64)."""
    return pd.to_datetime(pd.Series(moments, dtype=object)).to_numpy("datetime64[ns]").view("int64")


def ns(moment: datetime) -> int:
    return int(pd.Timestamp(moment).value)


@dataclass
class DayGrid:
    """Cumulative per-tenant, per-day sums of some measures, over ``[first, first + n)``.

    ``tenants`` is the sorted array of tenant ids (rows of every array); day numbers are
    :func:`day_index` values.
    """

    tenants: np.ndarray
    first: int
    n_days: int
    cumulative: dict[str, np.ndarray]  # (n_tenants, n_days + 1), cumulative along days

    @classmethod
    def from_rows(
        cls,
        rows: Sequence[Any],
        measures: Sequence[str],
        tenants: np.ndarray,
        first: int,
        n_days: int,
    ) -> DayGrid:
        """``rows`` are ``(tenant_id, day, *measures)`` tuples."""
        cumulative: dict[str, np.ndarray] = {}
        frame = pd.DataFrame([tuple(r) for r in rows], columns=["tenant_id", "day", *measures])
        t = np.searchsorted(tenants, frame["tenant_id"].to_numpy("int64"))
        d = day_index(frame["day"]) - first if len(frame) else np.zeros(0, dtype="int64")
        keep = (d >= 0) & (d < n_days) & (t < len(tenants))
        if len(frame):
            keep &= tenants[np.minimum(t, len(tenants) - 1)] == frame["tenant_id"].to_numpy()
        for measure in measures:
            cells = np.zeros((len(tenants), n_days + 1))
            values = pd.to_numeric(frame[measure]).fillna(0).to_numpy(float)
            np.add.at(cells, (t[keep], d[keep] + 1), values[keep])
            cumulative[measure] = np.cumsum(cells, axis=1)
        return cls(tenants=tenants, first=first, n_days=n_days, cumulative=cumulative)

    def sum(self, measure: str, lo_day: int, hi_day: int) -> np.ndarray:
        """Per-tenant sum over the days ``[lo_day, hi_day)`` (clipped to the grid)."""
        lo = min(max(lo_day - self.first, 0), self.n_days)
        hi = min(max(hi_day - self.first, 0), self.n_days)
        c = self.cumulative[measure]
        return c[:, max(hi, lo)] - c[:, lo]


def edge_rows(
    session: Session,
    columns: Sequence[Any],
    at: Any,
    moments: Sequence[datetime],
    where: Sequence[ColumnElement[bool]] = (),
) -> list[Any]:
    """Rows whose ``at`` falls in ``[midnight, moment)`` of any moment not a midnight."""
    spans = sorted({(midnight(m), m) for m in moments if m != midnight(m)})
    if not spans:
        return []
    inside = or_(*(and_(at >= lo, at < hi) for lo, hi in spans))
    return list(session.execute(select(*columns).where(inside, *where)).all())


def late_rows(
    session: Session,
    table: Any,
    columns: Sequence[Any],
    at: Any,
    moments: Sequence[datetime],
    span_start: datetime,
    where: Sequence[ColumnElement[bool]] = (),
) -> list[Any]:
    """Rows with ``span_start <= at < moment <= updated_at`` for some of ``moments``.

    With few rows changed since the first moment (scoring today) they come through the
    ``updated_at`` index. Otherwise (features of dates long past): a row is late for a
    midnight only if it changed on a later day than ``at``'s, and late for a moment
    inside a day only if ``at`` is earlier that same day.
    """
    first, last = min(moments), max(moments)
    window = [at >= span_start, at < last, *where]
    changed = session.scalar(
        select(func.count()).select_from(table).where(table.updated_at >= first)
    )
    if (changed or 0) <= LATE_ROWS_SEEK:
        return list(
            session.execute(select(*columns).where(table.updated_at >= first, *window)).all()
        )
    late = local_day(table.updated_at) > local_day(at)
    same_day = [
        and_(at >= midnight(m), at < m, table.updated_at >= m)
        for m in sorted(set(moments))
        if m != midnight(m)
    ]
    return list(session.execute(select(*columns).where(or_(late, *same_day), *window)).all())


def day_rows(
    session: Session,
    at: Any,
    measures: Sequence[Any],
    tenant: Any,
    start: date,
    end: date,
    where: Sequence[ColumnElement[bool]] = (),
) -> list[Any]:
    """``(tenant_id, day, *measures)`` grouped by tenant and local day of ``at``."""
    lo = datetime.combine(start, datetime.min.time())
    hi = datetime.combine(end, datetime.min.time())
    day = local_day(at)
    return list(
        session.execute(
            select(tenant, day, *measures).where(at >= lo, at < hi, *where).group_by(tenant, day)
        ).all()
    )


def days_between(start: date, end: date) -> int:
    return max((end - start).days, 0)


def day_number(day: date) -> int:
    return int((day - date(1970, 1, 1)).days)


def shift(moment: datetime, days: int) -> datetime:
    return moment - timedelta(days=days)
