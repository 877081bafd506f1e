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
from datetime import date, datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import (
    ColumnElement,
    Executable,
    Select,
    and_,
    case,
    func,
    literal,
    or_,
    select,
    tuple_,
    union_all,
)
from sqlalchemy.orm import Session

from core.metrics.rollups import WATERMARK_OVERLAP, local_day
from core.schema import RollupTenantDay, Watermark

__all__ = ["CellGrid", "DayRollup", "cell_sums", "late_rows", "rollup_cell_sums", "to_ns"]

#: Above this many rows changed since the first as-of moment, find late rows by
#: comparing each row's change day with its event day rather than through the
#: ``updated_at`` index.
LATE_ROWS_SEEK = 100_000
#: Above this many (tenant, day) cells changed since a rollup's watermark (its refresh
#: has not run for a while), read the raw rows instead of patching the rollup.
MAX_STALE_CELLS = 5_000
#: ... and above this many rows changed since it, do not even read them.
MAX_STALE_ROWS = 50_000
#: Up to this many bounds, the database sums a rollup's days per cell (a CASE over the
#: bounds); beyond, the days are read and put in cells here.
SQL_BUCKETS = 64
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
    intervals = [(j, ids, edges[j], edges[j + 1]) for j in range(len(edges) - 1)]
    frame = _interval_rows(
        session,
        at=at,
        tenant=tenant,
        intervals=intervals,
        sums=sums,
        maxima=maxima,
        by=by,
        where=where,
    )
    bounds_ns = to_ns(edges) if edges else np.zeros(0, dtype="int64")
    if by is None:
        return _grid(frame, tenants, bounds_ns, sums, maxima)
    return {
        key: _grid(part, tenants, bounds_ns, sums, maxima)
        for key, part in frame.groupby("key", dropna=True)
    }


def _interval_rows(
    session: Session,
    *,
    at: Any,
    tenant: Any,
    intervals: Sequence[tuple[int, list[int], datetime, datetime]],
    sums: Sequence[tuple[str, Any]] = (),
    maxima: Sequence[tuple[str, Any]] = (),
    by: Any = None,
    where: Sequence[ColumnElement[bool]] = (),
) -> pd.DataFrame:
    """Per tenant (and ``by`` value), the aggregates of each ``(cell, tenants, lo, hi)``.

    One range seek per interval on the ``(tenant_id, time)`` index, as many intervals
    per ``UNION ALL`` as the database's limits allow.
    """
    labels = [*(n for n, _ in sums), *(n for n, _ in maxima)]
    keys = [] if by is None else [by]
    columns = [
        *(func.sum(expr).label(n) for n, expr in sums),
        *(func.max(expr).label(n) for n, expr in maxima),
    ]
    # Group the intervals into statements within the database's limits.
    batches: list[list[Select[Any]]] = [[]]
    parameters = 0
    for cell, ids, lo, hi in intervals:
        cost = len(ids) + 8
        if batches[-1] and (
            len(batches[-1]) >= CELLS_PER_QUERY or parameters + cost > PARAMETERS_PER_QUERY
        ):
            batches.append([])
            parameters = 0
        one = tenant == ids[0] if len(ids) == 1 else tenant.in_(ids)
        batches[-1].append(
            select(literal(cell).label("cell"), tenant, *keys, *columns)
            .where(one, at >= lo, at < hi, *where)
            .group_by(tenant, *keys)
        )
        parameters += cost
    rows: list[Any] = []
    for parts in batches:
        if parts:
            stmt: Executable = parts[0] if len(parts) == 1 else union_all(*parts)
            rows.extend(session.execute(stmt).all())
    return pd.DataFrame(
        [tuple(r) for r in rows], columns=["cell", "tenant_id", *(["key"] if keys else []), *labels]
    )


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


@dataclass(frozen=True)
class DayRollup:
    """How ``console_rollup_tenant_day`` stands in for a table's whole local days.

    ``source`` is the rollup's watermark for ``table`` (``console_watermarks``);
    ``measures`` maps a measure's name to its rollup column, which must aggregate the
    same rows as the raw expression the caller passes for it.
    """

    source: str
    table: Any
    measures: dict[str, Any]


