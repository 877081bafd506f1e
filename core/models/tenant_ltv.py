"""Tenant lifetime value: ARPA x gross margin x discounted expected lifetime (sBG).

Segments are a tier (the tenant's current one) and a signup cohort (signup year). Each
segment's monthly survival is a Kaplan-Meier curve over its tenants (a tenant "survives"
month k after its signup month while it has not churned for the first time; later
reactivations are ignored, tenants that signed up recently are censored), and the
shifted-beta-geometric model (``core.ltv.ShiftedBetaGeometric``) fitted on it gives the
discounted expected lifetime over a ten-year horizon. Where it cannot be fitted (too few
months observed, or no churn), the lifetime comes from the segment's trailing 6-month
churn rate c: a geometric survival (1 - c)^t with the same discounting and horizon.

LTV is in today's pesos: ARPA is today's MRR per paying tenant of the segment, and the
discount rate is a real rate (prices are updated for inflation).

Pure pandas, no SQL: the detail provider (``core/metrics/frames/lifetime_value.py``) and
the Lifetime Value dashboard both call it. ``core.models.tenant_ltv_backtest`` checks the
model out of sample.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from core.ltv import ConvergenceWarning, ShiftedBetaGeometric
from core.metrics.mrr_months import month_index

GROSS_MARGIN = 0.8  # share of subscription revenue left after hosting, payments, support
ANNUAL_DISCOUNT_RATE = 0.10  # real, per year
MONTHLY_DISCOUNT_RATE = (1 + ANNUAL_DISCOUNT_RATE) ** (1 / 12) - 1
HORIZON_MONTHS = 120  # lifetime counted over ten years at most
MIN_AT_RISK = 5  # the survival curve stops at the first age with fewer tenants observed
TRAILING_CHURN_MONTHS = 6
ESTIMATE_DELTA_MONTHS = 6  # dashboards compare today's estimate with the one this much earlier

SEGMENT_COLUMNS = [
    "tier",
    "cohort",
    "tenants",
    "paying",
    "arpa_ars",
    "method",
    "alpha",
    "beta",
    "survival_months",
    "trailing_churn",
    "lifetime_months",
    "ltv_ars",
]


def tenant_lifetimes(
    tenant_months: pd.DataFrame, tenants: pd.DataFrame, last_month: int
) -> pd.DataFrame:
    """Per tenant signed up by ``last_month`` (a month index): tier, cohort (signup year),
    ``observed`` months since its signup month, and ``churn_age`` (months from the signup
    month to its first churn, at least 1; NaN when it has not churned by ``last_month``)."""
    signup = month_index(tenants["signup_date"])
    base = pd.DataFrame(
        {
            "tenant_id": tenants["tenant_id"].to_numpy(),
            "tier": tenants["tier"].to_numpy(),
            "cohort": pd.to_datetime(tenants["signup_date"]).dt.year.to_numpy(),
            "signup_index": signup,
            "observed": last_month - signup,
        }
    )
    base = base[base["observed"] >= 0]
    churns = tenant_months[tenant_months["movement"] == "churn"]
    churn_index = pd.Series(month_index(churns["month"]), index=churns.index)
    churns = churns.assign(index=churn_index)
    first = churns[churns["index"] <= last_month].groupby("tenant_id")["index"].min()
    base["churn_age"] = (base["tenant_id"].map(first) - base["signup_index"]).clip(lower=1)
    return base.reset_index(drop=True)


def survival_curve(lifetimes: pd.DataFrame, min_at_risk: int = MIN_AT_RISK) -> np.ndarray:
    """Kaplan-Meier share still active at ages 0..K (K: last age with enough tenants)."""
    observed = lifetimes["observed"].to_numpy()
    churn_age = lifetimes["churn_age"].to_numpy(dtype=float)
    curve = [1.0]
    age = 1
    while True:
        at_risk = int(np.sum((observed >= age) & ~(churn_age < age)))
        if at_risk < min_at_risk:
            break
        churned = int(np.sum(churn_age == age))
        curve.append(curve[-1] * (1 - churned / at_risk))
        age += 1
    return np.array(curve)


def fit_sbg(lifetimes: pd.DataFrame) -> ShiftedBetaGeometric | None:
    """The sBG fitted on the tenants' survival curve, or None when it cannot be."""
    curve = survival_curve(lifetimes)
    if len(curve) < 3 or curve[-1] >= 1.0:
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return ShiftedBetaGeometric().fit(curve, n_customers=len(lifetimes))


def discounted_lifetime(survival: np.ndarray, rate: float = MONTHLY_DISCOUNT_RATE) -> float:
    """sum over t of S(t) / (1 + rate)^t, S given for t = 0..HORIZON_MONTHS - 1."""
    return float(np.sum(survival / (1 + rate) ** np.arange(len(survival))))


