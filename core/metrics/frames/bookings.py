"""Bookings & Demand (and the client measures of Operational Efficiency): detail tables.

Small aggregates of the raw ``bookings`` table, per tenant and month unless said
otherwise: mix by channel and by service category, weekday x hour (per tier and
vertical), lead-time buckets, new vs returning clients, and the rebooking rate; plus
the per-tenant daily counts of the rollup, for charts that the tenant filters narrow.

Why month by month, and incremental: one pass over a year of raw bookings costs tens of
seconds of SQLite time on the default demo (3.4 M rows), but one month read through the
``(tenant_id, start_at)`` index costs well under a second. Each run therefore reuses the
months of the previous detail snapshot whose platform totals (bookings, completed,
cancelled, no-shows, GMV: from the incrementally kept ``console_rollup_day``) have not
moved, and re-reads only the others: in steady state the current month and the two
before it (whose rebooking outcomes are still open). The totals the reuse decision was
taken on are stored in ``bookings_month_state``; the rollup is the reference, so a
month read while the rollup lagged behind is simply read again next time.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import numpy as np
import pandas as pd
from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from core.metrics.booking_definitions import LEAD_BUCKETS, REBOOK_DAYS
from core.metrics.detail import FrameProvider
from core.metrics.snapshots import frame_from_bytes, latest_detail_version
from core.schema import (
    Booking,
    Customer,
    RollupDay,
    RollupTenantDay,
    Service,
    SnapshotFrame,
    Tenant,
)

HISTORY_MONTHS = 13  # the current month and the twelve before it
_LEAD_EDGES = np.array([1, 3, 8, 15])  # np.digitize edges of LEAD_BUCKETS
STATE_VERSION = 2  # bump when a stored frame changes shape: every month is then re-read
_TOTALS = ("bookings", "completed", "cancelled", "no_show", "gmv_ars")

MONTHLY_FRAMES = (
    "bookings_channel_monthly",
    "bookings_category_monthly",
    "bookings_heatmap_monthly",
    "bookings_lead_time_monthly",
    "bookings_clients_monthly",
    "bookings_rebooking_monthly",
)
STATE_FRAME = "bookings_month_state"
DAILY_FRAME = "bookings_tenant_day"
FRAMES = (DAILY_FRAME, *MONTHLY_FRAMES, STATE_FRAME)

_COLUMNS = {
    "bookings_channel_monthly": [
        "tenant_id",
        "month",
        "channel",
        "bookings",
        "completed",
        "gmv_ars",
    ],
    "bookings_category_monthly": [
        "tenant_id",
        "month",
        "category",
        "bookings",
        "completed",
        "gmv_ars",
    ],
    "bookings_heatmap_monthly": ["tier", "vertical", "month", "weekday", "hour", "bookings"],
    "bookings_lead_time_monthly": ["tenant_id", "month", "bucket", "bookings"],
    "bookings_clients_monthly": ["tenant_id", "month", "clients", "new_clients"],
    "bookings_rebooking_monthly": ["tenant_id", "month", "eligible", "rebooked"],
}


def _month_start(day: date) -> date:
    return day.replace(day=1)


def _add_months(month: date, n: int) -> date:
    index = month.year * 12 + month.month - 1 + n
    return date(index // 12, index % 12 + 1, 1)


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time())


def rebooking_cutoff(as_of: date) -> date:
    """Last appointment day whose rebooking window has closed by ``as_of``."""
    return as_of - timedelta(days=REBOOK_DAYS)


# ----------------------------------------------------------------------------- reads


def fetch_frame(session: Session, statement: Select, columns: list[str]) -> pd.DataFrame:
    """Rows of a Core select as a DataFrame, column by column.

    Reads the driver's cursor directly: no ORM, no per-value result processing (dates
    and timestamps arrive as the driver gives them, text on SQLite; callers parse them
    with pandas in one vectorised call).
    """
    result = session.connection().execute(statement)
    rows = result.cursor.fetchall() if result.cursor is not None else []
    result.close()
    if not rows:
        return pd.DataFrame(columns=columns)
    return pd.DataFrame(dict(zip(columns, (list(c) for c in zip(*rows, strict=True)), strict=True)))


def _rollup_month_totals(session: Session, first: date, as_of: date) -> pd.DataFrame:
    statement = select(
        RollupDay.day,
        RollupDay.bookings,
        RollupDay.completed,
        RollupDay.cancelled,
        RollupDay.no_show,
        RollupDay.gmv_ars,
    ).where(RollupDay.day >= first, RollupDay.day <= as_of)
    frame = fetch_frame(session, statement, ["day", *_TOTALS])
    if frame.empty:
        return pd.DataFrame(columns=["month", *_TOTALS])
    frame["month"] = pd.to_datetime(frame["day"]).dt.to_period("M").dt.to_timestamp().dt.date
    totals = frame.groupby("month", as_index=False)[list(_TOTALS)].sum()
    totals["gmv_ars"] = totals["gmv_ars"].astype(float).round(2)
    return totals


def previous_detail_frames(session: Session, names: tuple[str, ...]) -> dict[str, pd.DataFrame]:
    """The frames ``names`` of the newest detail snapshot (those it has; {} without one)."""
    version = latest_detail_version(session=session)
    if version is None:
        return {}
    rows = session.execute(
        select(SnapshotFrame.name, SnapshotFrame.data).where(
            SnapshotFrame.version == version, SnapshotFrame.name.in_(names)
        )
    ).all()
    return {name: frame_from_bytes(data) for name, data in rows}


def _read_month(session: Session, start: date, end: datetime) -> pd.DataFrame:
    """Raw bookings starting in [start, end), with the client's "since" date."""
    # ``tenant_id IN (all tenants)`` lets SQLite seek the (tenant_id, start_at) index per
    # tenant instead of scanning the whole table for one month.
    statement = (
        select(
            Booking.tenant_id,
            Booking.customer_id,
            Booking.service_id,
            Booking.start_at,
            Booking.created_at,
            Booking.status,
            Booking.channel,
            Booking.price_ars,
            Customer.created_at,
        )
        .join(Customer, Customer.id == Booking.customer_id)
        .where(
            Booking.tenant_id.in_(select(Tenant.id)),
            Booking.start_at >= _midnight(start),
            Booking.start_at < end,
        )
    )
    columns = [
        "tenant_id",
        "customer_id",
        "service_id",
        "start_at",
        "created_at",
        "status",
        "channel",
        "price_ars",
        "client_since",
    ]
    frame = fetch_frame(session, statement, columns)
    for column in ("start_at", "created_at", "client_since"):
        frame[column] = pd.to_datetime(frame[column], format="ISO8601")
    frame["price_ars"] = frame["price_ars"].astype(float)
    return frame


