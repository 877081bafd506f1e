"""Partnerships & Attribution detail tables: partners and every tenant's month.

Attribution follows ``tenants.partner_id``: the partner whose claim won (the last touch).
Earlier first-touch claims by other partners are counted per partner as *assists*.
Per tenant and month: MRR at the end of the month (the subscription periods open on its
last day, or on the as-of day for the current month), subscription revenue collected
(invoices paid that month, the base of revenue-share payouts) and GMV (completed
appointments, from the tenant-day rollup). Organic tenants are included so the page
can compare partner-referred and organic tenants.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
from sqlalchemy import Date, FunctionElement, func, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session

from core.metrics.detail import FrameProvider
from core.schema import Invoice, Partner, Referral, RollupTenantDay, Subscription

TENANT_MONTH_COLUMNS = ["tenant_id", "month", "mrr_ars", "collected_ars", "gmv_ars"]


class month_start(FunctionElement[date]):  # noqa: N801 - reads like the SQL function it is
    """The first day of a date's or timestamp's month, as a DATE, on every dialect."""

    type = Date()
    inherit_cache = True


@compiles(month_start, "sqlite")
def _month_start_sqlite(element, compiler, **kw):
    return f"date({compiler.process(element.clauses, **kw)}, 'start of month')"


@compiles(month_start)
def _month_start_default(element, compiler, **kw):
    return f"CAST(date_trunc('month', {compiler.process(element.clauses, **kw)}) AS DATE)"


def read_partners(*, session: Session) -> pd.DataFrame:
    """One row per partner, with the first-touch claims it made on tenants it did not win."""
    assists = (
        select(Referral.partner_id, func.count().label("assists"))
        .where(Referral.attribution == "first_touch")
        .group_by(Referral.partner_id)
        .subquery()
    )
    rows = session.execute(
        select(
            Partner.id,
            Partner.name,
            Partner.kind,
            Partner.revenue_share_pct,
            func.coalesce(assists.c.assists, 0),
        )
        .outerjoin(assists, assists.c.partner_id == Partner.id)
        .order_by(Partner.id)
    ).all()
    frame = pd.DataFrame(
        rows, columns=["partner_id", "name", "kind", "revenue_share_pct", "assists"]
    )
    return frame.astype({"partner_id": "int64", "revenue_share_pct": float, "assists": "int64"})


def month_end_mrr(
    subscriptions: pd.DataFrame, months: pd.DatetimeIndex, as_of: date
) -> pd.DataFrame:
    """MRR per tenant on the last day of each month (the as-of day for the current month)."""
    if subscriptions.empty or len(months) == 0:
        # Typed, so the outer merges with the (datetime) invoice and GMV months still work
        # on a database that has no subscriptions yet.
        return pd.DataFrame(
            {
                "tenant_id": pd.Series(dtype="int64"),
                "month": pd.Series(dtype="datetime64[ns]"),
                "mrr_ars": pd.Series(dtype=float),
            }
        )
    started = pd.to_datetime(subscriptions["started_on"]).to_numpy()
    ended = pd.to_datetime(subscriptions["ended_on"]).to_numpy()  # NaT: still open
    parts = []
    for month in months:
        day = min(month + pd.offsets.MonthEnd(0), pd.Timestamp(as_of)).to_datetime64()
        open_then = (started <= day) & (np.isnat(ended) | (ended > day))
        chosen = subscriptions[open_then]
        totals = chosen.groupby("tenant_id", as_index=False)["mrr_ars"].sum()
        parts.append(totals.assign(month=month))
    return pd.concat(parts, ignore_index=True)


def compute_partners(session: Session, as_of: date) -> dict[str, pd.DataFrame]:
    subscriptions = pd.DataFrame(
        session.execute(
            select(
                Subscription.tenant_id,
                Subscription.mrr_ars,
                Subscription.started_on,
                Subscription.ended_on,
            )
        ).all(),
        columns=["tenant_id", "mrr_ars", "started_on", "ended_on"],
    ).astype({"mrr_ars": float})
    paid_month = month_start(Invoice.paid_on).label("month")
    collected = pd.DataFrame(
        session.execute(
            select(Invoice.tenant_id, paid_month, func.sum(Invoice.amount_ars))
            .where(Invoice.paid_on.is_not(None), Invoice.paid_on <= as_of)
            .group_by(Invoice.tenant_id, paid_month)
        ).all(),
        columns=["tenant_id", "month", "collected_ars"],
    )
    gmv_month = month_start(RollupTenantDay.day).label("month")
    gmv = pd.DataFrame(
        session.execute(
            select(RollupTenantDay.tenant_id, gmv_month, func.sum(RollupTenantDay.gmv_ars))
            .where(RollupTenantDay.day <= as_of)
            .group_by(RollupTenantDay.tenant_id, gmv_month)
        ).all(),
        columns=["tenant_id", "month", "gmv_ars"],
    )
    for frame in (collected, gmv):
        frame["month"] = pd.to_datetime(frame["month"]).astype("datetime64[ns]")
        frame["tenant_id"] = frame["tenant_id"].astype("int64")
    first = min(
        [pd.Timestamp(as_of).to_period("M").to_timestamp()]
        + [frame["month"].min() for frame in (collected, gmv) if not frame.empty]
    )
    months = pd.date_range(first, pd.Timestamp(as_of), freq="MS")
    mrr = month_end_mrr(subscriptions, months, as_of)
    tenant_month = mrr.merge(collected, on=["tenant_id", "month"], how="outer").merge(
        gmv, on=["tenant_id", "month"], how="outer"
    )
    money = ["mrr_ars", "collected_ars", "gmv_ars"]
    tenant_month[money] = tenant_month[money].astype(float).fillna(0.0)
    tenant_month = tenant_month[(tenant_month[money] != 0).any(axis=1)]
    return {
        "partners": read_partners(session=session),
        "partners_tenant_month": tenant_month.sort_values(["tenant_id", "month"])[
            TENANT_MONTH_COLUMNS
        ].reset_index(drop=True),
    }


PROVIDERS = [
    FrameProvider(
        name="partners",
        frames=("partners", "partners_tenant_month"),
        compute=compute_partners,
        description="Partners (with first-touch assists) and per tenant per month: "
        "month-end MRR, subscription revenue collected and GMV.",
    )
]
