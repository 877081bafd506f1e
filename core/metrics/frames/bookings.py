"""Bookings & Demand (and the client measures of Operational Efficiency): detail tables.

Small aggregates of the raw ``bookings`` table, per tenant and month unless said
otherwise: mix by channel and by service category, weekday x hour (per tier and
vertical), lead-time buckets, new vs returning clients, and the rebooking rate; plus
the per-tenant daily counts of the rollup, for charts that the tenant filters narrow.

Why month by month: one pass over a year of raw bookings as one query costs tens of
seconds of SQLite time on the default demo (3.1 M rows), but one month read through the
``(tenant_id, start_at)`` index costs well under a second; each month is read once and
the tables of all months are grouped in one vectorised pass.

Incremental (``update``, at the 30 s refresh): a run re-reads only the months a change
can reach (those of the touched days and of the ``REBOOK_DAYS`` before them: a new
booking can be an earlier visit's rebooking) plus the months whose rebooking window is
still open, keeps the others from its previous tables, and replaces the per-tenant days
on the touched days, like regions. ``compute`` is always a whole recomputation (what the
property test compares ``update`` against).

Not followed between full runs (the next day's full run picks them up): a tenant's tier or
vertical, a service's category, and a booking moved out of a closed month (only its new
day is marked, the same limit as the rollups').
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import numpy as np
import pandas as pd
from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from core.metrics.booking_definitions import LEAD_BUCKETS, REBOOK_DAYS
from core.metrics.detail import FrameProvider
from core.metrics.detail_changes import Touched
from core.metrics.snapshots import frame_from_bytes, latest_detail_version
from core.schema import (
    Booking,
    Customer,
    RollupTenantDay,
    Service,
    SnapshotFrame,
    Tenant,
)

HISTORY_MONTHS = 13  # the current month and the twelve before it
_LEAD_EDGES = np.array([1, 3, 8, 15])  # np.digitize edges of LEAD_BUCKETS
# Beyond this many touched days an update reads the whole per-tenant days instead.
MAX_DAYS_PER_UPDATE = 400

MONTHLY_FRAMES = (
    "bookings_channel_monthly",
    "bookings_category_monthly",
    "bookings_heatmap_monthly",
    "bookings_lead_time_monthly",
    "bookings_clients_monthly",
    "bookings_rebooking_monthly",
)
DAILY_FRAME = "bookings_tenant_day"
FRAMES = (DAILY_FRAME, *MONTHLY_FRAMES)

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
_VALUES = {"bookings", "completed", "gmv_ars", "clients", "new_clients", "eligible", "rebooked"}


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


_ROW_COLUMNS = [
    "id",
    "tenant_id",
    "customer_id",
    "service_id",
    "start_at",
    "created_at",
    "status",
    "channel",
    "price_ars",
]


def _read_month_rows(session: Session, start: date, end: datetime) -> pd.DataFrame:
    """Raw bookings starting in [start, end), compact: numbers, timestamps, categories."""
    # ``tenant_id IN (all tenants)`` lets SQLite seek the (tenant_id, start_at) index per
    # tenant instead of scanning the whole table for one month.
    statement = select(
        Booking.id,
        Booking.tenant_id,
        Booking.customer_id,
        Booking.service_id,
        Booking.start_at,
        Booking.created_at,
        Booking.status,
        Booking.channel,
        Booking.price_ars,
    ).where(
        Booking.tenant_id.in_(select(Tenant.id)),
        Booking.start_at >= _midnight(start),
        Booking.start_at < end,
    )
    result = session.connection().execute(statement)
    rows = result.cursor.fetchall() if result.cursor is not None else []
    result.close()
    columns = list(zip(*rows, strict=True)) or [() for _ in _ROW_COLUMNS]
    # Built column by column with numpy: timestamps arrive as ISO text (SQLite) or
    # datetimes (PostgreSQL), both parsed in one call; going through a DataFrame of
    # Python objects (and pandas' string inference) cost more than the read itself.
    booking_id, tenant, customer, service, start_at, created_at, status, channel, price = columns
    return pd.DataFrame(
        {
            "id": np.array(booking_id, dtype="int64"),
            "tenant_id": np.array(tenant, dtype="int32"),
            "customer_id": np.array(customer, dtype="int64"),
            "service_id": np.array(service, dtype="int64"),
            "start_at": _timestamps(start_at),
            "created_at": _timestamps(created_at),
            "status": np.array(status, dtype=object),
            "channel": np.array(channel, dtype=object),
            "price_ars": np.array([float(p) for p in price], dtype="float64"),
        }
    )


def _timestamps(values: tuple[object, ...]) -> np.ndarray:
    try:
        return np.array(values, dtype="datetime64[us]").astype("datetime64[ns]")
    except ValueError:  # an unusual text form: let pandas parse it
        return pd.to_datetime(pd.Series(values, dtype=object), format="ISO8601").to_numpy()


def read_rows(session: Session, months: list[date], end: datetime) -> pd.DataFrame:
    """The raw bookings of ``months`` (month starts) up to ``end``, with the client's
    "since" timestamp (NaT for clients who came before the first of those months).

    One query per month: a month's rows as Python objects are the peak memory, not the
    whole history's. The client's "since" is read from the clients who came on or after
    the first month (the only ones who can be new in it), not joined per booking: the
    join doubled the read's cost.
    """
    parts = [
        _read_month_rows(session, month, min(_midnight(_add_months(month, 1)), end))
        for month in sorted(set(months))
        if _midnight(month) < end
    ]
    parts = [part for part in parts if not part.empty]
    if not parts:
        empty = pd.DataFrame(columns=[*_ROW_COLUMNS, "client_since"])
        for column in ("start_at", "created_at", "client_since"):
            empty[column] = pd.to_datetime(empty[column])
        return empty
    rows = pd.concat(parts, ignore_index=True)
    rows = rows.astype({"status": "category", "channel": "category"})
    first = min(months)
    clients = fetch_frame(
        session,
        select(Customer.id, Customer.created_at).where(Customer.created_at >= _midnight(first)),
        ["customer_id", "client_since"],
    )
    since = pd.Series(
        pd.to_datetime(clients["client_since"], format="ISO8601").to_numpy(),
        index=clients["customer_id"].astype("int64").to_numpy(),
    )
    rows["client_since"] = rows["customer_id"].map(since).astype("datetime64[ns]")
    return rows


# ------------------------------------------------------------------------ aggregates


def _month_column(start_at: pd.Series) -> pd.Series:
    return pd.Series(
        start_at.to_numpy().astype("datetime64[M]").astype("datetime64[ns]"), index=start_at.index
    )


def activity_tables(
    rows: pd.DataFrame, *, categories: dict[int, str], tenants: pd.DataFrame
) -> dict[str, pd.DataFrame]:
    """The activity tables (all but rebooking) of every month ``rows`` start in.

    ``tenants`` has tenant_id, tier and vertical; ``categories`` maps service id to category.
    """
    month = _month_column(rows["start_at"])
    completed = (rows["status"] == "completed").to_numpy()
    # Categories, not text: grouping millions of rows by text keys cost seconds.
    base = pd.DataFrame(
        {
            "tenant_id": rows["tenant_id"].to_numpy(),
            "month": month.to_numpy(),
            "channel": pd.Categorical(rows["channel"]),
            "category": pd.Categorical(rows["service_id"].map(categories).fillna("other")),
            "completed": completed.astype("int64"),
            "gmv_ars": np.where(completed, rows["price_ars"].to_numpy(dtype=float), 0.0),
        }
    )
    out: dict[str, pd.DataFrame] = {}
    for name, column in (
        ("bookings_channel_monthly", "channel"),
        ("bookings_category_monthly", "category"),
    ):
        grouped = base.groupby(["tenant_id", "month", column], as_index=False, observed=True).agg(
            bookings=("completed", "size"),
            completed=("completed", "sum"),
            gmv_ars=("gmv_ars", "sum"),
        )
        out[name] = grouped[_COLUMNS[name]]

    dims = tenants.set_index("tenant_id")
    start = rows["start_at"]
    heat = pd.DataFrame(
        {
            "tier": pd.Categorical(rows["tenant_id"].map(dims["tier"]).fillna("unknown")),
            "vertical": pd.Categorical(rows["tenant_id"].map(dims["vertical"]).fillna("unknown")),
            "month": month.to_numpy(),
            "weekday": start.dt.day_of_week.to_numpy(),  # Monday = 0, local time
            "hour": start.dt.hour.to_numpy(),
        }
    )
    heat = heat.groupby(
        ["tier", "vertical", "month", "weekday", "hour"], as_index=False, observed=True
    ).size()
    out["bookings_heatmap_monthly"] = heat.rename(columns={"size": "bookings"})[
        _COLUMNS["bookings_heatmap_monthly"]
    ]

    gap = (start.dt.normalize() - rows["created_at"].dt.normalize()).dt.days
    bucket = np.digitize(gap.clip(lower=0).to_numpy(), _LEAD_EDGES)
    lead = pd.DataFrame(
        {
            "tenant_id": base["tenant_id"],
            "month": base["month"],
            "bucket": pd.Categorical.from_codes(bucket, categories=list(LEAD_BUCKETS)),
        }
    )
    lead = lead.groupby(["tenant_id", "month", "bucket"], as_index=False, observed=True).size()
    out["bookings_lead_time_monthly"] = lead.rename(columns={"size": "bookings"})[
        _COLUMNS["bookings_lead_time_monthly"]
    ]

    since = _month_column(rows["client_since"]).to_numpy()
    visits = pd.DataFrame(
        {
            "tenant_id": base["tenant_id"],
            "month": base["month"],
            "customer_id": rows["customer_id"].to_numpy(),
            "new": since == month.to_numpy(),  # NaT (an older client) is never equal
        }
    )[completed]
    keys = ["tenant_id", "month"]
    clients = pd.DataFrame(
        {
            "clients": visits.groupby(keys)["customer_id"].nunique(),
            "new_clients": visits[visits["new"]].groupby(keys)["customer_id"].nunique(),
        }
    ).fillna(0)
    clients = clients.astype("int64").reset_index()
    out["bookings_clients_monthly"] = clients[_COLUMNS["bookings_clients_monthly"]]
    return out


def month_aggregates(
    rows: pd.DataFrame,
    month: date,
    *,
    categories: dict[int, str],
    tenants: pd.DataFrame,
) -> dict[str, pd.DataFrame]:
    """The activity tables of one month from its raw booking rows (all but rebooking)."""
    starts = rows["start_at"]
    inside = (starts >= pd.Timestamp(month)) & (starts < pd.Timestamp(_add_months(month, 1)))
    return activity_tables(rows[inside], categories=categories, tenants=tenants)


def rebooking_tables(rows: pd.DataFrame, months: set[date], *, cutoff: date) -> pd.DataFrame:
    """Per tenant and month of ``months``: completed visits on or before ``cutoff``
    (eligible), and how many of them were followed by the same client's next
    non-cancelled booking at the same business starting within ``REBOOK_DAYS`` calendar
    days.

    ``rows`` must hold the bookings from the first of ``months`` to at least
    ``REBOOK_DAYS`` days after ``cutoff`` (or after the last month, whichever comes
    first). Ties (a client's bookings at the same minute) are ordered by booking id when
    ``rows`` has one, so the result does not depend on the rows' order.
    """
    keys = ["customer_id", "start_at", "id"] if "id" in rows else ["customer_id", "start_at"]
    kept = rows[rows["status"] != "cancelled"].sort_values(keys, kind="stable")
    customer = kept["customer_id"].to_numpy()
    day = kept["start_at"].dt.normalize().to_numpy()
    same_client = np.zeros(len(kept), dtype=bool)
    same_client[:-1] = customer[:-1] == customer[1:]
    gap = np.full(len(kept), REBOOK_DAYS + 1, dtype="int64")
    if len(kept) > 1:
        gap[:-1] = (day[1:] - day[:-1]).astype("timedelta64[D]").astype("int64")
    month = day.astype("datetime64[M]")
    wanted = np.array(sorted(months), dtype="datetime64[M]")
    eligible = (
        (kept["status"] == "completed").to_numpy()
        & np.isin(month, wanted)
        & (day <= np.datetime64(cutoff, "D"))
    )
    frame = pd.DataFrame(
        {
            "tenant_id": kept["tenant_id"].to_numpy()[eligible],
            "month": month[eligible].astype("datetime64[ns]"),
            "rebooked": (same_client & (gap <= REBOOK_DAYS))[eligible].astype("int64"),
        }
    )
    grouped = frame.groupby(["tenant_id", "month"], as_index=False).agg(
        eligible=("rebooked", "size"), rebooked=("rebooked", "sum")
    )
    return grouped[_COLUMNS["bookings_rebooking_monthly"]]


def rebooking(rows: pd.DataFrame, month: date, *, cutoff: date) -> pd.DataFrame:
    """``rebooking_tables`` of one month."""
    return rebooking_tables(rows, {month}, cutoff=cutoff)


def _empty(name: str) -> pd.DataFrame:
    return pd.DataFrame(columns=_COLUMNS[name])


# -------------------------------------------------------------------------- provider

# Columns that identify a row of each table (the rest are counts): tables are sorted by
# them, so an updated table and a recomputed one come out in the same order.
_KEYS = {name: [c for c in columns if c not in _VALUES] for name, columns in _COLUMNS.items()}


def _history(as_of: date) -> list[date]:
    """The months the tables cover: the current one and the twelve before it."""
    first = _add_months(_month_start(as_of), -(HISTORY_MONTHS - 1))
    return [_add_months(first, k) for k in range(HISTORY_MONTHS)]


def _months_between(first: date, last: date) -> list[date]:
    months, month = [], _month_start(first)
    while month <= last:
        months.append(month)
        month = _add_months(month, 1)
    return months


def _monthly_frames(session: Session, as_of: date, months: set[date]) -> dict[str, pd.DataFrame]:
    """Every monthly table, for ``months`` only, from their raw rows (read once each).

    A month's rebooking needs the next visits up to ``REBOOK_DAYS`` later: the rows of
    the months after it (to ``as_of``) are read too, but only ``months`` are tabled.
    """
    end = _midnight(as_of + timedelta(days=1))
    if not months:
        return {name: _empty(name) for name in MONTHLY_FRAMES}
    follow = (REBOOK_DAYS // 28) + 1  # months a visit's next booking can fall into
    read = {_add_months(month, k) for month in months for k in range(follow + 1)}
    rows = read_rows(session, sorted(m for m in read if m <= as_of), end)
    tenants = pd.DataFrame(
        session.execute(select(Tenant.id, Tenant.tier, Tenant.vertical)).all(),
        columns=["tenant_id", "tier", "vertical"],
    )
    categories = dict(session.execute(select(Service.id, Service.category)).all())
    inside = _month_column(rows["start_at"]).isin([pd.Timestamp(m) for m in months])
    frames = activity_tables(rows[inside], categories=categories, tenants=tenants)
    frames["bookings_rebooking_monthly"] = rebooking_tables(
        rows, months, cutoff=rebooking_cutoff(as_of)
    )
    return frames


def _finished(name: str, parts: list[pd.DataFrame]) -> pd.DataFrame:
    parts = [part for part in parts if not part.empty]
    frame = pd.concat(parts, ignore_index=True) if parts else _empty(name)
    frame = _typed(frame[_COLUMNS[name]])
    return frame.sort_values(_KEYS[name], kind="stable", ignore_index=True)


def compute_bookings_frames(session: Session, as_of: date) -> dict[str, pd.DataFrame]:
    """Every Bookings & Demand table as of the end of ``as_of``, from scratch.

    Parameters
    ----------
    session
        A read session.
    as_of
        The local day the tables end on (bookings starting on it are counted).

    Returns
    -------
    dict
        The monthly tables of the thirteen months to ``as_of`` and the per-tenant days.
    """
    months = _history(as_of)
    fresh = _monthly_frames(session, as_of, set(months))
    frames = {name: _finished(name, [fresh[name]]) for name in MONTHLY_FRAMES}
    frames[DAILY_FRAME] = read_tenant_days(session, months[0], as_of)
    return frames


def months_to_update(as_of: date, touched_days: set[date]) -> set[date]:
    """The months an update recomputes: those whose rebooking window is still open (the
    current month and the one or two before; a booking moved out of them is followed
    too), and those of every touched day and of the ``REBOOK_DAYS`` before it (a
    booking can be the next visit of a visit up to that much earlier).

    Parameters
    ----------
    as_of
        The tables' day.
    touched_days
        Start days of the bookings changed since the previous run.
    """
    history = _history(as_of)
    first, cutoff = history[0], rebooking_cutoff(as_of)
    months = {m for m in history if _add_months(m, 1) - timedelta(days=1) > cutoff}
    for day in touched_days:
        if first <= day <= as_of:
            months.update(_months_between(max(first, day - timedelta(days=REBOOK_DAYS)), day))
    return months


def update_bookings_frames(
    session: Session, as_of: date, previous: dict[str, pd.DataFrame], touched: Touched
) -> dict[str, pd.DataFrame]:
    """``compute_bookings_frames``'s tables from the previous ones (same ``as_of``) and
    the tenant-days touched since: the months of ``months_to_update`` are read again,
    the others kept; the per-tenant days are replaced on the touched days."""
    months = months_to_update(as_of, touched.days("bookings"))
    fresh = _monthly_frames(session, as_of, months)
    redone = [pd.Timestamp(m) for m in months]
    frames: dict[str, pd.DataFrame] = {}
    for name in MONTHLY_FRAMES:
        kept = previous[name]
        kept = kept[~pd.to_datetime(kept["month"]).isin(redone)]
        frames[name] = _finished(name, [kept, fresh[name]])

    first = _history(as_of)[0]
    days = sorted(d for d in touched.days("bookings") if first <= d <= as_of)
    if len(days) > MAX_DAYS_PER_UPDATE:  # a bulk change: one whole read is cheaper
        frames[DAILY_FRAME] = read_tenant_days(session, first, as_of)
        return frames
    daily = previous[DAILY_FRAME]
    parts = [daily]
    if days:
        parts = [
            daily[~pd.to_datetime(daily["day"]).isin(pd.to_datetime(pd.Series(days)))],
            read_tenant_days(session, first, as_of, days=days),
        ]
    frames[DAILY_FRAME] = _typed_days(parts)
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


_DAY_COLUMNS = ["tenant_id", "day", "bookings", "completed", "cancelled", "no_show", "gmv_ars"]


def read_tenant_days(
    session: Session, first: date, as_of: date, *, days: list[date] | None = None
) -> pd.DataFrame:
    """Per tenant and day with bookings, from the rollup, over [first, as_of] (only
    ``days`` when given)."""
    statement = select(
        RollupTenantDay.tenant_id,
        RollupTenantDay.day,
        RollupTenantDay.bookings,
        RollupTenantDay.completed,
        RollupTenantDay.cancelled,
        RollupTenantDay.no_show,
        RollupTenantDay.gmv_ars,
    ).where(
        RollupTenantDay.day >= first,
        RollupTenantDay.day <= as_of,
        RollupTenantDay.bookings > 0,
    )
    if days is not None:
        statement = statement.where(RollupTenantDay.day.in_(days))
    fresh = fetch_frame(session, statement, _DAY_COLUMNS)
    fresh["day"] = pd.to_datetime(fresh["day"])
    return _typed_days([fresh])


def _typed_days(parts: list[pd.DataFrame]) -> pd.DataFrame:
    parts = [frame for frame in parts if not frame.empty]
    frame = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=_DAY_COLUMNS)
    for column in ("tenant_id", "bookings", "completed", "cancelled", "no_show"):
        frame[column] = frame[column].astype("int32")
    frame["gmv_ars"] = frame["gmv_ars"].astype(float)
    frame["day"] = pd.to_datetime(frame["day"]).astype("datetime64[ns]")
    return frame[_DAY_COLUMNS].sort_values(["day", "tenant_id"], ignore_index=True)


PROVIDERS = [
    FrameProvider(
        name="bookings",
        frames=FRAMES,
        compute=compute_bookings_frames,
        update=update_bookings_frames,
        description=(
            "Bookings & Demand: per-tenant daily counts; per tenant and month the channel and "
            "service-category mix, lead-time buckets, new vs returning clients and rebooking; "
            "weekday x hour per tier and vertical. Updated on the months changes reach."
        ),
    )
]