# ------------------------------------------------------------------------ aggregates


def month_aggregates(
    rows: pd.DataFrame,
    month: date,
    *,
    categories: dict[int, str],
    tenants: pd.DataFrame,
) -> dict[str, pd.DataFrame]:
    """The activity tables of one month from its raw booking rows (all but rebooking).

    ``tenants`` has tenant_id, tier and vertical; ``categories`` maps service id to category.
    """
    rows = rows[
        (rows["start_at"] >= pd.Timestamp(month))
        & (rows["start_at"] < pd.Timestamp(_add_months(month, 1)))
    ]
    completed = rows["status"] == "completed"
    base = rows.assign(
        completed=completed.astype("int64"),
        gmv_ars=np.where(completed, rows["price_ars"], 0.0),
        category=rows["service_id"].map(categories).fillna("other"),
    )
    out: dict[str, pd.DataFrame] = {}
    for name, column in (
        ("bookings_channel_monthly", "channel"),
        ("bookings_category_monthly", "category"),
    ):
        grouped = base.groupby(["tenant_id", column], as_index=False).agg(
            bookings=("status", "size"), completed=("completed", "sum"), gmv_ars=("gmv_ars", "sum")
        )
        out[name] = grouped.assign(month=month)[_COLUMNS[name]]

    dims = tenants.set_index("tenant_id")
    heat = pd.DataFrame(
        {
            "tier": base["tenant_id"].map(dims["tier"]).fillna("unknown"),
            "vertical": base["tenant_id"].map(dims["vertical"]).fillna("unknown"),
            "weekday": base["start_at"].dt.day_of_week,  # Monday = 0, local time
            "hour": base["start_at"].dt.hour,
        }
    )
    heat = heat.groupby(["tier", "vertical", "weekday", "hour"], as_index=False).size()
    out["bookings_heatmap_monthly"] = heat.rename(columns={"size": "bookings"}).assign(month=month)[
        _COLUMNS["bookings_heatmap_monthly"]
    ]

    gap = (base["start_at"].dt.normalize() - base["created_at"].dt.normalize()).dt.days
    bucket = np.digitize(gap.clip(lower=0).to_numpy(), _LEAD_EDGES)
    lead = pd.DataFrame({"tenant_id": base["tenant_id"], "bucket": np.array(LEAD_BUCKETS)[bucket]})
    lead = lead.groupby(["tenant_id", "bucket"], as_index=False).size()
    out["bookings_lead_time_monthly"] = lead.rename(columns={"size": "bookings"}).assign(
        month=month
    )[_COLUMNS["bookings_lead_time_monthly"]]

    visits = base[completed]
    since = visits["client_since"]
    new = visits[(since >= pd.Timestamp(month)) & (since < pd.Timestamp(_add_months(month, 1)))]
    clients = pd.DataFrame(
        {
            "clients": visits.groupby("tenant_id")["customer_id"].nunique(),
            "new_clients": new.groupby("tenant_id")["customer_id"].nunique(),
        }
    ).fillna(0)
    clients = clients.astype("int64").rename_axis("tenant_id").reset_index()
    out["bookings_clients_monthly"] = clients.assign(month=month)[
        _COLUMNS["bookings_clients_monthly"]
    ]
    return out


