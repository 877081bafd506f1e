"""The finance ledger: per-(tenant, day) payment and reconciliation cells, kept incrementally.

Payments and bookings are the platform's biggest tables (millions of rows), so the
Financial Operations figures are kept in a ledger of per-(tenant, day) cells in its own
tables (``core/schema/finance_ledger.py``): each run (``update_ledger``) recomputes only
the cells touched since the previous run (the rollups' watermark of changed rows,
``core/metrics/detail_changes.py``), the days that were added since, and one more slice of
older history within a time budget while the history is incomplete; ``save_ledger``
replaces just those cells in the detail snapshot's transaction. A restart (or a new day)
resumes from the stored ledger. The pages' frames are built from it in
``core/metrics/frames/finance.py``.

Definitions: a payment *failed* when it ended rejected, cancelled or charged back (as in
the rollups); *pending* payments (pending, in process) have no outcome yet. A booking is
*reconciled* when it was completed and its approved payments (deposit plus final payment)
add up to its price; the mismatches are a completed booking without any approved payment,
an approved payment on a booking that was not completed, and a paid amount that differs
from the price. Only bookings that started before the as-of day are reconciled: today's
appointments are still being paid.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import cast

import numpy as np
import pandas as pd
from sqlalchemy import Connection, Table, and_, bindparam, case, delete, func, insert, or_, select
from sqlalchemy.orm import Session

from core.metrics.detail_changes import Touched, month_of
from core.metrics.rollups import FAILED_PAYMENT_STATUSES, Cell, local_day
from core.schema import (
    Booking,
    FinancePaymentCell,
    FinanceReconciliationCell,
    Payment,
    Tenant,
)

PENDING_PAYMENT_STATUSES = ("pending", "in_process")
# Each run extends the history backwards by slices of this many days while it has time.
BACKFILL_DAYS = 14
BACKFILL_BUDGET_S = 8.0
MISMATCH_DAYS = 45  # the mismatch list shows the bookings of the last 45 days
AMOUNT_TOLERANCE = 0.01  # ARS: money is stored to the cent

PAYMENT_COLUMNS = [
    "tenant_id",
    "day",
    "method",
    "payments",
    "approved",
    "failed",
    "pending",
    "refunded",
    "approved_ars",
]
RECON_COLUMNS = [
    "tenant_id",
    "day",
    "completed",
    "completed_ars",
    "paid_ars",
    "unpaid",
    "amount_differs",
    "paid_not_completed",
    "paid_not_completed_ars",
]
MISMATCH_COLUMNS = [
    "booking_id",
    "tenant_id",
    "day",
    "kind",
    "booking_status",
    "booking_ars",
    "paid_ars",
    "difference_ars",
]


def empty_frame(columns: list[str]) -> pd.DataFrame:
    """A frame with these columns and no rows."""
    return pd.DataFrame({c: pd.Series(dtype="object") for c in columns})


# ------------------------------------------------------------------ cell queries
def _tenant_clause(column, tenant_ids: list[int] | None):
    # ``IN (SELECT id FROM tenants)`` lets SQLite walk the (tenant_id, time) index
    # tenant by tenant instead of scanning the whole table.
    if tenant_ids is None:
        return column.in_(select(Tenant.id).scalar_subquery())
    return column.in_(tenant_ids)


def _dt(day: date) -> datetime:
    return datetime.combine(day, datetime.min.time())


def payment_cells(
    conn: Connection, lo: date, hi: date, tenant_ids: list[int] | None = None
) -> pd.DataFrame:
    """Payment outcomes per tenant, day (of ``created_at``) and method, for days in [lo, hi)."""
    day = local_day(Payment.created_at).label("day")
    rows = conn.execute(
        select(
            Payment.tenant_id,
            day,
            Payment.method,
            Payment.status,
            func.count().label("n"),
            func.coalesce(func.sum(Payment.amount_ars), 0).label("ars"),
        )
        .where(
            _tenant_clause(Payment.tenant_id, tenant_ids),
            Payment.created_at >= _dt(lo),
            Payment.created_at < _dt(hi),
        )
        .group_by(Payment.tenant_id, day, Payment.method, Payment.status)
    ).all()
    if not rows:
        return empty_frame(PAYMENT_COLUMNS)
    raw = pd.DataFrame(rows, columns=["tenant_id", "day", "method", "status", "n", "ars"])
    raw["day"] = pd.to_datetime(raw["day"])
    status = raw["status"]
    n = raw["n"].astype("int64")
    raw = raw.assign(
        payments=n,
        approved=np.where(status == "approved", n, 0),
        failed=np.where(status.isin(FAILED_PAYMENT_STATUSES), n, 0),
        pending=np.where(status.isin(PENDING_PAYMENT_STATUSES), n, 0),
        refunded=np.where(status == "refunded", n, 0),
        approved_ars=np.where(status == "approved", raw["ars"].astype(float), 0.0),
    )
    keys = ["tenant_id", "day", "method"]
    return raw.groupby(keys, as_index=False)[PAYMENT_COLUMNS[3:]].sum()[PAYMENT_COLUMNS]


def reconciliation_cells(
    conn: Connection, lo: date, hi: date, tenant_ids: list[int] | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per (tenant, day of the booking's start) reconciliation and the mismatching bookings.

    Both are aggregated in the database: per booking, its approved payments are summed
    through the ``payments.booking_id`` index; only mismatching bookings come back as rows.
    """
    paid = (
        select(func.sum(Payment.amount_ars))
        .where(Payment.booking_id == Booking.id, Payment.status == "approved")
        .scalar_subquery()
    )
    booking = (
        select(
            Booking.id.label("booking_id"),
            Booking.tenant_id,
            local_day(Booking.start_at).label("day"),
            Booking.status.label("booking_status"),
            Booking.price_ars.label("booking_ars"),
            paid.label("paid_ars"),
        )
        .where(
            _tenant_clause(Booking.tenant_id, tenant_ids),
            Booking.start_at >= _dt(lo),
            Booking.start_at < _dt(hi),
        )
        .subquery()
    )
    b = booking.c
    done = b.booking_status == "completed"
    kind = case(
        (and_(done, b.paid_ars.is_(None)), "unpaid"),
        (and_(~done, b.paid_ars.is_not(None)), "paid_not_completed"),
        (and_(done, func.abs(b.paid_ars - b.booking_ars) > AMOUNT_TOLERANCE), "amount_differs"),
        else_="",
    ).label("kind")
    differs = func.abs(func.coalesce(b.paid_ars, 0) - b.booking_ars) > AMOUNT_TOLERANCE

    def count_if(condition):
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

    def sum_if(condition, value):
        return func.coalesce(func.sum(case((condition, value), else_=0)), 0)

    cells = pd.DataFrame(
        conn.execute(
            select(
                b.tenant_id,
                b.day,
                count_if(done),
                sum_if(done, b.booking_ars),
                sum_if(done, func.coalesce(b.paid_ars, 0)),
                count_if(and_(done, b.paid_ars.is_(None))),
                count_if(and_(done, b.paid_ars.is_not(None), differs)),
                count_if(and_(~done, b.paid_ars.is_not(None))),
                sum_if(and_(~done, b.paid_ars.is_not(None)), b.paid_ars),
            )
            .where(or_(done, b.paid_ars.is_not(None)))
            .group_by(b.tenant_id, b.day)
        ).all(),
        columns=RECON_COLUMNS,
    )
    mismatches = pd.DataFrame(
        conn.execute(
            select(
                b.booking_id, b.tenant_id, b.day, kind, b.booking_status, b.booking_ars, b.paid_ars
            ).where(
                or_(
                    and_(done, or_(b.paid_ars.is_(None), differs)),
                    and_(~done, b.paid_ars.is_not(None)),
                )
            )
        ).all(),
        columns=MISMATCH_COLUMNS[:-1],
    )
    if cells.empty:
        return empty_frame(RECON_COLUMNS), empty_frame(MISMATCH_COLUMNS)
    cells["day"] = pd.to_datetime(cells["day"])
    money = ["completed_ars", "paid_ars", "paid_not_completed_ars"]
    cells[money] = cells[money].astype(float)
    mismatches["day"] = pd.to_datetime(mismatches["day"])
    mismatches["booking_ars"] = mismatches["booking_ars"].astype(float)
    mismatches["paid_ars"] = mismatches["paid_ars"].astype(float).fillna(0.0)
    mismatches["difference_ars"] = mismatches["paid_ars"] - mismatches["booking_ars"]
    return cells, mismatches[MISMATCH_COLUMNS]


