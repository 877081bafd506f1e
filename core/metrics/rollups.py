"""Daily rollups of bookings and payments, kept incrementally.

``console_rollup_tenant_day`` holds one row per tenant and local day; a *cell* is such a
(tenant, day) pair. A refresh finds the cells touched since the watermark (rows whose
``updated_at`` moved), recomputes exactly those cells from the raw rows, and then refolds
the platform totals (``console_rollup_day``) of the days those cells belong to. A full
rebuild computes every cell with one GROUP BY and must give the same table.

The aggregate expressions are defined once (``_booking_columns``, ``_payment_columns``)
and used by both paths, so they cannot drift apart.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import pandas as pd
from sqlalchemy import (
    Column,
    Date,
    DateTime,
    Integer,
    MetaData,
    Table,
    and_,
    case,
    delete,
    func,
    insert,
    select,
    text,
    tuple_,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.expression import ColumnElement, FunctionElement

from core.clock import FUTURE_TOLERANCE, now
from core.metrics.registry import kpi_windows
from core.schema import Booking, Payment, RollupDay, RollupTenantDay, Watermark

Cell = tuple[int, date]
log = logging.getLogger(__name__)

BOOKING_MEASURES = ("bookings", "completed", "cancelled", "no_show", "booked_minutes", "gmv_ars")
PAYMENT_MEASURES = ("payments_approved_ars", "payments_failed", "payments_total")
TENANT_DAY_MEASURES = BOOKING_MEASURES + PAYMENT_MEASURES
# Kept per tenant and day only (not folded into the day rollup): what the point-in-time
# churn features (``core.models.features``) read for whole days instead of raw rows.
FEATURE_BOOKING_MEASURES = ("online_bookings",)
FEATURE_PAYMENT_MEASURES = ("payments_resolved", "payments_rejected")
CELL_BOOKING_MEASURES = BOOKING_MEASURES + FEATURE_BOOKING_MEASURES
CELL_PAYMENT_MEASURES = PAYMENT_MEASURES + FEATURE_PAYMENT_MEASURES
#: Every measure of a ``console_rollup_tenant_day`` row.
CELL_MEASURES = CELL_BOOKING_MEASURES + CELL_PAYMENT_MEASURES
MONEY_MEASURES = ("gmv_ars", "payments_approved_ars")
# Per tenant, the current and previous KPI windows (see ``read_window_totals``).
WINDOW_TOTAL_COLUMNS = [
    "tenant_id",
    "bookings_28d",
    "bookings_prev_28d",
    "gmv_28d",
    "no_show_28d",
    "completed_28d",
]

# Statuses a payment ends in when the money did not arrive.
FAILED_PAYMENT_STATUSES = ("rejected", "cancelled", "charged_back")
# Statuses of a payment whose outcome is not known yet.
PENDING_PAYMENT_STATUSES = ("pending", "in_process")
# Channels of a booking the client made online rather than walking in.
ONLINE_CHANNELS = ("web", "app", "whatsapp", "instagram")

# Rows committed a little after a refresh read the table can carry an updated_at below
# the watermark it saw; re-reading this much overlap catches them (reprocessing is
# idempotent, a cell is recomputed from scratch).
WATERMARK_OVERLAP = timedelta(seconds=30)

# Cells per recompute query: keeps the bound parameters well under SQLite's limit.
CELL_CHUNK = 2000


class local_day(FunctionElement[date]):  # noqa: N801 - reads like the SQL function it is
    """The calendar day of a naive local timestamp, as a DATE, on every dialect."""

    type = Date()
    inherit_cache = True


@compiles(local_day, "sqlite")
def _local_day_sqlite(element, compiler, **kw):
    return f"date({compiler.process(element.clauses, **kw)})"


@compiles(local_day)
def _local_day_default(element, compiler, **kw):
    return f"CAST({compiler.process(element.clauses, **kw)} AS DATE)"


def _count_if(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def _booking_columns() -> list[ColumnElement]:
    status = Booking.status
    return [
        func.count().label("bookings"),
        _count_if(status == "completed").label("completed"),
        _count_if(status == "cancelled").label("cancelled"),
        _count_if(status == "no_show").label("no_show"),
        # Minutes the chairs were held: every appointment that was not cancelled.
        func.coalesce(
            func.sum(case((status != "cancelled", Booking.duration_min), else_=0)), 0
        ).label("booked_minutes"),
        func.coalesce(func.sum(case((status == "completed", Booking.price_ars), else_=0)), 0).label(
            "gmv_ars"
        ),
        _count_if(Booking.channel.in_(ONLINE_CHANNELS)).label("online_bookings"),
    ]


def _payment_columns() -> list[ColumnElement]:
    status = Payment.status
    return [
        func.coalesce(func.sum(case((status == "approved", Payment.amount_ars), else_=0)), 0).label(
            "payments_approved_ars"
        ),
        _count_if(status.in_(FAILED_PAYMENT_STATUSES)).label("payments_failed"),
        func.count().label("payments_total"),
        _count_if(status.notin_(PENDING_PAYMENT_STATUSES)).label("payments_resolved"),
        _count_if(status == "rejected").label("payments_rejected"),
    ]


def _to_date(value: object) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def _normalize(frame: pd.DataFrame, measures: Sequence[str]) -> pd.DataFrame:
    """Fill missing measures with zero and round money to cents, so every path agrees."""
    frame = frame.assign(**{name: 0 for name in measures if name not in frame})
    money = [name for name in measures if name in MONEY_MEASURES]
    counts = [name for name in measures if name not in MONEY_MEASURES]
    # Whole blocks at once: per-column conversions cost more than the refresh's queries.
    frame[money] = frame[money].fillna(0).astype(float).round(2)
    frame[counts] = frame[counts].fillna(0).astype("int64")
    return frame


# ----------------------------------------------------------------- change detection


@dataclass(frozen=True)
class Changes:
    cells: set[Cell]
    rows_read: int
    high_water: dict[str, datetime | None]
    # (source, id) -> updated_at of the rows read inside the overlap window, so that the
    # next refresh in this process can skip the ones it has already folded in.
    seen: dict[tuple[str, int], datetime]


def read_watermarks(*, session: Session) -> dict[str, datetime | None]:
    rows = session.connection().execute(select(Watermark.source, Watermark.high_water)).all()
    return {source: high_water for source, high_water in rows}


def changed_cells(
    *,
    session: Session,
    watermarks: dict[str, datetime | None],
    already_seen: dict[tuple[str, int], datetime] | None = None,
) -> Changes:
    """The cells whose bookings or payments changed after the watermarks.

    Rows in ``already_seen`` with the same ``updated_at`` were folded in by the previous
    refresh of this process and add no cell.
    """
    already_seen = already_seen or {}
    cells: set[Cell] = set()
    rows_read = 0
    high_water: dict[str, datetime | None] = {}
    read: list[tuple[str, int, datetime]] = []
    horizon = now() + FUTURE_TOLERANCE
    for source, model, day_column in (
        ("bookings", Booking, Booking.start_at),
        ("payments", Payment, Payment.created_at),
    ):
        mark = watermarks.get(source)
        query = select(model.id, model.tenant_id, day_column, model.updated_at)
        if mark is not None:
            query = query.where(model.updated_at > mark - WATERMARK_OVERLAP)
        newest = mark
        ahead = 0
        for row_id, tenant_id, moment, updated_at in session.connection().execute(query):
            rows_read += 1
            if updated_at > horizon:
                ahead += 1  # folded in below, but it does not move the watermark
            elif newest is None or updated_at > newest:
                newest = updated_at
            if mark is not None:
                read.append((source, row_id, updated_at))
            if already_seen.get((source, row_id)) != updated_at:
                cells.add((tenant_id, _to_date(moment)))
        if ahead:
            log.warning(
                "%d %s rows are stamped more than %s ahead of now (%s); they are counted "
                "but do not move the watermark",
                ahead,
                source,
                FUTURE_TOLERANCE,
                horizon - FUTURE_TOLERANCE,
            )
        high_water[source] = newest
    seen = {}
    for source, row_id, updated_at in read:
        newest = high_water[source]
        if newest is not None and updated_at > newest - WATERMARK_OVERLAP:
            seen[(source, row_id)] = updated_at
    return Changes(cells=cells, rows_read=rows_read, high_water=high_water, seen=seen)


def current_high_water(*, session: Session) -> dict[str, datetime | None]:
    """The newest ``updated_at`` of each source, ignoring rows stamped in the future."""
    horizon = now() + FUTURE_TOLERANCE
    return {
        source: session.scalar(
            select(func.max(model.updated_at)).where(model.updated_at <= horizon)
        )
        for source, model in (("bookings", Booking), ("payments", Payment))
    }


def save_watermarks(*, session: Session, high_water: dict[str, datetime | None]) -> None:
    for source, mark in high_water.items():
        existing = session.get(Watermark, source)
        if existing is None:
            session.add(Watermark(source=source, high_water=mark))
        else:
            existing.high_water = mark
    session.flush()


# ---------------------------------------------------------------- recomputation


# The cells a refresh recomputes go into a temporary table, so every statement below is a
# constant that SQLAlchemy compiles once; a VALUES list would be recompiled on every run.
_temporary = MetaData()
dirty_cells = Table(
    "console_tmp_dirty_cells",
    _temporary,
    Column("tenant_id", Integer, nullable=False),
    Column("day", Date, nullable=False),
    Column("day_start", DateTime, nullable=False),
    Column("day_end", DateTime, nullable=False),
    prefixes=["TEMPORARY"],
)
_CREATE_DIRTY_CELLS = text(
    "CREATE TEMPORARY TABLE IF NOT EXISTS console_tmp_dirty_cells "
    "(tenant_id INTEGER NOT NULL, day DATE NOT NULL, day_start TIMESTAMP NOT NULL, "
    "day_end TIMESTAMP NOT NULL)"
)


def _aggregate_dirty_cells(model: type, moment, columns: list):
    """Aggregate ``model``'s rows whose ``moment`` falls in each dirty cell's day."""
    return (
        select(dirty_cells.c.tenant_id, dirty_cells.c.day, *columns)
        .select_from(dirty_cells)
        .join(
            model,
            and_(
                model.tenant_id == dirty_cells.c.tenant_id,  # type: ignore[attr-defined]
                moment >= dirty_cells.c.day_start,
                moment < dirty_cells.c.day_end,
            ),
        )
        .group_by(dirty_cells.c.tenant_id, dirty_cells.c.day)
    )


_DIRTY_BOOKINGS = _aggregate_dirty_cells(Booking, Booking.start_at, _booking_columns())
_DIRTY_PAYMENTS = _aggregate_dirty_cells(Payment, Payment.created_at, _payment_columns())
_DELETE_DIRTY_CELLS = delete(RollupTenantDay).where(
    tuple_(RollupTenantDay.tenant_id, RollupTenantDay.day).in_(
        select(dirty_cells.c.tenant_id, dirty_cells.c.day)
    )
)


def load_dirty_cells(*, session: Session, cells: Iterable[Cell]) -> int:
    """Put the cells to recompute into this connection's temporary table."""
    connection = session.connection()
    connection.execute(_CREATE_DIRTY_CELLS)
    connection.execute(dirty_cells.delete())
    rows = []
    for tenant_id, day in cells:
        day_start = datetime(day.year, day.month, day.day)
        rows.append(
            {
                "tenant_id": tenant_id,
                "day": day,
                "day_start": day_start,
                "day_end": day_start + timedelta(days=1),
            }
        )
    if rows:
        connection.execute(dirty_cells.insert(), rows)
    return len(rows)


