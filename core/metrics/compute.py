"""From rollups and the small dimension tables to a snapshot's tables and KPIs.

Pure functions of DataFrames: the refresh feeds them rollups read from the database, the
reference computation feeds them aggregates computed straight from raw rows.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.metrics.registry import compute_kpis, kpi_windows
from core.metrics.rollups import TENANT_DAY_MEASURES, WINDOW_TOTAL_COLUMNS, _frame
from core.schema import Subscription, Tenant

TENANT_COLUMNS = [
    "tenant_id",
    "trade_name",
    "vertical",
    "tier",
    "plan",
    "province",
    "city",
    "status",
    "signup_date",
    "churned_on",
    "partner_id",
    "cs_owner_id",
]
SUBSCRIPTION_COLUMNS = ["tenant_id", "mrr_ars", "started_on", "ended_on"]


@dataclass(frozen=True)
class SnapshotContent:
    kpis: dict[str, dict[str, float | None]]
    frames: dict[str, pd.DataFrame]


def read_tenants(*, session: Session) -> pd.DataFrame:
    columns = [Tenant.id.label("tenant_id"), *[getattr(Tenant, c) for c in TENANT_COLUMNS[1:]]]
    return _frame(session.connection().execute(select(*columns)).all(), TENANT_COLUMNS)


def read_subscriptions(*, session: Session) -> pd.DataFrame:
    columns = [getattr(Subscription, c) for c in SUBSCRIPTION_COLUMNS]
    return _frame(session.connection().execute(select(*columns)).all(), SUBSCRIPTION_COLUMNS)


def _day_index(days: pd.Series, start: date, length: int) -> np.ndarray:
    """Position of each day in [start, start + length], clipped; missing → length (never)."""
    offsets = np.array([length if pd.isna(d) else (d - start).days for d in days], dtype=np.int64)
    return np.clip(offsets, 0, length)


def _open_on_each_day(
    starts: pd.Series, ends: pd.Series, weights: np.ndarray, first: date, length: int
) -> np.ndarray:
    """Sum of weights of the intervals [start, end) open on each of ``length`` days."""
    delta = np.zeros(length + 1)
    np.add.at(delta, _day_index(starts, first, length), weights)
    np.add.at(delta, _day_index(ends, first, length), -weights)
    return np.cumsum(delta)[:length]


def _count_on_each_day(days: pd.Series, first: date, length: int) -> np.ndarray:
    counts = np.zeros(length + 1, dtype=np.int64)
    present = days.dropna()
    offsets = np.array([(d - first).days for d in present], dtype=np.int64)
    inside = offsets[(offsets >= 0) & (offsets < length)]
    np.add.at(counts, inside, 1)
    return counts[:length]


def day_range(
    rollup_days: Collection[date], tenants: pd.DataFrame, as_of: date
) -> tuple[date, int]:
    """First day and number of days the daily frame covers.

    ``rollup_days`` are the days that have platform totals (a column or a set of keys).
    """
    firsts = [as_of]
    lasts = [as_of]
    if len(rollup_days):
        firsts.append(min(rollup_days))
        lasts.append(max(rollup_days))
    if not tenants.empty:
        firsts.append(min(tenants["signup_date"]))
    first = min(firsts)
    return first, (max(lasts) - first).days + 1


def dimension_series(
    tenants: pd.DataFrame, subscriptions: pd.DataFrame, first: date, length: int
) -> dict[str, np.ndarray]:
    """Per-day MRR and tenant counts: they depend only on the small dimension tables."""
    mrr = _open_on_each_day(
        subscriptions["started_on"],
        subscriptions["ended_on"],
        subscriptions["mrr_ars"].astype(float).to_numpy(),
        first,
        length,
    )
    active = _open_on_each_day(
        tenants["signup_date"], tenants["churned_on"], np.ones(len(tenants)), first, length
    )
    return {
        "mrr_ars": np.round(mrr, 2),
        "active_tenants": np.rint(active).astype("int64"),
        "new_tenants": _count_on_each_day(tenants["signup_date"], first, length),
        "churned_tenants": _count_on_each_day(tenants["churned_on"], first, length),
    }


def platform_daily(
    day_rollup: pd.DataFrame,
    tenants: pd.DataFrame,
    subscriptions: pd.DataFrame,
    as_of: date,
    *,
    series: dict[str, np.ndarray] | None = None,
) -> pd.DataFrame:
    """One row per local day: booking and payment totals, MRR, active/new/churned tenants.

    ``series`` may pass ``dimension_series`` computed earlier for the same day range.
    """
    first, length = day_range(day_rollup["day"], tenants, as_of)
    columns: dict[str, object] = {"day": [first + timedelta(days=i) for i in range(length)]}
    positions = np.array([(day - first).days for day in day_rollup["day"]], dtype=np.int64)
    for name in TENANT_DAY_MEASURES:
        money = name.endswith("_ars")
        values = np.zeros(length, dtype=float if money else np.int64)
        values[positions] = day_rollup[name].to_numpy()
        columns[name] = np.round(values, 2) if money else values
    columns.update(series or dimension_series(tenants, subscriptions, first, length))
    return pd.DataFrame(columns)


def window_totals_from_days(tenant_days: pd.DataFrame, as_of: date) -> pd.DataFrame:
    """Per tenant, the current and previous 28-day totals, from per-tenant daily rows."""
    (current_start, end), (previous_start, _) = kpi_windows(as_of)
    day = tenant_days["day"]
    current = tenant_days[(day >= current_start) & (day <= end)].groupby("tenant_id")
    previous = tenant_days[(day >= previous_start) & (day < current_start)].groupby("tenant_id")
    totals = pd.DataFrame(
        {
            "bookings_28d": current["bookings"].sum(),
            "bookings_prev_28d": previous["bookings"].sum(),
            "gmv_28d": current["gmv_ars"].sum(),
            "no_show_28d": current["no_show"].sum(),
            "completed_28d": current["completed"].sum(),
        }
    )
    return totals.fillna(0).rename_axis("tenant_id").reset_index()[WINDOW_TOTAL_COLUMNS]


def tenant_summary(
    window_totals: pd.DataFrame,
    tenants: pd.DataFrame,
    subscriptions: pd.DataFrame,
    as_of: date,
) -> pd.DataFrame:
    """One row per tenant: its dimensions, current MRR and the last two 28-day windows."""
    summary = tenants.sort_values("tenant_id", ignore_index=True)
    ids = summary["tenant_id"].to_numpy()

    ended = subscriptions["ended_on"]
    open_now = (subscriptions["started_on"] <= as_of) & (ended.isna() | (ended > as_of))
    mrr = np.zeros(len(ids))
    np.add.at(  # tenant ids are sorted, so a binary search gives each period's row
        mrr,
        np.searchsorted(ids, subscriptions["tenant_id"].to_numpy()[open_now.to_numpy()]),
        subscriptions["mrr_ars"].to_numpy(dtype=float)[open_now.to_numpy()],
    )

    totals = np.zeros((len(ids), len(WINDOW_TOTAL_COLUMNS) - 1))
    rows = np.searchsorted(ids, window_totals["tenant_id"].to_numpy())
    known = (rows < len(ids)) & (ids[np.minimum(rows, len(ids) - 1)] == window_totals["tenant_id"])
    totals[rows[known]] = window_totals[WINDOW_TOTAL_COLUMNS[1:]].to_numpy(dtype=float)[known]
    bookings, previous, gmv, no_show, completed = totals.T
    decided = no_show + completed
    with np.errstate(invalid="ignore", divide="ignore"):
        no_show_rate = np.where(decided > 0, no_show / decided, np.nan)
    return summary.assign(
        mrr_ars=np.round(mrr, 2),
        bookings_28d=bookings.astype("int64"),
        bookings_prev_28d=previous.astype("int64"),
        gmv_28d=np.round(gmv, 2),
        no_show_rate_28d=no_show_rate,
    )


def build_snapshot_content(
    window_totals: pd.DataFrame,
    tenants: pd.DataFrame,
    subscriptions: pd.DataFrame,
    as_of: date,
    day_rollup: pd.DataFrame | None = None,
    daily: pd.DataFrame | None = None,
) -> SnapshotContent:
    """The KPIs and tables of a snapshot as of a local day.

    Pass either ``day_rollup`` (platform totals per day) or an already built ``daily``.
    """
    if daily is None:
        assert day_rollup is not None, "build_snapshot_content needs day_rollup or daily"
        daily = platform_daily(day_rollup, tenants, subscriptions, as_of)
    return SnapshotContent(
        kpis=compute_kpis(daily, as_of),
        frames={
            "daily": daily,
            "tenants": tenant_summary(window_totals, tenants, subscriptions, as_of),
        },
    )