# ------------------------------------------------------------------------ ledger
@dataclass
class Replaced:
    """The stored cells a run recomputed: whole days (every tenant) and single cells."""

    ranges: list[tuple[date, date]] = field(default_factory=list)  # [lo, hi) of every tenant
    cells: set[Cell] = field(default_factory=set)

    def __bool__(self) -> bool:
        return bool(self.ranges or self.cells)

    def mask(self, frame: pd.DataFrame) -> np.ndarray:
        """Rows of a cell frame (``tenant_id``, ``day``) that lie in what was replaced."""
        inside = np.zeros(len(frame), dtype=bool)
        if frame.empty:
            return inside
        for lo, hi in self.ranges:
            inside = inside | np.asarray(_day_mask(frame, lo, hi))
        return inside | _in_cells(frame, self.cells)

    def groups(self) -> dict[date, set[int] | None]:
        """The (month, tenants) groups whose monthly sums the replaced cells change;
        None: every tenant of that month."""
        out: dict[date, set[int] | None] = {}
        for lo, hi in self.ranges:
            month = month_of(lo)
            while month < hi:
                out[month] = None
                month = _next_month(month)
        for tenant_id, day in self.cells:
            month = month_of(day)
            tenants = out.setdefault(month, set())
            if tenants is not None:
                tenants.add(tenant_id)
        return out


