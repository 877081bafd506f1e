"""Tenant LTV: sBG recovered from simulated tenants, survival and LTV by hand, backtest."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from core.metrics.frames.subscriptions import tenant_month_mrr
from core.models.tenant_ltv import (
    GROSS_MARGIN,
    HORIZON_MONTHS,
    MONTHLY_DISCOUNT_RATE,
    fit_sbg,
    last_complete_month,
    ltv_segments,
    survival_curve,
    tenant_lifetimes,
)
from core.models.tenant_ltv_backtest import ltv_cohort_backtest

AS_OF = date(2026, 1, 15)


def simulate(alpha, beta, n, *, signup_months=36, first=date(2021, 1, 1), seed=1, price=1000.0):
    """Tenants signing up over ``signup_months``; each churns after T ~ sBG months (the
    subscription ends on the first day of month signup + T), at a flat price."""
    rng = np.random.default_rng(seed)
    theta = rng.beta(alpha, beta, size=n)
    lifetimes = rng.geometric(theta)
    offsets = rng.integers(0, signup_months, size=n)
    days = rng.integers(1, 28, size=n)
    tenants, subscriptions = [], []
    for i in range(n):
        month = pd.Timestamp(first) + pd.DateOffset(months=int(offsets[i]))
        signup = month.replace(day=int(days[i])).date()
        end = (month + pd.DateOffset(months=int(lifetimes[i]))).date()
        ended = end if end <= AS_OF else None
        tenants.append(
            {
                "tenant_id": i + 1,
                "tier": "pro",
                "signup_date": signup,
                "status": "churned" if ended else "active",
                "churned_on": ended,
                "churn_reason": "price" if ended else None,
            }
        )
        subscriptions.append(
            {
                "tenant_id": i + 1,
                "plan": "profesional",
                "tier": "pro",
                "mrr_ars": price,
                "started_on": signup,
                "ended_on": ended,
                "change_reason": "new",
            }
        )
    return pd.DataFrame(subscriptions), pd.DataFrame(tenants)


@pytest.fixture(scope="module")
def simulated():
    return simulate(1.2, 6.0, 4000)


def test_recovers_sbg_parameters_from_simulated_tenants(simulated):
    subscriptions, tenants = simulated
    months = tenant_month_mrr(subscriptions, AS_OF)
    lifetimes = tenant_lifetimes(months, tenants, last_complete_month(AS_OF))
    model = fit_sbg(lifetimes)
    assert model is not None
    # 4000 tenants, staggered signups (right-censored): within 20 % of the truth
    assert model.params_["alpha"] == pytest.approx(1.2, rel=0.2)
    assert model.params_["beta"] == pytest.approx(6.0, rel=0.2)


def test_backtest_on_simulated_tenants_is_accurate(simulated):
    subscriptions, tenants = simulated
    result = ltv_cohort_backtest(
        {"subscriptions": subscriptions, "tenants": tenants}, holdout_months=6, as_of=AS_OF
    )
    assert result["n_cohorts"] >= 3 and result["n_tenants"] > 300
    assert result["growth_monthly"] == pytest.approx(0.0)  # flat prices
    assert result["mape"] < 0.05
    assert result["cutoff_month"] == "2025-06"


def test_survival_curve_by_hand():
    # 6 tenants observed 4 months: churn at ages 1, 2, 2; one censored at age 2
    lifetimes = pd.DataFrame(
        {"observed": [4, 4, 4, 4, 4, 2], "churn_age": [1, 2, 2, np.nan, np.nan, np.nan]}
    )
    curve = survival_curve(lifetimes, min_at_risk=2)
    # age 1: 1 of 6 churns; age 2: 2 of 5; age 3: 0 of 2 at risk (the censored one left)
    assert curve[:4] == pytest.approx([1.0, 5 / 6, 5 / 6 * 3 / 5, 5 / 6 * 3 / 5])
    assert len(curve) == 5  # age 4: 2 at risk still


def test_ltv_is_arpa_times_margin_times_discounted_lifetime(simulated):
    subscriptions, tenants = simulated
    months = tenant_month_mrr(subscriptions, AS_OF)
    segments = ltv_segments(months, tenants, last_complete_month(AS_OF))
    overall = segments[(segments["tier"] == "all")].iloc[0]
    assert overall["method"] == "sbg" and overall["arpa_ars"] == 1000.0
    alpha, beta = overall["alpha"], overall["beta"]
    survival, s = [], 1.0
    for t in range(HORIZON_MONTHS):  # S(t) = S(t-1) (beta + t - 1) / (alpha + beta + t - 1)
        if t:
            s *= (beta + t - 1) / (alpha + beta + t - 1)
        survival.append(s / (1 + MONTHLY_DISCOUNT_RATE) ** t)
    assert overall["ltv_ars"] == pytest.approx(1000.0 * GROSS_MARGIN * sum(survival), rel=1e-9)


def test_small_cohorts_fall_back_to_churn_then_tier():
    subscriptions, tenants = simulate(1.2, 6.0, 300, seed=3)
    months = tenant_month_mrr(subscriptions, AS_OF)
    segments = ltv_segments(months, tenants, last_complete_month(AS_OF))
    assert set(segments["method"]) <= {"sbg", "trailing_churn", "tier_sbg", "none"}
    assert segments.loc[segments["cohort"] == "all", "method"].eq("sbg").all()


@pytest.mark.parametrize("holdout", [0, -1, 2.5, True, "6"])
def test_backtest_rejects_bad_holdout(simulated, holdout):
    subscriptions, tenants = simulated
    with pytest.raises(ValueError, match="holdout_months"):
        ltv_cohort_backtest(
            {"subscriptions": subscriptions, "tenants": tenants},
            holdout_months=holdout,
            as_of=AS_OF,
        )


def test_backtest_rejects_bad_source():
    with pytest.raises(ValueError, match="Session or a mapping"):
        ltv_cohort_backtest({"nope": pd.DataFrame()}, holdout_months=3, as_of=AS_OF)