def compute_dirty_cells(*, session: Session) -> list[dict]:
    """Aggregate the raw rows of the loaded dirty cells; cells with no rows are absent."""
    connection = session.connection()
    cells: dict[Cell, dict] = {}
    empty = dict.fromkeys(CELL_MEASURES, 0)
    for measures, rows in (
        (CELL_BOOKING_MEASURES, connection.execute(_DIRTY_BOOKINGS)),
        (CELL_PAYMENT_MEASURES, connection.execute(_DIRTY_PAYMENTS)),
    ):
        for tenant_id, day, *values in rows:
            day = _to_date(day)
            record = cells.setdefault(
                (tenant_id, day), {"tenant_id": tenant_id, "day": day, **empty}
            )
            record.update(zip(measures, values, strict=True))
    for record in cells.values():
        for name in CELL_MEASURES:
            value = record[name] or 0
            record[name] = round(float(value), 2) if name in MONEY_MEASURES else int(value)
    return [cells[key] for key in sorted(cells)]


def compute_all_cells(*, session: Session) -> pd.DataFrame:
    """Every cell, with one GROUP BY per source table (the full rebuild)."""
    booking_day = local_day(Booking.start_at)
    payment_day = local_day(Payment.created_at)
    bookings = (
        session.connection()
        .execute(
            select(Booking.tenant_id, booking_day.label("day"), *_booking_columns()).group_by(
                Booking.tenant_id, booking_day
            )
        )
        .all()
    )
    payments = (
        session.connection()
        .execute(
            select(Payment.tenant_id, payment_day.label("day"), *_payment_columns()).group_by(
                Payment.tenant_id, payment_day
            )
        )
        .all()
    )
    return _merge(bookings, payments)


