"""Monthly MRR per tenant and its movements (ChartMogul/Baremetrics definitions).

A tenant's MRR in a month is the sum of the monthly prices of its subscription periods
open on the month's last day (``started_on <= day < ended_on``); for the current month,
on the as-of day (month to date). Comparing each month with the one before classifies
the change of every tenant:

- new: from 0 to > 0, the first time the tenant pays;
- reactivation: from 0 to > 0 after having paid before (a churned tenant came back);
- expansion / contraction: a paying tenant's MRR went up / down;
- churn: from > 0 to 0.

A continuing tenant's change (paying both months) is split in two ARS parts that add up
to it exactly: ``price_update_ars``, the change on the days a new list price took effect
(subscription periods whose ``change_reason`` is ``price_update``), and ``plan_seat_ars``,
the rest (upgrades, downgrades, locations of a chain). A month with both a price update
and a plan change thus reports both; a price update on the very day of a plan change is
recorded by the generator in the plan change's period and counts as plan/seat. In
constant ARS the MRR of every month is restated first, movements are recomputed from it
(``classify_movements``), the plan/seat part is restated at its month's CPI and the
price-update part is the rest: updates net of inflation, ~0 when they only matched it.

The provider stores one row per tenant per month with MRR > 0, plus one row (MRR 0) for
the month of each churn: a few thousand rows at the default scale.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.metrics.detail import FrameProvider
from core.metrics.mrr_months import (
    classify_movements,
    month_index,
    month_start,
    split_by_price_part,
)
from core.schema import Subscription, Tenant

# month_index, month_start and classify_movements are pure and live in mrr_months, so
# dashboards use them without importing this SQL provider (imported above for the
# provider itself and its tests).

MOVEMENTS = ("new", "expansion", "contraction", "churn", "reactivation")
TENANT_MONTH_COLUMNS = [
    "tenant_id",
    "month",
    "mrr_ars",
    "plan",
    "tier",
    "change_ars",
    "movement",
    "price_update_ars",
    "plan_seat_ars",
]


def read_subscriptions(*, session: Session) -> pd.DataFrame:
    """Every subscription period (tenant_id, plan, tier, mrr_ars, started_on, ended_on,
    change_reason)."""
    rows = session.execute(
        select(
            Subscription.tenant_id,
            Subscription.plan,
            Subscription.tier,
            Subscription.mrr_ars,
            Subscription.started_on,
            Subscription.ended_on,
            Subscription.change_reason,
        )
    ).all()
    columns = ["tenant_id", "plan", "tier", "mrr_ars", "started_on", "ended_on", "change_reason"]
    return pd.DataFrame(rows, columns=columns)


def read_tenants(*, session: Session) -> pd.DataFrame:
    """Tenants with what churn and cohorts need (tenant_id, tier, signup_date, status,
    churned_on, churn_reason)."""
    rows = session.execute(
        select(
            Tenant.id,
            Tenant.tier,
            Tenant.signup_date,
            Tenant.status,
            Tenant.churned_on,
            Tenant.churn_reason,
        )
    ).all()
    columns = ["tenant_id", "tier", "signup_date", "status", "churned_on", "churn_reason"]
    return pd.DataFrame(rows, columns=columns)


def tenant_month_mrr(subscriptions: pd.DataFrame, as_of: date) -> pd.DataFrame:
    """One row per tenant per month with MRR > 0, plus each churn month (MRR 0).

    Columns: tenant_id, month (first day), mrr_ars, plan, tier (of the newest period
    open; for a churn row, of the month before), change_ars, movement, and the change of a
    continuing tenant split into price_update_ars and plan_seat_ars.
    Periods that start after ``as_of`` are ignored.
    """
    subs = subscriptions.copy()
    subs["started_on"] = pd.to_datetime(subs["started_on"])
    subs["ended_on"] = pd.to_datetime(subs["ended_on"])
    as_of_ts = pd.Timestamp(as_of)
    subs = subs[subs["started_on"] <= as_of_ts]
    if subs.empty:
        return pd.DataFrame(columns=TENANT_MONTH_COLUMNS)
    current = int(month_index(pd.Series([as_of_ts]))[0])
    start = month_index(subs["started_on"])
    ended = subs["ended_on"]
    end_index = np.where(ended.isna(), current, month_index(ended.fillna(as_of_ts)) - 1)
    # open on the as-of day though it ends later this month: counts for this month
    still_open = ended.notna().to_numpy() & (month_index(ended.fillna(as_of_ts)) == current)
    still_open &= (ended > as_of_ts).to_numpy()
    end_index = np.minimum(np.where(still_open, current, end_index), current)
    lengths = np.clip(end_index - start + 1, 0, None)
    rows = np.repeat(np.arange(len(subs)), lengths)
    offsets = np.arange(len(rows)) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    exploded = pd.DataFrame(
        {
            "tenant_id": subs["tenant_id"].to_numpy()[rows],
            "month_index": start[rows] + offsets,
            "mrr_ars": subs["mrr_ars"].to_numpy(dtype=float)[rows],
            "plan": subs["plan"].to_numpy()[rows],
            "tier": subs["tier"].to_numpy()[rows],
            "started_on": subs["started_on"].to_numpy()[rows],
        }
    ).sort_values(["tenant_id", "month_index", "started_on"], kind="stable")
    months = exploded.groupby(["tenant_id", "month_index"], sort=True).agg(
        mrr_ars=("mrr_ars", "sum"), plan=("plan", "last"), tier=("tier", "last")
    )
    months = months[months["mrr_ars"] > 0].reset_index()

    # churn rows: a paying month not followed by a paying month (before the current one)
    follows = months.groupby("tenant_id")["month_index"].shift(-1)
    churned = months[(follows != months["month_index"] + 1) & (months["month_index"] < current)]
    churn_rows = churned.assign(month_index=churned["month_index"] + 1, mrr_ars=0.0)
    months = pd.concat([months, churn_rows], ignore_index=True)
    months["month"] = month_start(months["month_index"].to_numpy()).to_numpy()
    months = classify_movements(months)

    price = price_update_changes(subs, as_of_ts).rename("price_ars")
    months = months.join(price, on=["tenant_id", "month_index"])
    months = split_by_price_part(months, months["price_ars"].fillna(0.0).to_numpy())
    return months[TENANT_MONTH_COLUMNS].reset_index(drop=True)


def price_update_changes(subs: pd.DataFrame, as_of: pd.Timestamp) -> pd.Series:
    """ARS change of each tenant's MRR on the days a list-price update took effect, summed
    by (tenant_id, month_index).

    ``subs``: the periods started by ``as_of`` (datetime ``started_on``/``ended_on``). A
    day's change is what opened minus what closed that day (the MRR the day after the
    previous period is the MRR that day); it counts when every period opening that day
    is a price update. The days of a month add up to its month-end change.
    """
    opened = pd.DataFrame(
        {
            "tenant_id": subs["tenant_id"].to_numpy(),
            "day": subs["started_on"].to_numpy(),
            "delta": subs["mrr_ars"].to_numpy(dtype=float),
            "price": (subs["change_reason"] == "price_update").to_numpy(),
        }
    )
    ended = subs[subs["ended_on"].notna() & (subs["ended_on"] <= as_of)]
    closed = pd.DataFrame(
        {
            "tenant_id": ended["tenant_id"].to_numpy(),
            "day": ended["ended_on"].to_numpy(),
            "delta": -ended["mrr_ars"].to_numpy(dtype=float),
        }
    )
    price_days = opened.groupby(["tenant_id", "day"])["price"].all()
    price_days = price_days[price_days]
    deltas = pd.concat([opened[["tenant_id", "day", "delta"]], closed], ignore_index=True)
    by_day = deltas.groupby(["tenant_id", "day"])["delta"].sum()
    by_day = by_day[by_day.index.isin(price_days.index)].reset_index()
    by_day["month_index"] = month_index(by_day["day"]) if len(by_day) else []
    return by_day.groupby(["tenant_id", "month_index"])["delta"].sum()


def compute_revenue_frames(session: Session, as_of: date) -> dict[str, pd.DataFrame]:
    subscriptions = read_subscriptions(session=session)
    frame = tenant_month_mrr(subscriptions, as_of)
    return {"revenue_tenant_months": frame}


PROVIDERS = [
    FrameProvider(
        name="revenue",
        frames=("revenue_tenant_months",),
        compute=compute_revenue_frames,
        description="MRR per tenant per month (month-end, month to date for the current "
        "month) with its movement: new, expansion, contraction, churn, reactivation; a "
        "continuing tenant's change split into list-price updates and plan/seat changes.",
    )
]
