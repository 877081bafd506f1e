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

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import pandas as pd
from sqlalchemy import (
    Date,
    DateTime,
    Integer,
    and_,
    case,
    column,
    delete,
    func,
    insert,
    select,
    tuple_,
    values,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.expression import ColumnElement, FunctionElement

from core.metrics.registry import kpi_windows
from core.schema import Booking, Payment, RollupDay, RollupTenantDay, Watermark

Cell = tuple[int, date]

BOOKING_MEASURES = ("bookings", "completed", "cancelled", "no_show", "booked_minutes", "gmv_ars")
PAYMENT_MEASURES = ("payments_approved_ars", "payments_failed", "payments_total")
TENANT_DAY_MEASURES = BOOKING_MEASURES + PAYMENT_MEASURES
MONEY_MEASURES = ("gmv_ars", "payments_approved_ars")
# Per tenant, the current and previous KPI windows (see ``read_window_totals``).
WINDOW_TOTAL_COLUMNS = [
    "tenant_id",
    "bookings_30d",
    "bookings_prev_30d",
    "gmv_30d",
    "no_show_30d",
    "completed_30d",
]

# Statuses a payment ends in when the money did not arrive.
FAILED_PAYMENT_STATUSES = ("rejected", "cancelled", "charged_back")

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
def _local_day_sqlite(element, compiler, **kw):  # type: ignore[no-untyped-def]
    return f"date({compiler.process(element.clauses, **kw)})"


@compiles(local_day)
def _local_day_default(element, compiler, **kw):  # type: ignore[no-untyped-def]
    return f"CAST({compiler.process(element.clauses, **kw)} AS DATE)"


def _count_if(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def _booking_columns() -> list[ColumnElement]:  # type: ignore[type-arg]
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
    ]


def _payment_columns() -> list[ColumnElement]:  # type: ignore[type-arg]
    status = Payment.status
    return [
        func.coalesce(func.sum(case((status == "approved", Payment.amount_ars), else_=0)), 0).label(
            "payments_approved_ars"
        ),
        _count_if(status.in_(FAILED_PAYMENT_STATUSES)).label("payments_failed"),
        func.count().label("payments_total"),
    ]


def _to_date(value: object) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def _normalize(frame: pd.DataFrame, measures: Sequence[str]) -> pd.DataFrame:
    """Fill missing measures with zero and round money to cents, so every path agrees."""
    frame = frame.copy()
    for name in measures:
        if name not in frame:
            frame[name] = 0
        frame[name] = frame[name].fillna(0)
        if name in MONEY_MEASURES:
            frame[name] = frame[name].astype(float).round(2)
        else:
            frame[name] = frame[name].astype("int64")
    return frame


# ----------------------------------------------------------------- change detection


@dataclass(frozen=True)
class Changes:
    cells: set[Cell]
    rows_read: int
    high_water: dict[str, datetime | None]


def read_watermarks(*, session: Session) -> dict[str, datetime | None]:
    rows = session.execute(select(Watermark.source, Watermark.high_water)).all()
    return {source: high_water for source, high_water in rows}


def changed_cells(*, session: Session, watermarks: dict[str, datetime | None]) -> Changes:
    """The cells whose bookings or payments changed after the watermarks."""
    cells: set[Cell] = set()
    rows_read = 0
    high_water: dict[str, datetime | None] = {}
    for source, model, day_column in (
        ("bookings", Booking, Booking.start_at),
        ("payments", Payment, Payment.created_at),
    ):
        mark = watermarks.get(source)
        query = select(model.tenant_id, day_column, model.updated_at)
        if mark is not None:
            query = query.where(model.updated_at > mark - WATERMARK_OVERLAP)
        newest = mark
        for tenant_id, moment, updated_at in session.execute(query):
            rows_read += 1
            cells.add((tenant_id, _to_date(moment)))
            if newest is None or updated_at > newest:
                newest = updated_at
        high_water[source] = newest
    return Changes(cells=cells, rows_read=rows_read, high_water=high_water)


def save_watermarks(*, session: Session, high_water: dict[str, datetime | None]) -> None:
    for source, mark in high_water.items():
        existing = session.get(Watermark, source)
        if existing is None:
            session.add(Watermark(source=source, high_water=mark))
        else:
            existing.high_water = mark
    session.flush()


# ---------------------------------------------------------------- recomputation


def _cells_table(chunk: Sequence[Cell]):  # type: ignore[no-untyped-def]
    data = []
    for tenant_id, day in chunk:
        day_start = datetime(day.year, day.month, day.day)
        data.append((tenant_id, day_start, day_start + timedelta(days=1)))
    return values(
        column("tenant_id", Integer),
        column("day_start", DateTime),
        column("day_end", DateTime),
        name="cells",
    ).data(data)


def _aggregate_cells(session: Session, cells_table, model: type, moment, columns: list):  # type: ignore[no-untyped-def]
    """Aggregate ``model``'s rows whose ``moment`` falls in each cell's day."""
    return session.execute(
        select(
            cells_table.c.tenant_id.label("tenant_id"),
            cells_table.c.day_start.label("day"),
            *columns,
        )
        .select_from(cells_table)
        .join(
            model,
            and_(
                model.tenant_id == cells_table.c.tenant_id,  # type: ignore[attr-defined]
                moment >= cells_table.c.day_start,
                moment < cells_table.c.day_end,
            ),
        )
        .group_by(cells_table.c.tenant_id, cells_table.c.day_start)
    ).all()


def compute_cells(*, session: Session, cells: Iterable[Cell]) -> pd.DataFrame:
    """Aggregate the raw rows of the given cells; cells with no rows are absent."""
    ordered = sorted(cells)
    parts: list[pd.DataFrame] = []
    for offset in range(0, len(ordered), CELL_CHUNK):
        cells_table = _cells_table(ordered[offset : offset + CELL_CHUNK]).cte("cells")
        bookings = _aggregate_cells(
            session, cells_table, Booking, Booking.start_at, _booking_columns()
        )
        payments = _aggregate_cells(
            session, cells_table, Payment, Payment.created_at, _payment_columns()
        )
        parts.append(_merge(bookings, payments))
    if not parts:
        return _merge([], [])
    return pd.concat(parts, ignore_index=True)


def compute_all_cells(*, session: Session) -> pd.DataFrame:
    """Every cell, with one GROUP BY per source table (the full rebuild)."""
    booking_day = local_day(Booking.start_at)
    payment_day = local_day(Payment.created_at)
    bookings = session.execute(
        select(Booking.tenant_id, booking_day.label("day"), *_booking_columns()).group_by(
            Booking.tenant_id, booking_day
        )
    ).all()
    payments = session.execute(
        select(Payment.tenant_id, payment_day.label("day"), *_payment_columns()).group_by(
            Payment.tenant_id, payment_day
        )
    ).all()
    return _merge(bookings, payments)


def _merge(bookings: Sequence, payments: Sequence) -> pd.DataFrame:  # type: ignore[type-arg]
    booking_frame = pd.DataFrame(bookings, columns=["tenant_id", "day", *BOOKING_MEASURES])
    payment_frame = pd.DataFrame(payments, columns=["tenant_id", "day", *PAYMENT_MEASURES])
    for frame in (booking_frame, payment_frame):
        frame["day"] = [_to_date(value) for value in frame["day"]]
    merged = booking_frame.merge(payment_frame, on=["tenant_id", "day"], how="outer")
    merged = _normalize(merged, TENANT_DAY_MEASURES)
    merged["tenant_id"] = merged["tenant_id"].astype("int64")
    return merged.sort_values(["tenant_id", "day"], ignore_index=True)


# ----------------------------------------------------------------------- writing


def replace_cells(*, session: Session, cells: Iterable[Cell], rows: pd.DataFrame) -> int:
    """Delete the given cells from the rollup and insert their recomputed rows."""
    ordered = sorted(cells)
    for offset in range(0, len(ordered), CELL_CHUNK):
        chunk = ordered[offset : offset + CELL_CHUNK]
        session.execute(
            delete(RollupTenantDay).where(
                tuple_(RollupTenantDay.tenant_id, RollupTenantDay.day).in_(chunk)
            )
        )
    _insert_frame(session, RollupTenantDay, rows)
    return len(ordered)


def rebuild_tenant_days(*, session: Session) -> pd.DataFrame:
    rows = compute_all_cells(session=session)
    session.execute(delete(RollupTenantDay))
    _insert_frame(session, RollupTenantDay, rows)
    return rows


def refold_days(*, session: Session, days: Iterable[date] | None) -> int:
    """Recompute platform totals for ``days`` (all days when None) from the tenant rollup."""
    measures = [
        func.sum(getattr(RollupTenantDay, name)).label(name) for name in TENANT_DAY_MEASURES
    ]
    active = func.sum(case((RollupTenantDay.bookings > 0, 1), else_=0)).label(
        "active_booking_tenants"
    )
    query = select(RollupTenantDay.day, *measures, active).group_by(RollupTenantDay.day)
    if days is None:
        session.execute(delete(RollupDay))
        rows = session.execute(query).all()
        touched = len(rows)
    else:
        ordered = sorted(set(days))
        rows = []
        for offset in range(0, len(ordered), CELL_CHUNK):
            chunk = ordered[offset : offset + CELL_CHUNK]
            session.execute(delete(RollupDay).where(RollupDay.day.in_(chunk)))
            rows.extend(session.execute(query.where(RollupTenantDay.day.in_(chunk))).all())
        touched = len(ordered)
    frame = pd.DataFrame(rows, columns=["day", *TENANT_DAY_MEASURES, "active_booking_tenants"])
    frame["day"] = [_to_date(value) for value in frame["day"]]
    frame = _normalize(frame, (*TENANT_DAY_MEASURES, "active_booking_tenants"))
    _insert_frame(session, RollupDay, frame)
    return touched


def _insert_frame(session: Session, model: type, frame: pd.DataFrame) -> None:
    if frame.empty:
        return
    records = frame.to_dict("records")
    for record in records:
        for key, value in record.items():
            if hasattr(value, "item"):  # numpy scalar → Python scalar for the driver
                record[key] = value.item()
    session.execute(insert(model), records)


def read_day_rollup(*, session: Session) -> pd.DataFrame:
    columns = ["day", *TENANT_DAY_MEASURES, "active_booking_tenants"]
    rows = session.execute(select(*[getattr(RollupDay, name) for name in columns])).all()
    frame = pd.DataFrame(rows, columns=columns)
    frame["day"] = [_to_date(value) for value in frame["day"]]
    return _normalize(frame, (*TENANT_DAY_MEASURES, "active_booking_tenants"))


def read_window_totals(*, session: Session, as_of: date) -> pd.DataFrame:
    """Per tenant, the current and previous 30-day totals, summed in the database."""
    (current_start, end), (previous_start, _) = kpi_windows(as_of)
    day, rollup = RollupTenantDay.day, RollupTenantDay

    def in_current(measure: ColumnElement) -> ColumnElement:  # type: ignore[type-arg]
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
    frame = pd.DataFrame(session.execute(query).all(), columns=WINDOW_TOTAL_COLUMNS)
    frame["gmv_30d"] = frame["gmv_30d"].astype(float)
    return frame


__all__ = [
    "BOOKING_MEASURES",
    "PAYMENT_MEASURES",
    "TENANT_DAY_MEASURES",
    "Cell",
    "Changes",
    "changed_cells",
    "compute_all_cells",
    "compute_cells",
    "read_day_rollup",
    "read_watermarks",
    "read_window_totals",
    "rebuild_tenant_days",
    "refold_days",
    "replace_cells",
    "save_watermarks",
]