def _merge(bookings: Sequence, payments: Sequence) -> pd.DataFrame:
    booking_frame = _frame(bookings, ["tenant_id", "day", *CELL_BOOKING_MEASURES])
    payment_frame = _frame(payments, ["tenant_id", "day", *CELL_PAYMENT_MEASURES])
    for frame in (booking_frame, payment_frame):
        frame["day"] = [_to_date(value) for value in frame["day"]]
    merged = booking_frame.merge(payment_frame, on=["tenant_id", "day"], how="outer")
    merged = _normalize(merged, CELL_MEASURES)
    merged["tenant_id"] = merged["tenant_id"].astype("int64")
    return merged.sort_values(["tenant_id", "day"], ignore_index=True)


# ----------------------------------------------------------------------- writing


def replace_dirty_cells(*, session: Session, records: list[dict]) -> None:
    """Delete the loaded dirty cells from the rollup and insert their recomputed rows."""
    connection = session.connection()
    connection.execute(_DELETE_DIRTY_CELLS)
    if records:
        connection.execute(insert(RollupTenantDay), records)


def rebuild_tenant_days(*, session: Session) -> pd.DataFrame:
    rows = compute_all_cells(session=session)
    replace_all_cells(session=session, rows=rows)
    return rows


def replace_all_cells(*, session: Session, rows: pd.DataFrame) -> None:
    """Replace the whole rollup by ``rows`` (computed beforehand, outside the write)."""
    session.connection().execute(delete(RollupTenantDay))
    _insert_frame(session, RollupTenantDay, rows)