@dataclass
class Ledger:
    """Per-(tenant, day) payment and reconciliation cells, and the days they cover.

    The cells live in their own tables (``core/schema/finance_ledger.py``); a run holds
    only what it recomputed: ``payments`` and ``recon`` are the fresh cells replacing the
    stored ones in ``replaced`` (all of them when ``reset``). ``mismatches`` is the whole
    listed window (small), stored with the detail snapshot.
    """

    covered_from: date  # inclusive
    covered_to: date  # exclusive: the day after the as-of day of the last run
    history_start: date
    payments: pd.DataFrame = field(default_factory=lambda: empty_frame(PAYMENT_COLUMNS))
    recon: pd.DataFrame = field(default_factory=lambda: empty_frame(RECON_COLUMNS))
    mismatches: pd.DataFrame = field(default_factory=lambda: empty_frame(MISMATCH_COLUMNS))
    replaced: dict[str, Replaced] = field(
        default_factory=lambda: {"payments": Replaced(), "recon": Replaced()}
    )
    reset: bool = False  # a new ledger: every stored cell is replaced

    @property
    def complete(self) -> bool:
        return self.covered_from <= self.history_start


# The ledger's private frames in the detail snapshot (pages never load "_" frames): the
# days it covers and the listed mismatches; its cells are in their own tables.
LEDGER_RANGE_FRAME = "_finance_ledger_range"
LEDGER_MISMATCH_FRAME = "_finance_ledger_mismatches"
# What a run hands to ``save_ledger`` (written with the snapshot, never stored in it).
CHANGE_FRAMES = {
    "payments": "finance_changed_payment_cells",
    "recon": "finance_changed_reconciliation_cells",
    "replaced": "finance_replaced_cells",
}
ALL_TENANTS = -1  # tenant_id of a replaced range of days (every tenant)
CellTable = type[FinancePaymentCell] | type[FinanceReconciliationCell]
CELL_TABLES: dict[str, CellTable] = {
    "payments": FinancePaymentCell,
    "recon": FinanceReconciliationCell,
}


