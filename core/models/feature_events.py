"""Per-tenant sums of the big event tables between window bounds, for many as-of moments.

The churn features count events (bookings, payments, back-office activity) in windows
``[as_of - a days, as_of - b days)`` for many as-of moments at once. Reading the tables
once per as-of moment is what made training slow. Here every window bound of every
moment goes into one sorted list; the table is aggregated once per *cell* between two
consecutive bounds (one range seek per tenant on the ``(tenant_id, time, ...)``
covering index, grouped by tenant, as many cells as fit in one ``UNION ALL``), so each
row is read once however many windows contain it; a window is then a difference of
cumulative sums over the cells (:class:`CellGrid`).

A row's status is only trusted when it was last changed before the as-of moment: rows
dated before some moment and changed at or after it (:func:`late_rows`, few) are read as
they are, so the caller can take their status back out.

Every bound is a parameter computed in Python; the only SQL function is the local day
of a timestamp (``core.metrics.rollups.local_day``, the rollups' own), so the same
statements run on SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import ColumnElement, and_, func, literal, or_, select, union_all
from sqlalchemy.orm import Session

from core.metrics.rollups import local_day

__all__ = ["CellGrid", "cell_sums", "late_rows", "to_ns"]

#: Above this many rows changed since the first as-of moment, find late rows by
#: comparing each row's change day with its event day rather than through the
#: ``updated_at`` index.
LATE_ROWS_SEEK = 100_000
#: At most this many cells per statement (SQLite allows 500 terms in a compound SELECT).
CELLS_PER_QUERY = 100
#: At most about this many bound parameters per statement: each cell names every tenant,
#: and SQLite allows 32,766 parameters, PostgreSQL 65,535.
PARAMETERS_PER_QUERY = 30_000


def to_ns(moments: Any) -> np.ndarray:
    """Timestamps (datetimes or ISO strings) as int64 nanoseconds since the epoch."""
    series = pd.to_datetime(pd.Series(list(moments), dtype=object))
    return series.to_numpy("datetime64[ns]").view("int64")


def ns(moment: datetime) -> int:
    return int(pd.Timestamp(moment).value)


@dataclass
class CellGrid:
    """Per-tenant sums (and maxima) of measures over the cells between sorted bounds.

    Cell ``j`` is ``[bounds[j], bounds[j + 1])``. ``cumulative[m][:, j]`` is the sum of
    measure ``m`` over the cells before bound ``j``; ``latest[m][:, j]`` the largest
    value (nanoseconds) of a "max" measure before bound ``j`` (NaN if none).
    """

    tenants: np.ndarray
    bounds: np.ndarray  # int64 ns, sorted, unique
    cumulative: dict[str, np.ndarray]
    latest: dict[str, np.ndarray]

    def _at(self, moment: datetime) -> int:
        j = int(np.searchsorted(self.bounds, ns(moment)))
        if j >= len(self.bounds) or self.bounds[j] != ns(moment):
            raise KeyError(f"{moment} is not a bound of this grid")
        return j

    def sum(self, measure: str, lo: datetime, hi: datetime) -> np.ndarray:
        """Per-tenant sum of ``measure`` over ``[lo, hi)``; both must be bounds."""
        c = self.cumulative[measure]
        return c[:, self._at(hi)] - c[:, self._at(lo)]

    def max_before(self, measure: str, moment: datetime) -> np.ndarray:
        return self.latest[measure][:, self._at(moment)]


def cell_sums(
    session: Session,
    *,
    at: Any,
    tenant: Any,
    tenants: np.ndarray,
    bounds: Sequence[datetime],
    sums: Sequence[tuple[str, Any]] = (),
    maxima: Sequence[tuple[str, Any]] = (),
    by: Any = None,
    where: Sequence[ColumnElement[bool]] = (),
) -> CellGrid | dict[Any, CellGrid]:
    """Aggregate a table once per cell between ``bounds`` (see :class:`CellGrid`).

    ``sums`` and ``maxima`` are ``(name, SQL expression)`` pairs aggregated with SUM and
    MAX per tenant and cell (a maximum must be a timestamp). With ``by`` (a column),
    one grid per value of it.
    """
    edges = sorted(set(bounds))
    ids = [int(t) for t in tenants]
    labels = [*(n for n, _ in sums), *(n for n, _ in maxima)]
    keys = [] if by is None else [by]
    columns = [
        *(func.sum(expr).label(n) for n, expr in sums),
        *(func.max(expr).label(n) for n, expr in maxima),
    ]
    rows: list[Any] = []
    cells = list(range(len(edges) - 1))
    per_query = max(1, min(CELLS_PER_QUERY, PARAMETERS_PER_QUERY // (len(ids) + 8)))
    for start in range(0, len(cells), per_query):
        parts = [
            select(literal(j).label("cell"), tenant, *keys, *columns)
            .where(tenant.in_(ids), at >= edges[j], at < edges[j + 1], *where)
            .group_by(tenant, *keys)
            for j in cells[start : start + per_query]
        ]
        if parts:
            stmt = parts[0] if len(parts) == 1 else union_all(*parts)
            rows.extend(session.execute(stmt).all())
    frame = pd.DataFrame(
        [tuple(r) for r in rows], columns=["cell", "tenant_id", *(["key"] if keys else []), *labels]
    )
    bounds_ns = to_ns(edges) if edges else np.zeros(0, dtype="int64")
    if by is None:
        return _grid(frame, tenants, bounds_ns, sums, maxima)
    return {
        key: _grid(part, tenants, bounds_ns, sums, maxima)
        for key, part in frame.groupby("key", dropna=True)
    }


def _grid(
    frame: pd.DataFrame,
    tenants: np.ndarray,
    bounds: np.ndarray,
    sums: Sequence[tuple[str, Any]],
    maxima: Sequence[tuple[str, Any]],
) -> CellGrid:
    shape = (len(tenants), len(bounds))
    pos = np.searchsorted(tenants, frame["tenant_id"].to_numpy("int64"))
    col = frame["cell"].to_numpy("int64") + 1
    cumulative = {}
    for name, _ in sums:
        cells = np.zeros(shape)
        np.add.at(cells, (pos, col), pd.to_numeric(frame[name]).fillna(0).to_numpy(float))
        cumulative[name] = np.cumsum(cells, axis=1)
    latest = {}
    for name, _ in maxima:
        cells = np.full(shape, -np.inf)
        known = frame[name].notna().to_numpy()
        values = to_ns(frame[name][known]).astype(float) if known.any() else np.zeros(0)
        np.maximum.at(cells, (pos[known], col[known]), values)
        running = np.maximum.accumulate(cells, axis=1)
        latest[name] = np.where(np.isfinite(running), running, np.nan)
    return CellGrid(tenants=tenants, bounds=bounds, cumulative=cumulative, latest=latest)


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
    inside a day only if ``at`` is earlier that same day. The caller still checks each
    row against each moment.
    """
    first, last = min(moments), max(moments)
    window = [at >= span_start, at < last, *where]
    changed = session.scalar(
        select(func.count()).select_from(table).where(table.updated_at >= first)
    )
    if (changed or 0) <= LATE_ROWS_SEEK:
        stmt = select(*columns).where(table.updated_at >= first, *window)
        return list(session.execute(stmt).all())
    same_day = [
        and_(at >= _midnight(m), at < m, table.updated_at >= m)
        for m in sorted(set(moments))
        if m != _midnight(m)
    ]
    late = or_(local_day(table.updated_at) > local_day(at), *same_day)
    return list(session.execute(select(*columns).where(late, *window)).all())


def _midnight(moment: datetime) -> datetime:
    return datetime.combine(moment.date(), datetime.min.time())
