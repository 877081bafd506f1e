"""sBG: Fader & Hardie (2007) published example, hand recursions, simulated cohorts."""

from __future__ import annotations

import math

import numpy as np
import pytest

from core.ltv import ShiftedBetaGeometric
from tests.core.ltv.simulation import simulate_sbg_survival

# Fader & Hardie (2007), table 1: share of 1000 customers still active after 0..12
# years; the model is fitted on years 0..7 and projects the rest.
REGULAR = [1.000, 0.631, 0.468, 0.382, 0.326, 0.289, 0.262, 0.241, 0.223]
HIGH_END = [1.000, 0.869, 0.743, 0.653, 0.593, 0.551, 0.517, 0.491]


def with_params(alpha: float, beta: float) -> ShiftedBetaGeometric:
    model = ShiftedBetaGeometric()
    model.params_ = {"alpha": alpha, "beta": beta}
    return model


def survival_by_recursion(alpha, beta, periods):
    """S(0) = 1, S(t) = S(t - 1) (beta + t - 1) / (alpha + beta + t - 1)."""
    survival = [1.0]
    for t in range(1, periods + 1):
        survival.append(survival[-1] * (beta + t - 1) / (alpha + beta + t - 1))
    return np.array(survival)


def churn_by_recursion(alpha, beta, periods):
    """P(T = 1) = alpha / (alpha + beta), then times (beta + t - 2) / (alpha + beta + t - 1)."""
    churn = [alpha / (alpha + beta)]
    for t in range(2, periods + 1):
        churn.append(churn[-1] * (beta + t - 2) / (alpha + beta + t - 1))
    return np.array(churn)


@pytest.mark.parametrize(
    ("survival", "alpha", "beta", "log_likelihood"),
    [(REGULAR[:8], 0.704, 1.182, -1680.3), (HIGH_END, 0.668, 3.806, -1611.2)],
    ids=["regular", "high-end"],
)
def test_reproduces_the_published_estimates(survival, alpha, beta, log_likelihood):
    model = ShiftedBetaGeometric().fit(survival, n_customers=1000)
    # the paper reports 3 decimals for the parameters and 1 for the log-likelihood
    assert model.params_["alpha"] == pytest.approx(alpha, abs=1e-3)
    assert model.params_["beta"] == pytest.approx(beta, abs=1e-3)
    assert model.log_likelihood_ == pytest.approx(log_likelihood, abs=0.1)


def test_projects_the_regular_segment_close_to_the_held_out_year():
    model = ShiftedBetaGeometric().fit(REGULAR[:8], n_customers=1000)
    # year 8 was not used for fitting: the paper's point is that sBG projects well
    assert model.survival_function(8)[0] == pytest.approx(REGULAR[8], abs=0.01)


def test_log_likelihood_by_hand():
    model = ShiftedBetaGeometric().fit(HIGH_END, n_customers=1000)
    alpha, beta = model.params_["alpha"], model.params_["beta"]
    survivors = np.array(HIGH_END) * 1000
    churned = -np.diff(survivors)
    churn_part = np.sum(churned * np.log(churn_by_recursion(alpha, beta, 7)))
    survivor_part = survivors[-1] * math.log(survival_by_recursion(alpha, beta, 7)[-1])
    by_hand = churn_part + survivor_part
    assert model.log_likelihood_ == pytest.approx(by_hand, rel=1e-10)


def test_survival_function_matches_the_recursion():
    model = with_params(0.704, 1.182)
    periods = np.arange(0, 25)
    assert np.allclose(
        model.survival_function(periods), survival_by_recursion(0.704, 1.182, 24), rtol=1e-12
    )
    assert model.survival_function(0)[0] == 1.0