def _refold_query(days_filter):
    rollup = RollupTenantDay
    measures = [
        (
            func.round(func.sum(getattr(rollup, name)), 2)
            if name in MONEY_MEASURES
            else func.sum(getattr(rollup, name))
        ).label(name)
        for name in TENANT_DAY_MEASURES
    ]
    active = func.sum(case((rollup.bookings > 0, 1), else_=0)).label("active_booking_tenants")
    query = select(rollup.day, *measures, active).group_by(rollup.day)
    if days_filter is not None:
        query = query.where(rollup.day.in_(days_filter))
    return insert(RollupDay).from_select(
        ["day", *TENANT_DAY_MEASURES, "active_booking_tenants"], query
    )


_DIRTY_DAYS = select(dirty_cells.c.day).distinct()
_REFOLD_DIRTY_DAYS = _refold_query(_DIRTY_DAYS)
_REFOLD_ALL_DAYS = _refold_query(None)
_DELETE_DIRTY_DAYS = delete(RollupDay).where(RollupDay.day.in_(_DIRTY_DAYS))


def refold_days(*, session: Session, everything: bool = False) -> int:
    """Recompute platform totals of the dirty cells' days (or of every day) in the database."""
    connection = session.connection()
    if everything:
        connection.execute(delete(RollupDay))
        connection.execute(_REFOLD_ALL_DAYS)
        return int(connection.scalar(select(func.count()).select_from(RollupDay)) or 0)
    connection.execute(_DELETE_DIRTY_DAYS)
    connection.execute(_REFOLD_DIRTY_DAYS)
    return int(connection.scalar(select(func.count()).select_from(_DIRTY_DAYS.subquery())) or 0)