def rebooking(rows: pd.DataFrame, month: date, *, cutoff: date) -> pd.DataFrame:
    """Per tenant: completed visits of ``month`` on or before ``cutoff`` (eligible), and how
    many of them were followed by the same client's next non-cancelled booking at the same
    business starting within ``REBOOK_DAYS`` calendar days.

    ``rows`` must hold the bookings from the month's first day to at least ``REBOOK_DAYS``
    days after ``cutoff`` (or after the month, whichever comes first).
    """
    kept = rows[rows["status"] != "cancelled"].sort_values(["customer_id", "start_at"])
    next_start = kept.groupby("customer_id")["start_at"].shift(-1)
    gap = (next_start.dt.normalize() - kept["start_at"].dt.normalize()).dt.days
    day = kept["start_at"].dt.normalize()
    eligible = (
        (kept["status"] == "completed")
        & (day >= pd.Timestamp(month))
        & (day < pd.Timestamp(_add_months(month, 1)))
        & (day <= pd.Timestamp(cutoff))
    )
    frame = pd.DataFrame(
        {
            "tenant_id": kept["tenant_id"][eligible],
            "rebooked": (gap[eligible] <= REBOOK_DAYS).astype("int64"),
        }
    )
    grouped = frame.groupby("tenant_id", as_index=False).agg(
        eligible=("rebooked", "size"), rebooked=("rebooked", "sum")
    )
    return grouped.assign(month=month)[_COLUMNS["bookings_rebooking_monthly"]]


def _empty(name: str) -> pd.DataFrame:
    return pd.DataFrame(columns=_COLUMNS[name])


# -------------------------------------------------------------------------- provider


def _reusable_months(
    previous: dict[str, pd.DataFrame], totals: pd.DataFrame, as_of: date
) -> set[date]:
    """Months whose stored tables are still right: same totals, and rebooking final."""
    state = previous.get(STATE_FRAME)
    if state is None or state.empty or any(name not in previous for name in MONTHLY_FRAMES):
        return set()
    if "state_version" not in state or int(state["state_version"].iloc[0]) != STATE_VERSION:
        return set()
    merged = state.merge(totals, on="month", suffixes=("_then", "_now"))
    same = np.ones(len(merged), dtype=bool)
    for column in _TOTALS:
        same &= np.isclose(
            merged[f"{column}_then"].astype(float), merged[f"{column}_now"].astype(float)
        )
    as_of_then = pd.to_datetime(merged["as_of"]).dt.date
    month_end = merged["month"].map(lambda m: _add_months(m, 1) - timedelta(days=1))
    # the current month grows every day; rebooking is final once its window has closed
    closed = (month_end < as_of_then) & (month_end <= as_of_then.map(rebooking_cutoff))
    same_day = as_of_then == as_of
    return set(merged["month"][same & (closed | same_day)])