@dataclass(frozen=True)
class Retention:
    """How long a segment's tenants stay: an sBG, a constant monthly churn, or unknown.

    ``method`` is sbg, trailing_churn, tier_sbg / tier_trailing_churn (the segment's
    tier's model, when the segment alone cannot say) or none.
    """

    method: str
    alpha: float | None = None
    beta: float | None = None
    churn: float | None = None

    def survival(self, ages: np.ndarray) -> np.ndarray:
        """Share of a segment's new tenants still active ``ages`` months after signup."""
        ages = np.asarray(ages, dtype=float)
        if self.alpha is not None and self.beta is not None:
            model = ShiftedBetaGeometric()
            model.params_ = {"alpha": self.alpha, "beta": self.beta}
            return model.survival_function(ages.astype(int))
        if self.churn is not None:
            return (1 - self.churn) ** ages
        return np.full(ages.shape, np.nan)

    def lifetime(self) -> float:
        """Discounted expected lifetime in months, over the horizon."""
        return discounted_lifetime(self.survival(np.arange(HORIZON_MONTHS)))

    def as_tier_fallback(self) -> Retention:
        if self.method == "none":
            return self
        return replace(self, method=f"tier_{self.method}")


def fit_retention(
    lifetimes: pd.DataFrame, churn: float | None, fallback: Retention | None = None
) -> Retention:
    """The segment's sBG; else its trailing churn; else ``fallback``; else none."""
    model = fit_sbg(lifetimes) if len(lifetimes) else None
    if model is not None:
        return Retention("sbg", alpha=model.params_["alpha"], beta=model.params_["beta"])
    if churn:
        return Retention("trailing_churn", churn=churn)
    if fallback is not None:
        return fallback.as_tier_fallback()
    return Retention("none")


def trailing_churn(
    tenant_months: pd.DataFrame, last_month: int, months: int = TRAILING_CHURN_MONTHS
) -> float | None:
    """Churn events in the ``months`` months up to ``last_month`` over the tenant-months
    paying at the start of each of them; None when nobody was paying."""
    index = month_index(tenant_months["month"])
    window = (index > last_month - months) & (index <= last_month)
    churned = int(np.sum(window & (tenant_months["movement"] == "churn").to_numpy()))
    start = (index >= last_month - months) & (index < last_month)
    paying = int(np.sum(start & (tenant_months["mrr_ars"] > 0).to_numpy()))
    return None if paying == 0 else churned / paying


def _arpa(tenant_months: pd.DataFrame, month: int) -> tuple[float | None, int]:
    at = tenant_months[(month_index(tenant_months["month"]) == month)]
    paying = at[at["mrr_ars"] > 0]
    return (float(paying["mrr_ars"].mean()) if len(paying) else None), len(paying)


def segment_ltv(
    tenant_months: pd.DataFrame,
    lifetimes: pd.DataFrame,
    last_month: int,
    fallback: Retention | None = None,
) -> tuple[dict[str, Any], Retention]:
    """One segment's LTV row as of ``last_month`` and its fitted retention."""
    arpa, paying = _arpa(tenant_months, last_month)
    churn = trailing_churn(tenant_months, last_month)
    retention = fit_retention(lifetimes, churn, fallback)
    lifetime = retention.lifetime() if retention.method != "none" else np.nan
    row = {
        "tenants": len(lifetimes),
        "paying": paying,
        "arpa_ars": arpa,
        "method": retention.method,
        "alpha": retention.alpha if retention.alpha is not None else np.nan,
        "beta": retention.beta if retention.beta is not None else np.nan,
        "survival_months": len(survival_curve(lifetimes)) - 1,
        "trailing_churn": churn,
        "lifetime_months": lifetime,
        "ltv_ars": np.nan if arpa is None else arpa * GROSS_MARGIN * lifetime,
    }
    return row, retention


def _content_key(*frames: pd.DataFrame) -> int:
    return hash(tuple(int(pd.util.hash_pandas_object(f, index=False).sum()) for f in frames))


_SEGMENT_CACHE: dict[tuple[int, int], pd.DataFrame] = {}


def ltv_segments(
    tenant_months: pd.DataFrame, tenants: pd.DataFrame, last_month: int
) -> pd.DataFrame:
    """LTV per tier x signup cohort, per tier (cohort "all") and overall (tier "all").

    A cohort whose own sBG and trailing churn cannot say how long it stays takes its
    tier's retention. Results are memoized by content: complete months rarely change,
    so the provider refits only when they do.
    """
    months = tenant_months[month_index(tenant_months["month"]) <= last_month]
    key = (last_month, _content_key(months, tenants))
    if key in _SEGMENT_CACHE:
        return _SEGMENT_CACHE[key].copy()
    lifetimes = tenant_lifetimes(months, tenants, last_month)

    def of(group: pd.DataFrame) -> pd.DataFrame:
        return months[months["tenant_id"].isin(group["tenant_id"])]

    rows = [
        {"tier": "all", "cohort": "all", **segment_ltv(of(lifetimes), lifetimes, last_month)[0]}
    ]
    for tier, by_tier in lifetimes.groupby("tier", sort=True):
        row, tier_retention = segment_ltv(of(by_tier), by_tier, last_month)
        rows.append({"tier": str(tier), "cohort": "all", **row})
        for cohort, group in by_tier.groupby("cohort", sort=True):
            row, _ = segment_ltv(of(group), group, last_month, fallback=tier_retention)
            rows.append({"tier": str(tier), "cohort": str(int(cohort)), **row})
    frame = pd.DataFrame(rows, columns=SEGMENT_COLUMNS)
    if len(_SEGMENT_CACHE) > 16:
        _SEGMENT_CACHE.clear()
    _SEGMENT_CACHE[key] = frame
    return frame.copy()


def last_complete_month(as_of: date) -> int:
    return int(month_index(pd.Series([pd.Timestamp(as_of)]))[0]) - 1
