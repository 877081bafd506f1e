"""Every registry metric, recomputed from the raw platform tables with plain pandas.

The generated console (tests/generated_console.py, the build the revenue, bookings and
churn dashboard tests share) is read twice: by every dashboard builder, whose tiles'
values are captured by key (tests/core/metrics/page_values.py), and as raw tables
(tenants, subscriptions, bookings, payments, invoices...), from which each metric is
computed again here as its registry definition reads. No console computation is used on
the expected side, so a builder, a frame provider or a definition that drifts fails here.

``RECOMPUTE`` (here) and ``SCORED`` (test_recomputation_scored.py: the metrics of stored
health scores, alerts and job runs) map the keys of ``METRICS`` to (page, recomputation);
a key added to the registry without one fails ``test_every_metric_is_recomputed`` until
it gets one or an ``EXEMPT`` entry saying why it cannot have one.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd
import pytest

from core.db import create_engine_for
from core.metrics.registry import METRICS
from dashboards.filters import Filters
from dashboards.kit import format_value
from tests.core.metrics.page_values import Captured, page_values, parse_shown
from tests.core.metrics.recompute_raw import Raw, add_months, day, month_end, read_tables
from tests.core.metrics.test_recomputation_scored import SCORED
from tests.dashboards.test_revenue_subscriptions import generated_url
from tests.generated_console import TODAY

# Whole months, closed, with as many months of data before them (the console starts in
# August 2025): January to March 2026, compared with October to December 2025.
PERIOD = Filters(start=date(2026, 1, 1), end=date(2026, 3, 31))
AT = datetime.combine(TODAY, time(12, 0))
# The overview's KPI window: the 28 days up to yesterday (the last complete day).
KPI_END = TODAY - timedelta(days=1)
KPI_START = KPI_END - timedelta(days=27)
# Relative tolerance of a figure the page passes to its tile as a number.
TOLERANCE = 1e-9


@lru_cache(maxsize=1)
def console() -> tuple[Captured, dict[str, Any], Raw]:
    engine = create_engine_for(generated_url())
    try:
        pages, views = page_values(engine, today=TODAY, filters=PERIOD)
        tables = read_tables(engine)
    finally:
        engine.dispose()
    assert PERIOD.start is not None and PERIOD.end is not None
    return pages, views, Raw(tables, TODAY, PERIOD.start, PERIOD.end)


def ratio(numerator: float, denominator: float) -> float | None:
    return None if not denominator else float(numerator) / float(denominator)


# ---------------------------------------------------------------------------- headline
def mrr_at(raw: Raw, on: date) -> float:
    return float(raw.mrr_by_tenant(on).sum())


def kpi_bookings(raw: Raw) -> pd.DataFrame:
    return raw.bookings_in(KPI_START, KPI_END)


def logo_churn(
    raw: Raw, start: date, end: date, tenants: pd.DataFrame | None = None
) -> float | None:
    tenants = raw["tenants"] if tenants is None else tenants
    before = start - timedelta(days=1)
    active = tenants[
        (tenants["signup_date"] <= day(before))
        & (tenants["churned_on"].isna() | (tenants["churned_on"] > day(before)))
    ]
    churned = active["churned_on"].between(day(start), day(end))
    return ratio(churned.sum(), len(active))


def no_show_rate(rows: pd.DataFrame) -> float | None:
    status = rows["status"]
    return ratio((status == "no_show").sum(), status.isin(["completed", "no_show"]).sum())


def cancellation_rate(rows: pd.DataFrame) -> float | None:
    return ratio((rows["status"] == "cancelled").sum(), len(rows))


def gmv(rows: pd.DataFrame) -> float:
    return float(rows.loc[rows["status"] == "completed", "price_ars"].sum())


# ----------------------------------------------------------------------- MRR movements
def movements(raw: Raw, months: list[tuple[int, int]]) -> dict[str, float]:
    """Summed over ``months``: each tenant's change of month-end MRR split into new,
    reactivation, churn, and (paying both months) the list-price part (the change on the
    days a price-update period started) and the plan/seat rest; expansion and
    contraction are the rises and falls of those two parts."""
    out = dict.fromkeys(
        (
            "new",
            "reactivation",
            "churn",
            "expansion",
            "contraction",
            "price",
            "plan",
            "plan_up",
            "plan_down",
        ),
        0.0,
    )
    out["churn_events"] = 0.0
    subs = raw["subscriptions"]
    updates = subs[subs["change_reason"] == "price_update"]
    for year, month in months:
        prev = raw.month_mrr(*add_months(year, month, -1))
        cur = raw.month_mrr(year, month)
        paid_before = raw.paid_before(year, month)
        last = min(month_end(year, month), raw.today)
        in_month = updates[
            (updates["started_on"] >= pd.Timestamp(year=year, month=month, day=1))
            & (updates["started_on"] <= day(last))
        ]
        for tenant in cur.index:
            before, after = prev[tenant], cur[tenant]
            if before == 0 and after > 0:
                out["reactivation" if paid_before[tenant] else "new"] += after
            elif before > 0 and after == 0:
                out["churn"] -= before
                out["churn_events"] += 1
            elif before > 0 and after > 0:
                price = 0.0
                for start in sorted(
                    set(in_month.loc[in_month["tenant_id"] == tenant, "started_on"])
                ):
                    on = start.date()
                    price += raw.mrr_by_tenant(on).get(tenant, 0.0) - raw.mrr_by_tenant(
                        on - timedelta(days=1)
                    ).get(tenant, 0.0)
                plan = after - before - price
                out["price"] += price
                out["plan"] += plan
                out["plan_up"] += max(plan, 0.0)
                out["plan_down"] += min(plan, 0.0)
                out["expansion"] += max(price, 0.0) + max(plan, 0.0)
                out["contraction"] += min(price, 0.0) + min(plan, 0.0)
    return out


def period_movements(raw: Raw) -> dict[str, float]:
    key = ("movements", tuple(raw.months))
    if key not in raw.cache:
        raw.cache[key] = movements(raw, raw.months)
    return raw.cache[key]


def mrr_start(raw: Raw) -> float:
    year, month = add_months(raw.start.year, raw.start.month, -1)
    return float(raw.month_mrr(year, month).sum())


def quick_ratio(raw: Raw) -> float | None:
    m = period_movements(raw)
    return ratio(m["new"] + m["expansion"], -(m["contraction"] + m["churn"]))


def gross_mrr_churn(raw: Raw) -> float | None:
    m = period_movements(raw)
    return ratio(-(m["churn"] + m["contraction"]), mrr_start(raw))


def net_mrr_churn(raw: Raw) -> float | None:
    m = period_movements(raw)
    return ratio(-(m["churn"] + m["contraction"]) - m["expansion"], mrr_start(raw))


def bridge(raw: Raw) -> list[float]:
    """The MRR bridge: start MRR, each part of the change, end MRR (ARS)."""
    m = period_movements(raw)
    end = float(raw.month_mrr(*raw.months[-1]).sum())
    parts = [m["new"], m["reactivation"], m["price"], m["plan_up"], m["plan_down"], m["churn"]]
    assert mrr_start(raw) + sum(parts) == pytest.approx(end)  # the parts add up
    return [mrr_start(raw), *parts, end]


def paying_at(raw: Raw, on_month: tuple[int, int]) -> pd.Series:
    mrr = raw.month_mrr(*on_month)
    return mrr[mrr > 0]


def paying_logo_churn(raw: Raw) -> float | None:
    start = add_months(raw.start.year, raw.start.month, -1)
    churned: set[int] = set()
    for year, month in raw.months:
        prev = raw.month_mrr(*add_months(year, month, -1))
        cur = raw.month_mrr(year, month)
        churned |= set(cur.index[(prev > 0) & (cur == 0)])
    return ratio(len(churned), len(paying_at(raw, start)))


def churned_mrr(raw: Raw) -> float:
    return -period_movements(raw)["churn"]


def retention(raw: Raw, *, gross: bool, constant: bool) -> float | None:
    """The tenants paying in the month 12 before the period's last one: their MRR in
    the last month over their MRR then (GRR: each capped at its MRR then)."""
    last = raw.months[-1]
    first = add_months(*last, -12)
    then = raw.month_mrr(*first)
    now = raw.month_mrr(*last)
    base = then[then > 0]
    kept = now.reindex(base.index).fillna(0.0)
    if constant:
        cpi = raw["console_cpi_monthly"].set_index("month")["index_value"]
        kept = kept / cpi[pd.Timestamp(year=last[0], month=last[1], day=1)]
        base = base / cpi[pd.Timestamp(year=first[0], month=first[1], day=1)]
    if gross:
        kept = np.minimum(kept, base)
    return ratio(kept.sum(), base.sum())


def arpa(raw: Raw, on: date) -> float | None:
    mrr = raw.mrr_by_tenant(on)
    return ratio(mrr.sum(), (mrr > 0).sum())


def trailing_churn(raw: Raw) -> float | None:
    """Churn events of the last 6 complete months over the tenants paying at the start
    of each month."""
    last = add_months(raw.today.year, raw.today.month, -1)
    events = paying = 0
    for back in range(5, -1, -1):
        year, month = add_months(*last, -back)
        prev = raw.month_mrr(*add_months(year, month, -1))
        cur = raw.month_mrr(year, month)
        events += int(((prev > 0) & (cur == 0)).sum())
        paying += int((prev > 0).sum())
    return ratio(events, paying)


# ------------------------------------------------------------------ bookings & demand
def period_bookings(raw: Raw) -> pd.DataFrame:
    return raw.bookings_in(raw.start, raw.end)


def average_ticket(raw: Raw) -> float | None:
    rows = period_bookings(raw)
    return ratio(gmv(rows), (rows["status"] == "completed").sum())


def lead_time_shares(raw: Raw) -> list[float]:
    """Shares of the lead-time buckets (same day, 1-2, 3-7, 8-14, 15+ calendar days from
    booking to appointment) over the bookings of the months the period touches."""
    rows = raw.bookings
    first = pd.Timestamp(raw.start).to_period("M").to_timestamp()
    last = pd.Timestamp(raw.end).to_period("M").to_timestamp() + pd.offsets.MonthEnd(0)
    rows = rows[(rows["day"] >= first) & (rows["day"] <= last)]
    days = (rows["day"] - rows["created_at"].dt.normalize()).dt.days
    buckets = pd.cut(days, [-np.inf, 0, 2, 7, 14, np.inf], labels=False)
    counts = buckets.value_counts().reindex(range(5), fill_value=0)
    return list(counts / counts.sum())


def holiday_effects(raw: Raw) -> list[float]:
    """For each national holiday of the period: its bookings over the mean of the same
    weekday on the non-holiday days within four weeks either side, minus one."""
    import holidays as holiday_calendar

    counts = raw.bookings.groupby("day").size()
    first = counts.index.min()
    days = pd.date_range(first, pd.Timestamp(raw.today - timedelta(days=1)), freq="D")
    counts = counts.reindex(days, fill_value=0)
    national = holiday_calendar.country_holidays("AR", years=range(first.year, raw.today.year + 1))
    is_holiday = pd.Series([d.date() in national for d in days], index=days)
    effects = []
    for holiday in days[is_holiday.to_numpy()]:
        if not day(raw.start) <= holiday <= day(raw.end):
            continue
        around = [holiday + pd.Timedelta(days=7 * k) for k in (-4, -3, -2, -1, 1, 2, 3, 4)]
        around = [d for d in around if d in counts.index and not is_holiday[d]]
        effects.append(counts[holiday] / counts[around].mean() - 1)
    return effects


# ---------------------------------------------------------------- operational efficiency
def efficiency_weeks(raw: Raw) -> tuple[date, date]:
    """Utilization and revenue per staff hour sum whole weeks (Monday to Sunday) starting
    within the period (the no-show and cancellation rates do not: the period's days)."""
    first = pd.Timestamp(raw.start)
    first += pd.Timedelta(days=(7 - first.weekday()) % 7)
    last = pd.Timestamp(raw.end) - pd.Timedelta(days=pd.Timestamp(raw.end).weekday())
    return first.date(), (last + pd.Timedelta(days=6)).date()


def available_minutes(raw: Raw, start: date, end: date) -> float:
    """Each active staff member's working minutes on each day's weekday (stored hours;
    weekly / 7 a day without them), from their hire date, on days the business was live."""
    staff = raw["staff"][raw["staff"]["active"].astype(bool)]
    hours = raw["staff_working_hours"]
    minutes = (
        pd.to_timedelta(hours["ends"] + ":00") - pd.to_timedelta(hours["starts"] + ":00")
    ).dt.total_seconds() / 60
    per_weekday = hours.assign(minutes=minutes).groupby(["staff_id", "weekday"])["minutes"].sum()
    tenants = raw["tenants"].set_index("id")
    total = 0.0
    days = pd.date_range(start, end, freq="D")
    for member in staff.itertuples():
        tenant = tenants.loc[member.tenant_id]
        live = days >= max(tenant["signup_date"], member.hired_on)
        if not pd.isna(tenant["churned_on"]):
            live &= days < tenant["churned_on"]
        if member.id in per_weekday.index.get_level_values(0):
            by_day = per_weekday.loc[member.id].reindex(range(7), fill_value=0.0)
            total += float(by_day.to_numpy()[days[live].weekday].sum())
        else:
            total += member.weekly_minutes / 7 * int(live.sum())
    return total


def utilization(raw: Raw) -> float | None:
    start, end = efficiency_weeks(raw)
    rows = raw.bookings_in(start, end)
    booked = rows.loc[rows["status"] != "cancelled", "duration_min"].sum()
    return ratio(booked, available_minutes(raw, start, end))


def revenue_per_staff_hour(raw: Raw) -> float | None:
    start, end = efficiency_weeks(raw)
    return ratio(gmv(raw.bookings_in(start, end)), available_minutes(raw, start, end) / 60)


def months_touched(raw: Raw, rows: pd.DataFrame, column: str) -> pd.DataFrame:
    first = pd.Timestamp(raw.start).to_period("M").to_timestamp()
    last = pd.Timestamp(raw.end) + pd.offsets.MonthEnd(0)
    return rows[(rows[column] >= first) & (rows[column] <= last + pd.Timedelta(days=1))]


def rebooking_rate(raw: Raw) -> float | None:
    """Completed appointments at least 45 days old (of the months the period touches)
    after which the client's next booking at the business, not cancelled, starts within
    45 calendar days."""
    rows = raw.bookings
    kept = rows[rows["status"] != "cancelled"]
    done = rows[
        (rows["status"] == "completed") & (rows["day"] <= day(raw.today - timedelta(days=45)))
    ]
    done = months_touched(raw, done, "start_at")
    kept = kept.sort_values(["tenant_id", "customer_id", "start_at"])
    following = kept.groupby(["tenant_id", "customer_id"])["day"].shift(-1)
    gap = (following - kept["day"]).dt.days.reindex(done.index)
    rebooked = int((gap <= 45).sum())
    return ratio(rebooked, len(done))


def returning_share(raw: Raw) -> float | None:
    """Per month of the period: clients with a completed appointment who were registered
    in an earlier month, over all clients served; summed over the months."""
    rows = raw.bookings[raw.bookings["status"] == "completed"]
    rows = rows.merge(
        raw["customers"][["id", "created_at"]].rename(
            columns={"id": "customer_id", "created_at": "since"}
        ),
        on="customer_id",
    )
    rows = months_touched(raw, rows, "start_at")
    rows = rows.assign(
        month=rows["start_at"].dt.to_period("M"), since=rows["since"].dt.to_period("M")
    )
    served = rows.drop_duplicates(["month", "tenant_id", "customer_id"])
    return ratio((served["since"] < served["month"]).sum(), len(served))


# ------------------------------------------------------------------ financial operations
def period_invoices(raw: Raw) -> pd.DataFrame:
    invoices = raw["invoices"]
    return invoices[invoices["issued_on"].between(day(raw.start), day(raw.end))]


def failed_once(invoices: pd.DataFrame) -> pd.Series:
    return (invoices["attempts"] > 1) | invoices["status"].isin(
        ["retried", "failed", "written_off"]
    )


def dso(raw: Raw) -> float | None:
    invoices = raw["invoices"]
    end = day(raw.end)
    open_ = (
        (invoices["issued_on"] <= end)
        & (invoices["status"] != "written_off")
        & (invoices["paid_on"].isna() | (invoices["paid_on"] > end))
    )
    billed = period_invoices(raw)["amount_ars"].sum()
    days = (raw.end - raw.start).days + 1
    return None if not billed else invoices.loc[open_, "amount_ars"].sum() / billed * days


def payment_failure_rate(raw: Raw) -> float | None:
    payments = months_touched(raw, raw["payments"], "created_at")
    final = payments[~payments["status"].isin(["pending", "in_process"])]
    failed = final["status"].isin(["rejected", "cancelled", "charged_back"])
    return ratio(failed.sum(), len(final))


def dunning_recovery(raw: Raw) -> float | None:
    invoices = period_invoices(raw)
    failed = invoices[failed_once(invoices)]
    return ratio(failed["paid_on"].notna().sum(), len(failed))


def reconciled(raw: Raw) -> float | None:
    payments = raw["payments"]
    approved = payments[payments["status"] == "approved"].groupby("booking_id")["amount_ars"].sum()
    done = raw.bookings[
        (raw.bookings["status"] == "completed") & (raw.bookings["day"] < day(raw.today))
    ]
    done = months_touched(raw, done, "start_at")
    paid = done["id"].map(approved).fillna(0.0)
    return ratio((np.abs(paid - done["price_ars"]) < 0.005).sum(), len(done))


def job_success(raw: Raw) -> float | None:
    runs = raw["console_job_runs"]
    since = pd.Timestamp(raw.today) - pd.Timedelta(days=7)
    recent = runs[(runs["started_at"] >= since) & runs["status"].isin(["success", "failed"])]
    return ratio((recent["status"] == "success").sum(), len(recent))


# ------------------------------------------------------------------------------ regions
def regions_figures(raw: Raw) -> dict[str, float | None]:
    tenants = raw["tenants"]
    active = raw.active_on(raw.end)
    rows = period_bookings(raw)
    done = rows[rows["status"] == "completed"].merge(
        tenants[["id", "province"]].rename(columns={"id": "tenant_id"}), on="tenant_id"
    )
    before = raw.bookings_in(*raw.previous)
    total = float(done["price_ars"].sum())
    return {
        "provinces": float(active["province"].nunique()),
        "cities": float(len(active[["province", "city"]].drop_duplicates())),
        "new_tenants": float(tenants["signup_date"].between(day(raw.start), day(raw.end)).sum()),
        "growth": ratio(total, gmv(before)) - 1 if gmv(before) else None,  # type: ignore[operator]
        "top_share": ratio(done.groupby("province")["price_ars"].sum().max(), total),
    }


# ------------------------------------------------------------------------- partnerships
def referred(raw: Raw) -> pd.DataFrame:
    return raw["tenants"][raw["tenants"]["partner_id"].notna()]


def payouts(raw: Raw) -> float:
    """Each partner's share (%) of the invoices its referred tenants paid, by the month
    paid, over the months the period touches."""
    invoices = raw["invoices"].merge(
        raw["tenants"][["id", "partner_id"]].rename(columns={"id": "tenant_id"}), on="tenant_id"
    )
    invoices = invoices[invoices["partner_id"].notna() & invoices["paid_on"].notna()]
    invoices = months_touched(raw, invoices, "paid_on")
    invoices = invoices[invoices["paid_on"] <= day(raw.today)]
    share = raw["partners"].set_index("id")["revenue_share_pct"]
    return float((invoices["amount_ars"] * invoices["partner_id"].map(share) / 100).sum())


def partner_figures(raw: Raw) -> dict[str, float | None]:
    chosen = referred(raw)
    active = chosen[chosen["id"].isin(raw.active_on(raw.end)["id"])]
    rows = period_bookings(raw)
    mrr = raw.month_mrr(*raw.months[-1])
    organic = raw["tenants"][raw["tenants"]["partner_id"].isna()]
    return {
        "referred_tenants": float(len(active)),
        "new_referred": float(chosen["signup_date"].between(day(raw.start), day(raw.end)).sum()),
        "referred_mrr": float(mrr.reindex(chosen["id"]).sum()),
        "referred_gmv": gmv(rows[rows["tenant_id"].isin(chosen["id"])]),
        "payouts": payouts(raw),
        "referred_churn": logo_churn(raw, raw.start, raw.end, chosen),
        "organic_churn": logo_churn(raw, raw.start, raw.end, organic),
        "partners_active": float(active["partner_id"].nunique()),
    }


# ---------------------------------------------------------------------- onboarding funnel
def funnel_figures(raw: Raw) -> dict[str, float | None]:
    sessions = raw["onboarding_sessions"]
    started = sessions[
        sessions["started_at"].between(
            day(raw.start), day(raw.end) + pd.Timedelta(days=1), inclusive="left"
        )
    ]
    activated = started[started["status"] == "activated"]
    finished = started["status"].isin(["activated", "abandoned", "rejected"]).sum()
    approved = started["verification_status"].isin(["approved", "auto_approved"]).sum()
    first_booking = raw["bookings"].groupby("tenant_id")["created_at"].min()
    to_booking = (activated["tenant_id"].map(first_booking) - activated["activated_at"]).dropna()
    return {
        "sessions_started": float(len(started)),
        "activated": float(len(activated)),
        "success_rate": ratio(len(activated), finished),
        "median_time_to_activate": (activated["activated_at"] - activated["started_at"])
        .dt.total_seconds()
        .median()
        / 60,
        "auto_verification_rate": ratio(
            (started["verification_status"] == "auto_approved").sum(), approved
        ),
        "median_time_to_first_booking": to_booking.dt.total_seconds().median() / 3600
        if len(to_booking)
        else None,
    }


# ------------------------------------------------------------------ onboarding sessions
def last_activity(raw: Raw) -> pd.Series:
    """session -> the later of its own update and its newest step entered or completed."""
    sessions = raw["onboarding_sessions"].set_index("id")
    events = (
        raw["onboarding_step_events"].groupby("session_id")[["entered_at", "completed_at"]].max()
    )
    moments = pd.concat(
        [sessions["updated_at"], events["entered_at"], events["completed_at"]], axis=1
    )
    return moments.max(axis=1)


def stalled(raw: Raw) -> float:
    sessions = raw["onboarding_sessions"].set_index("id")
    idle = pd.Timestamp(AT) - last_activity(raw).reindex(sessions.index)
    return float(((sessions["status"] == "in_progress") & (idle > pd.Timedelta(hours=24))).sum())


def onboarding_figures(raw: Raw) -> dict[str, float | None]:
    sessions = raw["onboarding_sessions"].set_index("id")
    in_progress = sessions["status"] == "in_progress"
    idle = pd.Timestamp(AT) - last_activity(raw).reindex(sessions.index)
    since = pd.Timestamp(AT) - pd.Timedelta(days=7)
    live = sessions[(sessions["status"] == "activated") & (sessions["activated_at"] >= since)]
    minutes = (live["activated_at"] - live["started_at"]).dt.total_seconds() / 60
    return {
        "sessions_in_progress": float(in_progress.sum()),
        "idle_sessions": float((in_progress & (idle > pd.Timedelta(minutes=15))).sum()),
        "went_live_7d": float(len(live)),
        "median_time_to_live": float(minutes.median()) if len(minutes) else None,
    }


# ------------------------------------------------------------------------- one tenant
def tenant_figures(raw: Raw, tenant_id: int) -> dict[str, float | None]:
    start = pd.Timestamp(raw.today - timedelta(days=29))
    bookings = raw.bookings[raw.bookings["tenant_id"] == tenant_id]
    logins = raw["admin_activity"]
    logins = logins[(logins["tenant_id"] == tenant_id) & (logins["kind"] == "login")]
    invoices = raw["invoices"][raw["invoices"]["tenant_id"] == tenant_id]
    tickets = raw["support_tickets"][raw["support_tickets"]["tenant_id"] == tenant_id]
    nps = raw["nps_responses"][raw["nps_responses"]["tenant_id"] == tenant_id]
    return {
        # The 28 complete days ending yesterday, as every tile window of the console.
        "bookings_28d": float(
            bookings["day"]
            .between(
                pd.Timestamp(raw.today - timedelta(days=28)),
                pd.Timestamp(raw.today - timedelta(days=1)),
            )
            .sum()
        ),
        "logins_30d": float((logins["occurred_at"] >= start).sum()),
        "failed_invoices_90d": float(
            (
                (invoices["issued_on"] >= pd.Timestamp(raw.today - timedelta(days=90)))
                & invoices["status"].isin(["failed", "retried", "written_off"])
            ).sum()
        ),
        "open_tickets": float(tickets["closed_at"].isna().sum()),
        "last_nps": float(nps.sort_values("responded_at")["score"].iloc[-1]) if len(nps) else None,
    }


def mrr_at_risk(raw: Raw) -> float:
    """Paying tenants (active, MRR > 0 today) whose bookings of the last 28 complete days
    fell by 30 % or more from the 28 before, from at least 10 (no churn model scores in
    the small console)."""
    mrr = raw.mrr_by_tenant(raw.today)
    active = raw.active_on(raw.today)["id"]
    now = raw.bookings_in(KPI_START, KPI_END).groupby("tenant_id").size()
    before = (
        raw.bookings_in(KPI_START - timedelta(days=28), KPI_START - timedelta(days=1))
        .groupby("tenant_id")
        .size()
    )
    risky = [
        t
        for t in active
        if mrr.get(t, 0) > 0 and before.get(t, 0) >= 10 and now.get(t, 0) <= 0.7 * before.get(t, 0)
    ]
    return float(mrr.reindex(risky).sum())


# ------------------------------------------------------------------------- the table
Recompute = Callable[[Raw], Any]
# Where the page shows it: a page whose tile has the key, or what a view's figure or
# table shows (a list of numbers).
Shows = str | Callable[[dict[str, Any]], Any]
# key -> (where the page shows it, recomputation from the raw tables)
RECOMPUTE: dict[str, tuple[Shows, Recompute]] = {
    # headline (the Executive Overview's KPI window; ARR and cancellations elsewhere)
    "mrr": ("overview", lambda raw: mrr_at(raw, KPI_END)),
    "arr": ("revenue", lambda raw: 12 * mrr_at(raw, raw.end)),
    "active_tenants": ("overview", lambda raw: float(len(raw.active_on(KPI_END)))),
    "bookings": ("overview", lambda raw: float(len(kpi_bookings(raw)))),
    "gmv": ("overview", lambda raw: gmv(kpi_bookings(raw))),
    "logo_churn": ("overview", lambda raw: logo_churn(raw, KPI_START, KPI_END)),
    "no_show_rate": ("overview", lambda raw: no_show_rate(kpi_bookings(raw))),
    "cancellation_rate": (
        "bookings",
        lambda raw: cancellation_rate(raw.bookings_in(raw.start, raw.end)),
    ),
    # revenue and churn (months)
    "arpa": ("revenue", lambda raw: arpa(raw, raw.end)),
    "nrr": ("revenue", lambda raw: retention(raw, gross=False, constant=False)),
    "grr": ("revenue", lambda raw: retention(raw, gross=True, constant=False)),
    "nrr_constant": ("revenue", lambda raw: retention(raw, gross=False, constant=True)),
    "grr_constant": ("revenue", lambda raw: retention(raw, gross=True, constant=True)),
    "quick_ratio": ("revenue", quick_ratio),
    "gross_mrr_churn": ("revenue", gross_mrr_churn),
    "net_mrr_churn": ("revenue", net_mrr_churn),
    "paying_logo_churn": ("churn", paying_logo_churn),
    "churned_tenants": ("churn", lambda raw: period_movements(raw)["churn_events"]),
    "churned_mrr": ("churn", churned_mrr),
    "trailing_churn": ("ltv", trailing_churn),
    "movements": (lambda views: list(views["revenue"].waterfall.data[0].y), bridge),
    # bookings & demand
    "average_ticket": ("bookings", average_ticket),
    "lead_time": (lambda views: list(views["bookings"].lead_time.data[0].y), lead_time_shares),
    "holiday_effect": (
        lambda views: list(views["bookings"].holiday_table["effect"]),
        holiday_effects,
    ),
    # operational efficiency
    "utilization": ("efficiency", utilization),
    "rebooking_rate": ("efficiency", rebooking_rate),
    "revenue_per_staff_hour": ("efficiency", revenue_per_staff_hour),
    "returning_share": ("efficiency", returning_share),
    # financial operations
    "invoices_issued": ("finance", lambda raw: float(len(period_invoices(raw)))),
    "invoices_paid": ("finance", lambda raw: float(period_invoices(raw)["paid_on"].notna().sum())),
    "invoices_failed": (
        "finance",
        lambda raw: float(
            (failed_once(period_invoices(raw)) & period_invoices(raw)["paid_on"].isna()).sum()
        ),
    ),
    "dso": ("finance", dso),
    "payment_failure_rate": ("finance", payment_failure_rate),
    "dunning_recovery": ("finance", dunning_recovery),
    "reconciled": ("finance", reconciled),
    "job_success": ("finance", job_success),
    # regions
    "provinces": ("regions", lambda raw: regions_figures(raw)["provinces"]),
    "cities": ("regions", lambda raw: regions_figures(raw)["cities"]),
    "new_tenants": ("regions", lambda raw: regions_figures(raw)["new_tenants"]),
    "growth": ("regions", lambda raw: regions_figures(raw)["growth"]),
    "top_share": ("regions", lambda raw: regions_figures(raw)["top_share"]),
    # partnerships
    **{
        key: ("partners", lambda raw, key=key: partner_figures(raw)[key])
        for key in (
            "referred_tenants",
            "new_referred",
            "referred_mrr",
            "referred_gmv",
            "payouts",
            "referred_churn",
            "organic_churn",
            "partners_active",
        )
    },
    # onboarding funnel
    **{
        key: ("funnel", lambda raw, key=key: funnel_figures(raw)[key])
        for key in (
            "sessions_started",
            "activated",
            "success_rate",
            "median_time_to_activate",
            "auto_verification_rate",
            "median_time_to_first_booking",
        )
    },
    # onboarding sessions
    **{
        key: ("onboarding", lambda raw, key=key: onboarding_figures(raw)[key])
        for key in ("sessions_in_progress", "idle_sessions", "went_live_7d", "median_time_to_live")
    },
    "stalled": ("funnel", stalled),
    # one tenant (Tenant 360's signals)
    **{
        key: (
            "tenant_360",
            lambda raw, key=key: tenant_figures(raw, int(console()[0]["tenant_360"]["tenant_id"]))[
                key
            ],  # type: ignore[arg-type]
        )
        for key in ("bookings_28d", "logins_30d", "failed_invoices_90d", "open_tickets", "last_nps")
    },
    "mrr_at_risk": ("churn", mrr_at_risk),
}


# Keys another page shows as a tile too, recomputed there as well: (page, key) ->
# recomputation. The no-show rate's RECOMPUTE page is the Overview's KPI window.
ALSO_SHOWN: dict[tuple[str, str], Recompute] = {
    ("efficiency", "no_show_rate"): lambda raw: no_show_rate(raw.bookings_in(raw.start, raw.end)),
    ("efficiency", "cancellation_rate"): lambda raw: cancellation_rate(
        raw.bookings_in(raw.start, raw.end)
    ),
}


def shown(pages: Captured, page: str, key: str) -> float | None:
    assert key in pages[page], f"the {page} page shows no {key!r} tile: {sorted(pages[page])}"
    value = pages[page][key]
    if isinstance(value, str):
        return parse_shown(value)
    return None if value is None or pd.isna(value) else float(value)


@pytest.mark.parametrize("key", sorted(RECOMPUTE))
def test_the_page_shows_the_recomputed_value(key: str) -> None:
    pages, views, raw = console()
    where, recompute = RECOMPUTE[key]
    expected = recompute(raw)
    actual = shown(pages, where, key) if isinstance(where, str) else where(views)
    if expected is None:
        assert actual is None, f"{key}: the page shows {actual}, the raw rows give nothing"
        return
    assert actual is not None, f"{key}: the page shows nothing, the raw rows give {expected}"
    assert actual == pytest.approx(expected, rel=TOLERANCE, abs=1e-9), key


@pytest.mark.parametrize(("page", "key"), sorted(ALSO_SHOWN))
def test_other_pages_show_the_recomputed_value(page: str, key: str) -> None:
    pages, _, raw = console()
    expected = ALSO_SHOWN[page, key](raw)
    actual = shown(pages, page, key)
    assert expected is not None and actual is not None, (page, key, actual, expected)
    assert actual == pytest.approx(expected, rel=TOLERANCE, abs=1e-9), (page, key)


# The pages built for PERIOD's filters. Left out: the Executive Overview's headline strip
# (it takes no filters: always the KPI window, the 28 days to yesterday), Lifetime Value
# (it reads the dates as signup dates; page_values builds it unfiltered), Onboarding
# sessions (live sessions now) and Tenant 360 (one tenant).
FILTERED_PAGES = (
    "revenue",
    "churn",
    "bookings",
    "efficiency",
    "finance",
    "regions",
    "partners",
    "funnel",
)


def test_a_key_shows_one_value_on_every_page() -> None:
    """Issue 13: for the same filters, a registry key shown as a tile on several pages
    shows the same value on each (compared as numbers, or as the text shown when a page
    passes its tile a formatted value)."""
    pages, _, _ = console()
    by_key: dict[str, dict[str, Any]] = {}
    for page in FILTERED_PAGES:
        for key, value in pages[page].items():
            if key in METRICS:
                by_key.setdefault(key, {})[page] = value
    shared = {key: values for key, values in by_key.items() if len(values) > 1}
    # what this guards (else it would pass by comparing nothing)
    assert {"cancellation_rate", "gmv", "nrr"} <= set(shared), sorted(shared)
    assert set(shared["cancellation_rate"]) == {"bookings", "efficiency"}

    def comparable(key: str, value: Any, *, as_text: bool) -> float | str | None:
        if value is None or (not isinstance(value, str) and pd.isna(value)):
            return None
        if not as_text:
            return float(value)
        return (
            value if isinstance(value, str) else format_value(METRICS[key].unit, value, locale="en")
        )

    def same(a: float | str | None, b: float | str | None) -> bool:
        if isinstance(a, float) and isinstance(b, float):
            return math.isclose(a, b, rel_tol=TOLERANCE, abs_tol=1e-9)
        return a == b

    differ = {}
    for key, values in sorted(shared.items()):
        as_text = any(isinstance(v, str) for v in values.values())
        first, *others = (comparable(key, v, as_text=as_text) for v in values.values())
        if not all(same(first, other) for other in others):
            differ[key] = values
    assert not differ, f"one key, several values for the same filters: {differ}"


# Keys with no recomputation, each with why. Keep it short: a new key belongs in RECOMPUTE
# (or SCORED, test_recomputation_scored.py) unless it is one of these kinds.
EXEMPT: dict[str, str] = {
    # The console's own machinery: the state of its snapshots, scheduler and monitor, not
    # a figure of the platform's rows (tests/dashboards/test_platform_operations.py and
    # tests/core/metrics/test_snapshot_versions.py check them against what they read).
    "snapshot_version": "status of the console's own snapshots",
    "snapshot_age": "status of the console's own snapshots",
    "last_refresh": "status of the console's own refresh job",
    "heartbeat": "status of the console's own scheduler",
    "quality_warnings": "result of the console's own data-quality checks",
    # Model outputs: a fitted survival model and a trained classifier, not a formula of
    # raw rows. LTV is checked as ARPA × margin × lifetime in test_ltv_is_arpa_margin_lifetime.
    "lifetime": "sBG model output (fitted expected lifetime)",
    "ltv": "sBG model output; its identity with ARPA and lifetime is checked below",
    "churn_probability": "churn model output (or, before a model, the holdout prior)",
    # Outcomes of alerts whose follow-up window (30+ days) has ended: alerts fired on a
    # small console have none yet; tests/dashboards/test_intervention_outcomes.py checks
    # the rates against hand-made ledgers.
    "holdout_churn": "needs alerts whose follow-up window has ended",
    "treated_churn": "needs alerts whose follow-up window has ended",
    "churn_reduction": "needs alerts whose follow-up window has ended",
    "alerts_scored": "needs alerts whose follow-up window has ended",
}


def test_every_metric_is_recomputed() -> None:
    """A new registry key needs a recomputation (or a reason it cannot have one)."""
    covered = [*RECOMPUTE, *SCORED, *EXEMPT]
    assert len(covered) == len(set(covered)), "a key is recomputed twice or also exempt"
    missing = set(METRICS) - set(covered)
    assert not missing, f"registry metrics with no recomputation: {sorted(missing)}"
    assert not set(covered) - set(METRICS), "a recomputed key left the registry"