def compute_bookings_frames(session: Session, as_of: date) -> dict[str, pd.DataFrame]:
    """Every Bookings & Demand table as of the end of ``as_of`` (see the module docstring)."""
    first_month = _add_months(_month_start(as_of), -(HISTORY_MONTHS - 1))
    months = [_add_months(first_month, k) for k in range(HISTORY_MONTHS)]
    end = _midnight(as_of + timedelta(days=1))
    totals = _rollup_month_totals(session, first_month, as_of)
    totals = pd.DataFrame({"month": months}).merge(totals, on="month", how="left").fillna(0)

    previous = previous_detail_frames(session, FRAMES)
    reuse = _reusable_months(previous, totals, as_of)
    active = set(totals.loc[totals["bookings"] > 0, "month"])
    todo = [m for m in months if m in active and m not in reuse]

    tenants = pd.DataFrame(
        session.execute(select(Tenant.id, Tenant.tier, Tenant.vertical)).all(),
        columns=["tenant_id", "tier", "vertical"],
    )
    categories = dict(session.execute(select(Service.id, Service.category)).all())
    cutoff = rebooking_cutoff(as_of)
    fetched: dict[date, pd.DataFrame] = {}

    def rows_of(month: date) -> pd.DataFrame:
        if month not in fetched:
            fetched[month] = _read_month(session, month, min(_midnight(_add_months(month, 1)), end))
        return fetched[month]

    parts: dict[str, list[pd.DataFrame]] = {name: [] for name in MONTHLY_FRAMES}
    for name in MONTHLY_FRAMES:
        if reuse and name in previous:
            stored = previous[name]
            stored_months = pd.to_datetime(stored["month"]).dt.date
            parts[name].append(stored[stored_months.isin(reuse)].assign(month=stored_months))
    # a month's next visits can fall up to REBOOK_DAYS later: two more months of rows
    span = (REBOOK_DAYS // 28) + 1
    for month in todo:
        aggregates = month_aggregates(rows_of(month), month, categories=categories, tenants=tenants)
        for name, frame in aggregates.items():
            parts[name].append(frame)
        if month <= cutoff:
            window = pd.concat(
                [
                    rows_of(m)
                    for m in [_add_months(month, k) for k in range(span + 1)]
                    if m <= as_of
                ],
                ignore_index=True,
            )
            parts["bookings_rebooking_monthly"].append(rebooking(window, month, cutoff=cutoff))

    frames: dict[str, pd.DataFrame] = {}
    for name in MONTHLY_FRAMES:
        pieces = [p for p in parts[name] if not p.empty]
        frame = pd.concat(pieces, ignore_index=True) if pieces else _empty(name)
        frames[name] = _typed(frame.sort_values(_COLUMNS[name][:3]).reset_index(drop=True))
    state = totals.assign(as_of=as_of, state_version=STATE_VERSION)
    state["gmv_ars"] = state["gmv_ars"].astype(float)
    frames[STATE_FRAME] = state
    frames[DAILY_FRAME] = _tenant_days(
        session, first_month, as_of, previous=previous.get(DAILY_FRAME), reuse=reuse
    )
    return frames


def _typed(frame: pd.DataFrame) -> pd.DataFrame:
    """Compact dtypes so the snapshot stays small; months as dates."""
    out = frame.copy()
    for column in out.columns:
        if column == "month":
            # timestamps, not date objects: pages compare them without converting
            out[column] = pd.to_datetime(out[column]).astype("datetime64[ns]")
        elif column in ("gmv_ars",):
            out[column] = out[column].astype("float64")
        elif column in (
            "tenant_id",
            "bookings",
            "completed",
            "clients",
            "new_clients",
            "eligible",
            "rebooked",
        ):
            out[column] = out[column].astype("int32")
        elif column in ("weekday", "hour"):
            out[column] = out[column].astype("int8")
        else:
            out[column] = out[column].astype(str)
    return out


def _tenant_days(
    session: Session,
    first_month: date,
    as_of: date,
    *,
    previous: pd.DataFrame | None,
    reuse: set[date],
) -> pd.DataFrame:
    """Per tenant and day (with bookings) from the rollup, over the kept months.

    Days of the leading run of reusable months come from the previous table (the rollup
    read costs seconds on the default demo; the recent months are read again).
    """
    columns = ["tenant_id", "day", "bookings", "completed", "cancelled", "no_show", "gmv_ars"]
    kept = pd.DataFrame(columns=columns)
    read_from = first_month
    if previous is not None and reuse:
        month = first_month
        while month in reuse:
            month = _add_months(month, 1)
        read_from = month
        days = pd.to_datetime(previous["day"])
        kept = previous[(days >= pd.Timestamp(first_month)) & (days < pd.Timestamp(read_from))]
    statement = select(
        RollupTenantDay.tenant_id,
        RollupTenantDay.day,
        RollupTenantDay.bookings,
        RollupTenantDay.completed,
        RollupTenantDay.cancelled,
        RollupTenantDay.no_show,
        RollupTenantDay.gmv_ars,
    ).where(
        RollupTenantDay.day >= read_from,
        RollupTenantDay.day <= as_of,
        RollupTenantDay.bookings > 0,
    )
    fresh = fetch_frame(session, statement, columns)
    fresh["day"] = pd.to_datetime(fresh["day"])
    parts = [frame for frame in (kept, fresh) if not frame.empty]
    frame = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=columns)
    for column in ("tenant_id", "bookings", "completed", "cancelled", "no_show"):
        frame[column] = frame[column].astype("int32")
    frame["gmv_ars"] = frame["gmv_ars"].astype(float)
    frame["day"] = pd.to_datetime(frame["day"]).astype("datetime64[ns]")
    return frame.sort_values(["day", "tenant_id"]).reset_index(drop=True)


PROVIDERS = [
    FrameProvider(
        name="bookings",
        frames=FRAMES,
        compute=compute_bookings_frames,
        description=(
            "Bookings & Demand: per-tenant daily counts; per tenant and month the channel and "
            "service-category mix, lead-time buckets, new vs returning clients and rebooking; "
            "weekday x hour per tier and vertical. Months reused while their totals hold."
        ),
    )
]