@pytest.mark.parametrize(("alpha", "beta"), [(0.704, 1.182), (0.668, 3.806), (3.0, 2.0)])
@pytest.mark.parametrize("discount_rate", [0.05, 0.1, 0.5])
def test_discounted_lifetime_is_the_discounted_sum_of_survival(alpha, beta, discount_rate):
    survival = survival_by_recursion(alpha, beta, 2000)
    direct = np.sum(survival * (1 + discount_rate) ** -np.arange(2001.0))
    del_ = with_params(alpha, beta).expected_lifetime(discount_rate)
    assert del_ == pytest.approx(direct, rel=1e-10)


def test_undiscounted_lifetime():
    # E[T] = sum of S(t) over t >= 0 = 1 + beta / (alpha - 1): periods counting the first
    model = with_params(3.0, 2.0)
    assert model.expected_lifetime(0) == 2.0
    direct = survival_by_recursion(3.0, 2.0, 200_000).sum()
    assert direct == pytest.approx(2.0, rel=1e-6)
    assert model.expected_lifetime(1e-9) == pytest.approx(2.0, rel=1e-6)
    # a heavy tail (alpha <= 1) has no finite mean
    assert with_params(0.704, 1.182).expected_lifetime(0) == math.inf
    assert with_params(1.0, 1.182).expected_lifetime() == math.inf


def test_discounting_shortens_the_lifetime():
    model = with_params(0.668, 3.806)
    values = [model.expected_lifetime(d) for d in (0.01, 0.05, 0.1, 0.2, 1.0)]
    assert np.all(np.diff(values) < 0)
    assert values[-1] > 1.0  # period 0 always counts in full


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_recovers_parameters_from_simulated_cohorts(seed):
    rng = np.random.default_rng(seed)
    survival = simulate_sbg_survival(0.7, 1.2, n_customers=20_000, periods=12, rng=rng)
    fitted = ShiftedBetaGeometric().fit(survival, n_customers=20_000).params_
    # about 4 standard deviations over 20 seeds: relative sd 1.5% (alpha), 2.2% (beta)
    assert fitted["alpha"] == pytest.approx(0.7, rel=0.10)
    assert fitted["beta"] == pytest.approx(1.2, rel=0.10)


# --- bad input ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("survival", "message"),
    [
        ([1.0], "at least two points"),
        ([], "at least two points"),
        ([[1.0, 0.5], [1.0, 0.4]], "at least two points"),
        ("1.0, 0.5", "sequence of numbers"),
        ([0.9, 0.8, 0.7], "must start at 1.0"),
        ([1.0, 0.8, -0.1], r"outside \[0, 1\]"),
        ([1.0, 1.2, 0.5], r"outside \[0, 1\]"),
        ([1.0, 0.6, 0.7], "increases"),
        ([1.0, np.nan, 0.5], "missing or infinite"),
        ([1.0, 1.0, 1.0], "nobody churned"),
    ],
)
def test_fit_rejects_bad_survival(survival, message):
    with pytest.raises(ValueError, match=message):
        ShiftedBetaGeometric().fit(survival, n_customers=1000)


@pytest.mark.parametrize("n_customers", [0, -5, 2.5, True, "1000", None])
def test_fit_rejects_a_bad_cohort_size(n_customers):
    with pytest.raises(ValueError, match="n_customers must be a whole number >= 1"):
        ShiftedBetaGeometric().fit(REGULAR, n_customers=n_customers)


@pytest.mark.parametrize("discount_rate", [-0.1, float("nan"), float("inf"), "0.1", None])
def test_expected_lifetime_rejects_a_bad_discount_rate(discount_rate):
    with pytest.raises(ValueError, match="discount_rate must be a finite number >= 0"):
        with_params(0.7, 1.2).expected_lifetime(discount_rate)


@pytest.mark.parametrize("periods", [-1, [0, 1.5], [], ["1"], [True]])
def test_survival_function_rejects_bad_periods(periods):
    with pytest.raises(ValueError, match="periods must be whole numbers >= 0"):
        with_params(0.7, 1.2).survival_function(periods)