def ledger_frames(ledger: Ledger) -> dict[str, pd.DataFrame]:
    """The ledger as frames: its range and mismatches (stored with the detail snapshot)
    and its changes (written to the cell tables by ``save_ledger``)."""
    replaced = [
        {"part": part, "tenant_id": ALL_TENANTS, "lo": lo, "hi": hi}
        for part, scope in ledger.replaced.items()
        for lo, hi in scope.ranges
    ] + [
        {"part": part, "tenant_id": tenant_id, "lo": day, "hi": day + timedelta(days=1)}
        for part, scope in ledger.replaced.items()
        for tenant_id, day in sorted(scope.cells)
    ]
    if ledger.reset:
        replaced = [{"part": "*", "tenant_id": ALL_TENANTS, "lo": None, "hi": None}]
    return {
        LEDGER_RANGE_FRAME: pd.DataFrame(
            {
                "covered_from": [pd.Timestamp(ledger.covered_from)],
                "covered_to": [pd.Timestamp(ledger.covered_to)],
                "history_start": [pd.Timestamp(ledger.history_start)],
            }
        ),
        LEDGER_MISMATCH_FRAME: ledger.mismatches,
        CHANGE_FRAMES["payments"]: ledger.payments,
        CHANGE_FRAMES["recon"]: ledger.recon,
        CHANGE_FRAMES["replaced"]: pd.DataFrame(
            replaced, columns=["part", "tenant_id", "lo", "hi"]
        ),
    }


def ledger_from_frames(frames: dict[str, pd.DataFrame]) -> Ledger | None:
    """The ledger header stored by ``ledger_frames`` (its cells stay in their tables);
    None when a part is missing."""
    if LEDGER_RANGE_FRAME not in frames or LEDGER_MISMATCH_FRAME not in frames:
        return None
    span = frames[LEDGER_RANGE_FRAME]
    if span.empty:
        return None
    row = span.iloc[0]
    return Ledger(
        covered_from=pd.Timestamp(row["covered_from"]).date(),
        covered_to=pd.Timestamp(row["covered_to"]).date(),
        history_start=pd.Timestamp(row["history_start"]).date(),
        mismatches=frames[LEDGER_MISMATCH_FRAME],
    )


def save_ledger(session: Session, frames: dict[str, pd.DataFrame]) -> None:
    """Write a run's ledger changes (``ledger_frames``) to the cell tables.

    Called in the detail snapshot's transaction: the replaced cells are deleted and the
    fresh ones inserted, so the tables always match the snapshot's monthly sums and marks.
    """
    # Core statements on the tables (no ORM objects): executemany, one round trip each.
    conn = session.connection()
    replaced = frames[CHANGE_FRAMES["replaced"]]
    if (replaced["part"] == "*").any():
        for model in CELL_TABLES.values():
            conn.execute(delete(cast(Table, model.__table__)))
    for part, model in CELL_TABLES.items():
        table = cast(Table, model.__table__)
        mine = replaced[replaced["part"] == part]
        ranges = mine[mine["tenant_id"] == ALL_TENANTS]
        for lo, hi in zip(ranges["lo"], ranges["hi"], strict=True):
            conn.execute(
                delete(table).where(table.c.day >= _as_date(lo), table.c.day < _as_date(hi))
            )
        cells = mine[mine["tenant_id"] != ALL_TENANTS]
        if not cells.empty:
            conn.execute(
                delete(table).where(
                    table.c.tenant_id == bindparam("t"), table.c.day == bindparam("d")
                ),
                [
                    {"t": int(t), "d": _as_date(d)}
                    for t, d in zip(cells["tenant_id"], cells["lo"], strict=True)
                ],
            )
        fresh = frames[CHANGE_FRAMES[part]]
        if not fresh.empty:
            records = fresh.assign(day=pd.to_datetime(fresh["day"]).dt.date).to_dict("records")
            conn.execute(insert(table), records)


