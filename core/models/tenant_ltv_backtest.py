"""Out-of-sample check of the tenant LTV model (``core.models.tenant_ltv``).

Fitted on the months before a cutoff, the model predicts the revenue of each segment's
tenants paying at the cutoff over the held-out months, compared with what they actually
paid. It reads the subscriptions and tenants itself when given a session.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy.orm import Session

from core.metrics.frames.subscriptions import read_subscriptions, read_tenants, tenant_month_mrr
from core.metrics.mrr_months import month_index
from core.models.tenant_ltv import last_complete_month, segment_ltv, tenant_lifetimes

MIN_BACKTEST_TENANTS = 3  # segments with fewer paying tenants at the cutoff are left out
GROWTH_MONTHS = 12  # window of the same-tenant MRR growth used by the backtest


def _frames(source: Session | Mapping[str, pd.DataFrame]) -> tuple[pd.DataFrame, pd.DataFrame]:
    if isinstance(source, Session):
        return read_subscriptions(session=source), read_tenants(session=source)
    try:
        return source["subscriptions"], source["tenants"]
    except (KeyError, TypeError):
        raise ValueError(
            "ltv_cohort_backtest needs a Session or a mapping with 'subscriptions' and "
            "'tenants' frames."
        ) from None


def same_tenant_growth(tenant_months: pd.DataFrame, last_month: int) -> float:
    """Monthly growth of the MRR of tenants paying both GROWTH_MONTHS months before
    ``last_month`` and at it (price updates and plan changes); 0 when unknown."""
    index = month_index(tenant_months["month"])
    for span in range(GROWTH_MONTHS, 0, -1):
        before = tenant_months[(index == last_month - span) & (tenant_months["mrr_ars"] > 0)]
        after = tenant_months[(index == last_month) & (tenant_months["mrr_ars"] > 0)]
        both = np.intersect1d(before["tenant_id"], after["tenant_id"])
        if len(both):
            start = before[before["tenant_id"].isin(both)]["mrr_ars"].sum()
            end = after[after["tenant_id"].isin(both)]["mrr_ars"].sum()
            return float((end / start) ** (1 / span) - 1)
    return 0.0


def ltv_cohort_backtest(
    source: Session | Mapping[str, pd.DataFrame],
    *,
    holdout_months: int = 6,
    as_of: date | None = None,
) -> dict[str, Any]:
    """Out-of-sample check of the LTV model on held-out months.

    Everything is fitted on the months up to a cutoff (``holdout_months`` before the last
    complete month): each segment's retention (sBG, or the trailing-churn fallback),
    its ARPA at the cutoff, and the same-tenant monthly MRR growth of the 12 months
    before it (price updates). For the tenants of each segment paying at the cutoff it
    predicts the revenue of the held-out months, ``sum over months h of ARPA x (1 +
    growth)^h x sum over tenants of S(age + h) / S(age)``, and compares it with what
    they actually paid then.

    Parameters
    ----------
    source : Session or mapping
        A database session, or raw rows as ``{"subscriptions": ..., "tenants": ...}``
        (columns as in ``read_subscriptions`` and ``read_tenants``).
    holdout_months : int, default 6
        Months held out (>= 1).
    as_of : date, optional
        Today; defaults to the console clock.

    Returns
    -------
    dict
        ``mape`` (mean absolute percentage error over segments, a fraction), ``wape``
        (total absolute error / total actual revenue), ``n_cohorts``, ``n_tenants``,
        ``holdout_months``, ``cutoff_month`` (YYYY-MM), ``growth_monthly`` and
        ``cohorts`` (one dict per segment: tier, cohort, tenants, method, predicted,
        actual, ape). ``mape`` is None when no segment qualifies.

    Raises
    ------
    ValueError
        If ``holdout_months`` is not a whole number >= 1 or the source is not usable.
    """
    if isinstance(holdout_months, bool) or not isinstance(holdout_months, int | np.integer):
        raise ValueError(f"holdout_months must be a whole number >= 1, got {holdout_months!r}.")
    if holdout_months < 1:
        raise ValueError(f"holdout_months must be a whole number >= 1, got {holdout_months!r}.")
    if as_of is None:
        from core.clock import now

        as_of = now().date()
    subscriptions, tenants = _frames(source)
    months = tenant_month_mrr(subscriptions, as_of)
    last = last_complete_month(as_of)
    cutoff = last - holdout_months
    index = month_index(months["month"]) if len(months) else np.array([], dtype="int64")
    training = months[index <= cutoff]
    lifetimes = tenant_lifetimes(training, tenants, cutoff)
    growth = same_tenant_growth(training, cutoff)
    horizon = np.arange(1, holdout_months + 1)
    held_out = months[(index > cutoff) & (index <= last)]
    at_cutoff = training[(month_index(training["month"]) == cutoff) & (training["mrr_ars"] > 0)]

    cohorts: list[dict[str, Any]] = []
    for tier, by_tier in lifetimes.groupby("tier", sort=True):
        tier_months = training[training["tenant_id"].isin(by_tier["tenant_id"])]
        _, tier_retention = segment_ltv(tier_months, by_tier, cutoff)
        for cohort, group in by_tier.groupby("cohort", sort=True):
            paying = at_cutoff[at_cutoff["tenant_id"].isin(group["tenant_id"])]
            if len(paying) < MIN_BACKTEST_TENANTS:
                continue
            segment, retention = segment_ltv(
                training[training["tenant_id"].isin(group["tenant_id"])],
                group,
                cutoff,
                fallback=tier_retention,
            )
            signup = group.set_index("tenant_id")["signup_index"]
            ages = (cutoff - signup.loc[paying["tenant_id"]]).to_numpy()
            if retention.method == "none":
                alive = np.full(len(horizon), float(len(ages)))
            else:
                now_alive = retention.survival(ages)
                alive = np.array(
                    [np.sum(retention.survival(ages + h) / now_alive) for h in horizon]
                )
            predicted = float(np.sum(segment["arpa_ars"] * (1 + growth) ** horizon * alive))
            actual = float(
                held_out[held_out["tenant_id"].isin(paying["tenant_id"])]["mrr_ars"].sum()
            )
            if actual <= 0:
                continue
            cohorts.append(
                {
                    "tier": str(tier),
                    "cohort": int(cohort),
                    "tenants": len(paying),
                    "method": retention.method,
                    "predicted": round(predicted, 2),
                    "actual": round(actual, 2),
                    "ape": abs(predicted - actual) / actual,
                }
            )
    total_actual = sum(c["actual"] for c in cohorts)
    return {
        "mape": float(np.mean([c["ape"] for c in cohorts])) if cohorts else None,
        "wape": (
            sum(abs(c["predicted"] - c["actual"]) for c in cohorts) / total_actual
            if cohorts
            else None
        ),
        "n_cohorts": len(cohorts),
        "n_tenants": int(sum(c["tenants"] for c in cohorts)),
        "holdout_months": int(holdout_months),
        "cutoff_month": pd.Timestamp(year=cutoff // 12, month=cutoff % 12 + 1, day=1).strftime(
            "%Y-%m"
        ),
        "growth_monthly": growth,
        "cohorts": cohorts,
    }
