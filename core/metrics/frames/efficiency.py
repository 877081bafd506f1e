"""Operational Efficiency: per tenant and week, the chair time booked and the staff time
available, with the appointment outcomes and GMV of the same week.

Available minutes: each active staff member's stored working hours
(``staff_working_hours``) on that day's weekday, counted from the day they were hired and
only on days the tenant was live (signed up, not yet churned). Staff with no stored
hours (rows written before the wizard stored them) fall back to ``weekly_minutes``
spread evenly over the seven days (``weekly_minutes / 7`` per day). National holidays
count like any other day of their weekday (shops decide for themselves whether to open).
The platform does not record when staff leave, so staff marked inactive count on no day:
historic weeks use today's team. Booked minutes come from the rollup: the duration of
every appointment that was not cancelled (no-shows held the chair too).

Rebooking and new vs returning clients need the raw bookings and come from the
Bookings & Demand provider (``bookings_rebooking_monthly``, ``bookings_clients_monthly``).
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.metrics.detail import FrameProvider
from core.metrics.frames.bookings import fetch_frame, previous_detail_frames
from core.schema import RollupDay, RollupTenantDay, Staff, Tenant
from core.schema.onboarding_wizard import StaffWorkingHours

WEEKS = 60  # weeks of history kept (about fourteen months)
WEEK_FRAME = "efficiency_tenant_week"
MEASURES = ("bookings", "completed", "cancelled", "no_show", "booked_minutes", "gmv_ars")


def week_start(days: pd.Series) -> pd.Series:
    """The Monday of each day's week."""
    stamps = pd.to_datetime(days)
    return (stamps - pd.to_timedelta(stamps.dt.day_of_week, unit="D")).dt.date


def _minutes_of(hhmm: pd.Series) -> np.ndarray:
    text = hhmm.astype(str)
    return (text.str.slice(0, 2).astype(int) * 60 + text.str.slice(3, 5).astype(int)).to_numpy()


def weekday_minutes(staff: pd.DataFrame, hours: pd.DataFrame | None) -> np.ndarray:
    """``(staff, 7)`` minutes each staff member works per weekday (0 = Monday).

    ``staff``: staff_id, weekly_minutes; ``hours``: staff_id, weekday, starts, ends
    (``HH:MM``), the stored working hours. Staff without stored hours get
    ``weekly_minutes / 7`` on every day.
    """
    out = np.repeat(staff["weekly_minutes"].to_numpy(dtype=float)[:, None] / 7.0, 7, axis=1)
    if hours is None or hours.empty or staff.empty:
        return out
    pos = pd.Series(np.arange(len(staff)), index=staff["staff_id"].to_numpy())
    mine = hours[hours["staff_id"].isin(pos.index)]
    row = pos[mine["staff_id"]].to_numpy()
    stored = np.zeros_like(out)
    np.add.at(
        stored,
        (row, mine["weekday"].to_numpy(dtype=np.int64)),
        _minutes_of(mine["ends"]) - _minutes_of(mine["starts"]),
    )
    has = np.zeros(len(staff), dtype=bool)
    has[row] = True
    out[has] = stored[has]
    return out