def _insert_frame(session: Session, model: type, frame: pd.DataFrame) -> None:
    """Insert a frame's rows with one Core executemany (the ORM's bulk path is slower)."""
    if frame.empty:
        return
    names = list(frame.columns)
    columns = [frame[name].tolist() for name in names]  # tolist gives Python scalars
    records = [dict(zip(names, row, strict=True)) for row in zip(*columns, strict=True)]
    session.connection().execute(insert(model.__table__), records)  # type: ignore[attr-defined]


def _frame(rows: Sequence, columns: Sequence[str]) -> pd.DataFrame:
    """A DataFrame from result rows, built column by column (much faster than row-wise)."""
    if not rows:
        return pd.DataFrame({name: [] for name in columns})
    return pd.DataFrame(dict(zip(columns, zip(*rows, strict=True), strict=True)))


DAY_ROLLUP_COLUMNS = ["day", *TENANT_DAY_MEASURES, "active_booking_tenants"]
_READ_DAY_ROLLUP = select(*[getattr(RollupDay, name) for name in DAY_ROLLUP_COLUMNS])
_READ_DIRTY_DAYS = _READ_DAY_ROLLUP.where(RollupDay.day.in_(_DIRTY_DAYS))


def read_day_rollup_rows(*, session: Session, dirty_only: bool = False) -> dict[date, tuple]:
    """Platform totals per day as plain tuples keyed by day (the refresh's cheap path)."""
    query = _READ_DIRTY_DAYS if dirty_only else _READ_DAY_ROLLUP
    return {_to_date(row[0]): tuple(row) for row in session.connection().execute(query)}


def day_rollup_frame(rows: dict[date, tuple]) -> pd.DataFrame:
    """The day rollup as a DataFrame sorted by day (measures as stored)."""
    return _frame([(day, *row[1:]) for day, row in sorted(rows.items())], DAY_ROLLUP_COLUMNS)


def read_window_totals(*, session: Session, as_of: date) -> pd.DataFrame:
    """Per tenant, the current and previous 28-day totals, summed in the database."""
    (current_start, end), (previous_start, _) = kpi_windows(as_of)
    day, rollup = RollupTenantDay.day, RollupTenantDay

    def in_current(measure: Any) -> ColumnElement[Any]:
        return func.coalesce(func.sum(case((day >= current_start, measure), else_=0)), 0)

    query = (
        select(
            rollup.tenant_id,
            in_current(rollup.bookings),
            func.coalesce(func.sum(case((day < current_start, rollup.bookings), else_=0)), 0),
            in_current(rollup.gmv_ars),
            in_current(rollup.no_show),
            in_current(rollup.completed),
        )
        .where(day >= previous_start, day <= end)
        .group_by(rollup.tenant_id)
    )
    frame = _frame(session.connection().execute(query).all(), WINDOW_TOTAL_COLUMNS)
    frame["gmv_28d"] = frame["gmv_28d"].astype(float)
    return frame


__all__ = [
    "BOOKING_MEASURES",
    "CELL_MEASURES",
    "ONLINE_CHANNELS",
    "PAYMENT_MEASURES",
    "PENDING_PAYMENT_STATUSES",
    "TENANT_DAY_MEASURES",
    "Cell",
    "Changes",
    "changed_cells",
    "compute_all_cells",
    "compute_dirty_cells",
    "current_high_water",
    "load_dirty_cells",
    "read_watermarks",
    "read_window_totals",
    "rebuild_tenant_days",
    "refold_days",
    "replace_all_cells",
    "replace_dirty_cells",
    "save_watermarks",
]