def stored_cells(
    conn: Connection, part: str, groups: dict[date, set[int] | None] | None
) -> pd.DataFrame:
    """The stored cells of ``part`` in the (month, tenants) ``groups`` (None: all)."""
    table = CELL_TABLES[part]
    columns = PAYMENT_COLUMNS if part == "payments" else RECON_COLUMNS
    found: list[tuple[object, ...]] = []
    if groups is None:
        found.extend(
            tuple(row) for row in conn.execute(select(*(getattr(table, c) for c in columns)))
        )
    for month, tenants in sorted((groups or {}).items(), key=lambda item: item[0]):
        query = select(*(getattr(table, c) for c in columns)).where(
            table.day >= month, table.day < _next_month(month)
        )
        if tenants is not None:
            query = query.where(table.tenant_id.in_(sorted(tenants)))
        found.extend(tuple(row) for row in conn.execute(query))
    frame = pd.DataFrame(found, columns=columns)
    if frame.empty:
        return empty_frame(columns)
    return frame.assign(day=pd.to_datetime(frame["day"]))


def _as_date(value: object) -> date:
    return pd.Timestamp(value).date()


def _next_month(month: date) -> date:
    return (month.replace(day=28) + timedelta(days=4)).replace(day=1)


def _history_start(conn: Connection, fallback: date) -> date:
    """The first day with a booking or a payment (per-tenant index seeks, no table scan)."""
    firsts = []
    for moment, tenant_id in (
        (Booking.start_at, Booking.tenant_id),
        (Payment.created_at, Payment.tenant_id),
    ):
        per_tenant = select(func.min(moment)).where(tenant_id == Tenant.id).scalar_subquery()
        first = conn.scalar(select(func.min(per_tenant)).select_from(Tenant))
        if first is not None:
            firsts.append(pd.Timestamp(first).date())
    return min(firsts) if firsts else fallback


def _replace(kept: pd.DataFrame, new: pd.DataFrame, drop: pd.Series) -> pd.DataFrame:
    parts = [frame for frame in (kept[~drop], new) if not frame.empty]
    if not parts:
        return kept.iloc[0:0]
    return pd.concat(parts, ignore_index=True)


def _day_mask(frame: pd.DataFrame, lo: date, hi: date) -> pd.Series:
    days = pd.to_datetime(frame["day"])
    return (days >= pd.Timestamp(lo)) & (days < pd.Timestamp(hi))


def _recompute(ledger: Ledger, conn: Connection, lo: date, hi: date) -> None:
    """Recompute the cells of days [lo, hi), every tenant."""
    recon_hi = min(hi, ledger.covered_to - timedelta(days=1))  # today is never reconciled
    if hi > lo:
        fresh = payment_cells(conn, lo, hi)
        ledger.payments = _replace(ledger.payments, fresh, _day_mask(ledger.payments, lo, hi))
        ledger.replaced["payments"].ranges.append((lo, hi))
    if recon_hi > lo:
        cells, mismatches = reconciliation_cells(conn, lo, recon_hi)
        ledger.recon = _replace(ledger.recon, cells, _day_mask(ledger.recon, lo, recon_hi))
        ledger.replaced["recon"].ranges.append((lo, recon_hi))
        old = ledger.mismatches
        ledger.mismatches = _replace(old, mismatches, _day_mask(old, lo, recon_hi))


def _in_cells(frame: pd.DataFrame, cells: set[tuple[int, date]]) -> np.ndarray:
    """Rows of a ledger part whose (tenant_id, day) is one of ``cells``."""
    if frame.empty or not cells:
        return np.zeros(len(frame), dtype=bool)
    keys = pd.MultiIndex.from_arrays(
        [frame["tenant_id"].astype("int64"), pd.to_datetime(frame["day"])]
    )
    wanted = pd.MultiIndex.from_tuples([(t, pd.Timestamp(d)) for t, d in cells])
    return np.asarray(keys.isin(wanted))