def rollup_cell_sums(
    session: Session,
    *,
    rollup: DayRollup,
    at: Any,
    tenant: Any,
    tenants: np.ndarray,
    bounds: Sequence[datetime],
    sums: Sequence[tuple[str, Any]],
) -> CellGrid | None:
    """:func:`cell_sums` (sums only) with the whole days read from the rollup.

    The grid's bounds are ``bounds`` plus the midnights around every bound that is not
    a midnight: cells of whole days come from the rollup, the pieces of days cut by a
    bound from the raw rows. The rollup is exact for every cell but those touched by
    rows changed after its watermark (less the refresh's overlap, for rows committed
    late): those cells are read raw too, so the result does not depend on whether the
    refresh has run. ``None`` when the rollup cannot serve: it was never built (no
    watermark) or more than :data:`MAX_STALE_CELLS` cells changed since.
    """
    mark = session.scalar(select(Watermark.high_water).where(Watermark.source == rollup.source))
    edges = sorted(set(bounds))
    if mark is None or len(edges) < 2:
        return None
    lo, hi = edges[0], edges[-1]
    ids = [int(t) for t in tenants]
    stale = _stale_cells(session, rollup, at, tenant, mark, lo, hi)
    if stale is None:
        return None
    split = {_midnight(e) for e in edges if e != _midnight(e)}
    refined = sorted(
        e for e in {*edges, *split, *(d + timedelta(days=1) for d in split)} if lo <= e <= hi
    )
    refined_ns = to_ns(refined)
    # Whole days: from the first midnight at or after lo to the last one at or before hi.
    first_day = lo.date() if lo == _midnight(lo) else lo.date() + timedelta(days=1)
    names = [name for name, _ in sums]
    r = RollupTenantDay
    measures = [rollup.measures[name] for name in names]
    in_span = [r.day >= first_day, r.day < hi.date(), r.tenant_id.in_(ids)]
    if split:  # days cut by a bound come from the raw rows
        in_span.append(r.day.notin_(sorted(d.date() for d in split)))
    if len(refined) <= SQL_BUCKETS:
        # Few cells (one as-of date): the database sums the days of each cell. A whole
        # day's cell is the last bound at or before it; comparing with a bound's date is
        # the same, as a bound's own day, if it is not a midnight, is left out above.
        cell = case(
            *((r.day < refined[k + 1].date(), k) for k in range(len(refined) - 1)),
            else_=len(refined) - 2,
        )
        rows = session.execute(
            select(cell, r.tenant_id, *(func.sum(m) for m in measures))
            .where(*in_span)
            .group_by(cell, r.tenant_id)
        ).all()
        days = pd.DataFrame([tuple(row) for row in rows], columns=["cell", "tenant_id", *names])
    else:
        # Many cells (training dates): the days themselves, put in cells here.
        rows = session.execute(select(r.tenant_id, r.day, *measures).where(*in_span)).all()
        days = _in_cells([tuple(row) for row in rows], names, refined_ns)
    # Stale whole days: their stored values out, their raw rows in (below).
    wanted = set(ids)
    stale_days = sorted(
        (t, d)
        for t, d in stale
        if t in wanted and first_day <= d < hi.date() and _midnight_of(d) not in split
    )
    if stale_days:
        stored = session.execute(
            select(r.tenant_id, r.day, *measures).where(tuple_(r.tenant_id, r.day).in_(stale_days))
        ).all()
        taken = _in_cells([tuple(row) for row in stored], names, refined_ns)
        taken[names] = -taken[names].apply(pd.to_numeric).astype(float)
        days = pd.concat([days, taken], ignore_index=True)
    # Raw: the pieces of days cut by a bound, and the stale whole days.
    intervals = [
        (k, ids, refined[k], refined[k + 1])
        for k in range(len(refined) - 1)
        if _midnight(refined[k]) in split
    ]
    for tenant_id, day in stale_days:
        start = _midnight_of(day)
        k = int(np.searchsorted(refined_ns, ns(start), side="right")) - 1
        intervals.append((k, [tenant_id], start, start + timedelta(days=1)))
    raw = _interval_rows(session, at=at, tenant=tenant, intervals=intervals, sums=sums)
    frame = pd.concat([part for part in (days, raw) if len(part)] or [raw], ignore_index=True)
    return _grid(frame, tenants, refined_ns, sums, ())


def _in_cells(rows: list[tuple], names: list[str], refined_ns: np.ndarray) -> pd.DataFrame:
    """Rollup rows ``(tenant_id, day, *measures)`` as ``(cell, tenant_id, *measures)``."""
    frame = pd.DataFrame(rows, columns=["tenant_id", "day", *names])
    day_ns = to_ns(frame["day"].astype(str)) if len(frame) else np.zeros(0, dtype="int64")
    frame.insert(0, "cell", np.searchsorted(refined_ns, day_ns, side="right") - 1)
    return frame.drop(columns="day")


def _midnight_of(day: date) -> datetime:
    return datetime.combine(day, datetime.min.time())


def _stale_cells(
    session: Session,
    rollup: DayRollup,
    at: Any,
    tenant: Any,
    mark: datetime,
    lo: datetime,
    hi: datetime,
) -> set[tuple[int, date]] | None:
    """The (tenant, day) cells of rows changed since ``mark``; None if too many.

    Only the ``updated_at`` index is searched (a condition on ``at`` too would let the
    planner scan the event-time index instead); the window is applied here.
    """
    since = rollup.table.updated_at > mark - WATERMARK_OVERLAP
    changed = session.scalar(select(func.count()).select_from(rollup.table).where(since))
    if (changed or 0) > MAX_STALE_ROWS:
        return None
    cells = {
        (int(t), moment.date())
        for t, moment in session.execute(select(tenant, at).where(since)).all()
        if lo <= moment < hi
    }
    return None if len(cells) > MAX_STALE_CELLS else cells


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