def available_minutes(
    staff: pd.DataFrame,
    tenants: pd.DataFrame,
    first: date,
    last: date,
    hours: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Staff minutes available per tenant and day in [first, last].

    ``staff``: tenant_id, hired_on, weekly_minutes, and staff_id when ``hours`` is given
    (active staff only). ``hours``: staff_id, weekday, starts, ends (their stored working
    hours; see ``weekday_minutes`` for staff without).
    ``tenants``: tenant_id, signup_date, churned_on (None while live).
    Returns tenant_id, day, available_minutes (days with none left out).
    """
    days = pd.date_range(first, last, freq="D")
    if staff.empty or len(days) == 0:
        return pd.DataFrame(columns=["tenant_id", "day", "available_minutes"])
    ids = np.sort(tenants["tenant_id"].unique())
    col = {tenant: k for k, tenant in enumerate(ids)}
    hired = pd.to_datetime(staff["hired_on"]).clip(lower=pd.Timestamp(first))
    row = np.asarray((hired - pd.Timestamp(first)).dt.days)
    keep = (row <= len(days) - 1) & staff["tenant_id"].isin(col).to_numpy()
    per_weekday = weekday_minutes(staff, hours)[keep]
    tenant_col = staff["tenant_id"][keep].map(col).to_numpy()
    weekday = days.day_of_week.to_numpy()
    daily = np.zeros((len(days), len(ids)))
    for wd in range(7):
        change = np.zeros((len(days) + 1, len(ids)))
        np.add.at(change, (row[keep], tenant_col), per_weekday[:, wd])
        on_day = weekday == wd
        daily[on_day] = np.cumsum(change[:-1], axis=0)[on_day]
    # only while the tenant is live: from signup, up to the day before it churned
    signup = pd.to_datetime(tenants.set_index("tenant_id").loc[ids, "signup_date"]).to_numpy()
    churned = pd.to_datetime(tenants.set_index("tenant_id").loc[ids, "churned_on"]).to_numpy()
    grid = days.to_numpy()[:, None]
    live = (grid >= signup[None, :]) & ~(grid >= churned[None, :])
    daily = np.where(live, daily, 0.0)
    frame = pd.DataFrame(
        {
            "tenant_id": np.tile(ids, len(days)),
            "day": np.repeat(days.date, len(ids)),
            "available_minutes": daily.ravel(),
        }
    )
    return frame[frame["available_minutes"] > 0].reset_index(drop=True)


STATE_FRAME = "efficiency_state"
_COLUMNS = ["tenant_id", "week", *MEASURES, "available_minutes"]


def _fingerprint(
    staff: pd.DataFrame, tenants: pd.DataFrame, as_of: date, hours: pd.DataFrame | None = None
) -> str:
    """What capacity depends on besides the rollup: the staff, their working hours and
    the tenants' lives."""
    hired = pd.to_datetime(staff["hired_on"])
    schedule = weekday_minutes(staff, hours) if "staff_id" in staff else np.zeros((0, 7))
    churned = pd.to_datetime(tenants["churned_on"])
    return "|".join(
        str(v)
        for v in (
            as_of.isoformat(),
            len(staff),
            int(staff["weekly_minutes"].astype(int).sum()) if len(staff) else 0,
            round(float((schedule * np.arange(1, 8)).sum()), 1),
            int((hired.astype("int64") // 86_400_000_000_000).sum()) if len(staff) else 0,
            len(tenants),
            int(churned.notna().sum()),
            int((churned.dropna().astype("int64") // 86_400_000_000_000).sum()),
        )
    )


def _reusable_weeks(
    session: Session, previous: dict[str, pd.DataFrame], first: date, as_of: date, print_: str
) -> date | None:
    """The first week to recompute when the previous table's leading weeks still hold
    (same staff and tenants, same per-week rollup totals), else None (recompute all)."""
    state, weekly = previous.get(STATE_FRAME), previous.get(WEEK_FRAME)
    if state is None or weekly is None or weekly.empty or "fingerprint" not in state:
        return None
    then = date.fromisoformat(str(state["fingerprint"].iloc[0]).split("|", 1)[0])
    if str(state["fingerprint"].iloc[0]).split("|", 1)[1] != print_.split("|", 1)[1]:
        return None
    rollup = fetch_frame(
        session,
        select(RollupDay.day, *(getattr(RollupDay, m) for m in MEASURES)).where(
            RollupDay.day >= first, RollupDay.day <= as_of
        ),
        ["day", *MEASURES],
    )
    rollup["week"] = pd.to_datetime(week_start(rollup["day"]))
    now = rollup.groupby("week")[list(MEASURES)].sum()
    stored = weekly.groupby("week")[list(MEASURES)].sum()
    # a week is final once it ended before the previous run's day
    closed = [w for w in now.index if (w + pd.Timedelta(days=6)).date() < then]
    for week in closed:
        if week not in stored.index or not np.allclose(
            now.loc[week].to_numpy(dtype=float), stored.loc[week].to_numpy(dtype=float)
        ):
            return week.date()
    return (closed[-1] + pd.Timedelta(days=7)).date() if closed else None


def compute_efficiency_frames(session: Session, as_of: date) -> dict[str, pd.DataFrame]:
    """``efficiency_tenant_week``: tenant_id, week (Monday), the rollup measures and
    available_minutes, for the last ``WEEKS`` weeks to ``as_of``.

    Weeks of the previous detail snapshot are reused while they are final and their
    platform totals and the staff and tenant lists have not changed; the rest is read
    again from the rollup (a read of every tenant-day costs seconds on the default demo).
    """
    first = as_of - timedelta(days=as_of.weekday()) - timedelta(weeks=WEEKS - 1)
    staff = fetch_frame(
        session,
        select(Staff.id, Staff.tenant_id, Staff.hired_on, Staff.weekly_minutes).where(
            Staff.active.is_(True)
        ),
        ["staff_id", "tenant_id", "hired_on", "weekly_minutes"],
    )
    hours = fetch_frame(
        session,
        select(
            StaffWorkingHours.staff_id,
            StaffWorkingHours.weekday,
            StaffWorkingHours.starts,
            StaffWorkingHours.ends,
        )
        .join(Staff, Staff.id == StaffWorkingHours.staff_id)
        .where(Staff.active.is_(True)),
        ["staff_id", "weekday", "starts", "ends"],
    )
    tenants = fetch_frame(
        session,
        select(Tenant.id, Tenant.signup_date, Tenant.churned_on),
        ["tenant_id", "signup_date", "churned_on"],
    )
    print_ = _fingerprint(staff, tenants, as_of, hours)
    state = pd.DataFrame({"fingerprint": [print_]})
    previous = previous_detail_frames(session, (WEEK_FRAME, STATE_FRAME))
    read_from = _reusable_weeks(session, previous, first, as_of, print_)
    kept = pd.DataFrame(columns=_COLUMNS)
    if read_from is not None:
        weeks = previous[WEEK_FRAME]["week"]
        kept = previous[WEEK_FRAME][
            (weeks >= pd.Timestamp(first)) & (weeks < pd.Timestamp(read_from))
        ]
    start = read_from or first
    rollup = fetch_frame(
        session,
        select(
            RollupTenantDay.tenant_id,
            RollupTenantDay.day,
            *(getattr(RollupTenantDay, m) for m in MEASURES),
        ).where(RollupTenantDay.day >= start, RollupTenantDay.day <= as_of),
        ["tenant_id", "day", *MEASURES],
    )
    rollup["day"] = pd.to_datetime(rollup["day"]).dt.date
    if rollup.empty and kept.empty:
        return {WEEK_FRAME: pd.DataFrame(columns=_COLUMNS), STATE_FRAME: state}
    if read_from is None:
        # Capacity only from the first week with bookings data: before it, weeks would
        # show staff time and no appointments (a data set's start, not idle staff).
        data_start = min(rollup["day"])
        start = max(first, data_start - timedelta(days=data_start.weekday()))
    capacity = available_minutes(staff, tenants, start, as_of, hours)
    merged = capacity.merge(rollup, on=["tenant_id", "day"], how="outer")
    merged[list(MEASURES)] = merged[list(MEASURES)].fillna(0)
    merged["available_minutes"] = merged["available_minutes"].fillna(0.0)
    merged["week"] = week_start(merged["day"])
    fresh = merged.groupby(["tenant_id", "week"], as_index=False)[
        [*MEASURES, "available_minutes"]
    ].sum()
    fresh["week"] = pd.to_datetime(fresh["week"])
    parts = [frame for frame in (kept, fresh) if not frame.empty]
    weekly = pd.concat(parts, ignore_index=True)
    for column in ("tenant_id", "bookings", "completed", "cancelled", "no_show", "booked_minutes"):
        weekly[column] = weekly[column].astype("int32")
    weekly["gmv_ars"] = weekly["gmv_ars"].astype(float)
    weekly["available_minutes"] = weekly["available_minutes"].astype(float).round(1)
    weekly["week"] = pd.to_datetime(weekly["week"]).astype("datetime64[ns]")
    weekly = weekly.sort_values(["week", "tenant_id"]).reset_index(drop=True)
    return {WEEK_FRAME: weekly[_COLUMNS], STATE_FRAME: state}


PROVIDERS = [
    FrameProvider(
        name="efficiency",
        frames=(WEEK_FRAME, STATE_FRAME),
        compute=compute_efficiency_frames,
        description=(
            "Operational Efficiency: per tenant and week, booked vs available staff minutes, "
            "appointment outcomes and GMV (rollup + staff)."
        ),
    )
]