def _recompute_cells(
    ledger: Ledger, conn: Connection, cells: set[tuple[int, date]], *, payments: bool
) -> None:
    """Recompute the ledger's payment (or reconciliation) cells among ``cells``.

    One indexed query per touched day (its tenants only): a run costs its touched
    cells, not the ledger's size.
    """
    # Today's bookings are never reconciled (covered_to is the day after the as-of day).
    last = ledger.covered_to - timedelta(days=1 if payments else 2)
    cells = {(t, d) for t, d in cells if ledger.covered_from <= d <= last}
    if not cells:
        return
    by_day: dict[date, list[int]] = {}
    for tenant_id, day in sorted(cells):
        by_day.setdefault(day, []).append(tenant_id)
    nxt = timedelta(days=1)
    if payments:
        fresh = [payment_cells(conn, day, day + nxt, ids) for day, ids in by_day.items()]
        ledger.payments = concat_kept(ledger.payments, ~_in_cells(ledger.payments, cells), fresh)
        ledger.replaced["payments"].cells |= cells
        return
    pairs = [reconciliation_cells(conn, day, day + nxt, ids) for day, ids in by_day.items()]
    ledger.recon = concat_kept(ledger.recon, ~_in_cells(ledger.recon, cells), [p[0] for p in pairs])
    ledger.replaced["recon"].cells |= cells
    ledger.mismatches = concat_kept(
        ledger.mismatches, ~_in_cells(ledger.mismatches, cells), [p[1] for p in pairs]
    )


def concat_kept(kept: pd.DataFrame, keep: np.ndarray, fresh: list[pd.DataFrame]) -> pd.DataFrame:
    """The kept rows (``keep``: a mask over ``kept``) followed by the fresh frames."""
    parts = [frame for frame in (kept[keep], *fresh) if not frame.empty]
    return pd.concat(parts, ignore_index=True) if parts else kept.iloc[0:0]


def update_ledger(
    session: Session,
    as_of: date,
    *,
    ledger: Ledger | None = None,
    touched: Touched | None = None,
    budget_s: float | None = None,
) -> Ledger:
    """Bring a ledger up to ``as_of``: touched cells, new days, older history.

    Parameters
    ----------
    session
        A read session.
    as_of
        The last day covered (its reconciliation waits for the next day).
    ledger, touched
        The previous run's ledger (header; its cells are in the tables) and the
        tenant-days touched since; without them a new ledger is started (the last
        ``BACKFILL_DAYS`` days) that replaces every stored cell.
    budget_s
        Older history is added slice by slice while the run is under this many seconds
        (default ``BACKFILL_BUDGET_S``, read at call time so tests can lift it).

    Returns
    -------
    Ledger
        Its range, its mismatches and the cells recomputed by this run (``replaced``),
        to be written by ``save_ledger``.
    """
    started = time.perf_counter()
    budget_s = BACKFILL_BUDGET_S if budget_s is None else budget_s
    conn = session.connection()
    end = as_of + timedelta(days=1)
    history_start = _history_start(conn, as_of)
    if ledger is not None and (
        touched is None or end < ledger.covered_to or history_start != ledger.history_start
    ):
        ledger = None  # the clock went back or the data was replaced: start over
    if ledger is None:
        covered_from = max(history_start, as_of - timedelta(days=BACKFILL_DAYS - 1))
        ledger = Ledger(covered_from, end, history_start, reset=True)
        _recompute(ledger, conn, covered_from, end)
    else:
        assert touched is not None
        _recompute_cells(ledger, conn, set(touched.payments), payments=True)
        _recompute_cells(ledger, conn, touched.cells("bookings", "paid_bookings"), payments=False)
        if end > ledger.covered_to:  # the day turned: yesterday can now be reconciled
            new_from = ledger.covered_to - timedelta(days=1)
            ledger.covered_to = end
            _recompute(ledger, conn, new_from, end)
    while not ledger.complete and time.perf_counter() - started < budget_s:
        lo = max(ledger.history_start, ledger.covered_from - timedelta(days=BACKFILL_DAYS))
        _recompute(ledger, conn, lo, ledger.covered_from)
        ledger.covered_from = lo
    return ledger
