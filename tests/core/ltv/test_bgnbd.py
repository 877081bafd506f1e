"""BG/NBD: the likelihood by hand, published numbers, and recovery from simulated data."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest
from scipy.integrate import quad

from core.ltv import BGNBD, ConvergenceWarning
from core.ltv.bgnbd import log_likelihood
from tests.core.ltv.simulation import simulate_bgnbd

# CDNOW estimates of Fader, Hardie & Lee (2005), table 1
PUBLISHED = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
TRUE = {"r": 0.25, "alpha": 4.0, "a": 0.8, "b": 2.5}


def with_params(params: dict[str, float]) -> BGNBD:
    model = BGNBD()
    model.params_ = dict(params)
    return model


def summary_of(rows: list[tuple[float, float, float]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["frequency", "recency", "T"])


def hand_log_likelihood(r, alpha, a, b, x, t_x, t_end):
    """Equation (6) of the paper, term by term with math.lgamma, summed in log space."""

    def log_beta(p, q):
        return math.lgamma(p) + math.lgamma(q) - math.lgamma(p + q)

    log_nbd = math.lgamma(r + x) - math.lgamma(r) + r * math.log(alpha)
    terms = [log_beta(a, b + x) - log_beta(a, b) + log_nbd - (r + x) * math.log(alpha + t_end)]
    if x > 0:
        terms.append(
            log_beta(a + 1, b + x - 1) - log_beta(a, b) + log_nbd - (r + x) * math.log(alpha + t_x)
        )
    top = max(terms)
    return top + math.log(sum(math.exp(term - top) for term in terms))


POINTS = [
    (0, 0.0, 38.86),
    (1, 1.71, 38.86),
    (2, 30.43, 38.86),
    (7, 35.0, 38.0),
    (20, 25.5, 30.0),
    (0, 0.0, 0.0),
    (1000, 1900.0, 2000.0),  # the plain-exp form underflows to 0 here
]


@pytest.mark.parametrize(("x", "t_x", "t_end"), POINTS)
def test_log_likelihood_matches_the_closed_form_by_hand(x, t_x, t_end):
    params = np.array([PUBLISHED[k] for k in ("r", "alpha", "a", "b")])
    ours = log_likelihood(params, np.array([x], float), np.array([t_x]), np.array([t_end]))[0]
    assert math.isclose(ours, hand_log_likelihood(*params, x, t_x, t_end), rel_tol=1e-10)


def test_plain_closed_form_agrees_where_it_does_not_underflow():
    r, alpha, a, b = PUBLISHED.values()
    x, t_x, t_end = 2, 30.43, 38.86

    def beta(p, q):
        return math.gamma(p) * math.gamma(q) / math.gamma(p + q)

    nbd = math.gamma(r + x) * alpha**r / math.gamma(r)
    plain = beta(a, b + x) / beta(a, b) * nbd / (alpha + t_end) ** (r + x) + beta(
        a + 1, b + x - 1
    ) / beta(a, b) * nbd / (alpha + t_x) ** (r + x)
    assert math.isclose(hand_log_likelihood(r, alpha, a, b, x, t_x, t_end), math.log(plain))


def test_published_conditional_expectation():
    # FHL (2005): at the CDNOW estimates, a customer with x = 2, t_x = 30.43 and
    # T = 38.86 weeks is expected to make 1.226 purchases in the next 39 weeks.
    expected = with_params(PUBLISHED).expected_purchases(39, summary_of([(2, 30.43, 38.86)]))
    assert expected.iloc[0] == pytest.approx(1.226, abs=5e-4)


def integrated_conditional_expectation(params, x, t_x, t_end, t):
    """E[Y(t) | x, t_x, T = t_end] without 2F1: P(alive) times a 1-D integral over p.

    Given alive, lambda ~ Gamma(r + x, alpha + T) and p ~ Beta(a, b + x); purchases in
    (T, T + t] then average (1 - exp(-lambda p t)) / p, and the lambda part is closed.
    """
    r, alpha, a, b = params.values()
    norm = math.exp(math.lgamma(a) + math.lgamma(b + x) - math.lgamma(a + b + x))

    def integrand(p):
        if p == 0:
            return (r + x) * t / (alpha + t_end) / norm
        log_ratio = (r + x) * math.log((alpha + t_end) / (alpha + t_end + p * t))
        return -math.expm1(log_ratio) / p / norm

    # weight='alg' integrates f(p) p^(a-1) (1-p)^(b+x-1) on [0, 1], singularity included
    integral, _ = quad(integrand, 0, 1, weight="alg", wvar=(a - 1, b + x - 1), epsrel=1e-12)
    odds_dead = (x > 0) * a / (b + x - 1) * ((alpha + t_end) / (alpha + t_x)) ** (r + x)
    return integral / (1 + odds_dead)


@pytest.mark.parametrize(
    ("x", "t_x", "t_end", "t"),
    [
        (0, 0, 38.86, 39),
        (2, 30.43, 38.86, 39),
        (1, 1.71, 38.86, 10),
        (50, 51.9, 52, 52),
        (100, 50, 52, 52),
        (500, 999, 1000, 52),
    ],
)
def test_conditional_expectation_matches_numerical_integration(x, t_x, t_end, t):
    ours = with_params(PUBLISHED).expected_purchases(t, summary_of([(x, t_x, t_end)])).iloc[0]
    integrated = integrated_conditional_expectation(PUBLISHED, x, t_x, t_end, t)
    assert ours == pytest.approx(integrated, rel=1e-8)


def test_new_customer_expectation_is_the_conditional_one_at_time_zero():
    model = with_params(PUBLISHED)
    for t in (1.0, 39.0, 78.0):
        at_start = model.expected_purchases(t, summary_of([(0, 0.0, 0.0)])).iloc[0]
        assert model.expected_purchases_new_customer(t) == pytest.approx(at_start, rel=1e-10)


def test_prob_alive_by_hand_and_its_properties():
    model = with_params(PUBLISHED)
    r, alpha, a, b = PUBLISHED.values()
    summary = summary_of([(0, 0, 38.86), (0, 0, 5.0), (2, 30.43, 38.86), (2, 10.0, 38.86)])
    alive = model.prob_alive(summary)
    # dropout happens only right after a purchase, so no repeat purchase means alive
    assert alive.iloc[0] == 1.0
    assert alive.iloc[1] == 1.0
    by_hand = 1 / (1 + a / (b + 2 - 1) * ((alpha + 38.86) / (alpha + 30.43)) ** (r + 2))
    assert alive.iloc[2] == pytest.approx(by_hand, rel=1e-12)
    assert alive.iloc[3] < alive.iloc[2]  # a longer silence since the last purchase
    longer = model.prob_alive(summary_of([(2, 30.43, 60.0)])).iloc[0]
    assert longer < alive.iloc[2]
    assert list(alive.index) == list(summary.index)


def test_expected_purchases_start_at_zero_and_grow_with_the_horizon():
    model = with_params(PUBLISHED)
    summary = summary_of([(0, 0, 38.86), (2, 30.43, 38.86), (10, 38.0, 38.86), (3, 2.0, 30.0)])
    horizons = [0, 1, 5, 13, 26, 39, 52, 104, 520]
    table = np.array([model.expected_purchases(t, summary).to_numpy() for t in horizons])
    assert np.all(table[0] == 0)
    assert np.all(np.diff(table, axis=0) > 0)
    totals = [model.expected_purchases_new_customer(t) for t in horizons]
    assert totals[0] == 0 and np.all(np.diff(totals) > 0)


# --- simulated data with known parameters -----------------------------------------


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_recovers_parameters_from_5000_simulated_customers(seed):
    rng = np.random.default_rng(seed)
    # like CDNOW: first purchases spread over 12 weeks, observed until week 39
    summary = simulate_bgnbd(**TRUE, t_end=rng.uniform(27, 39, 5000), holdout=0, rng=rng)
    fitted = BGNBD().fit(summary).params_
    # Tolerances are about 4 standard deviations of the estimates over 60 seeds:
    # relative sd 3.7% for r, 5.7% for alpha, 5.5% for a / (a + b) but 12% for a and
    # 17% for b, which trade off along a ridge with this little dropout information.
    assert fitted["r"] == pytest.approx(TRUE["r"], rel=0.15)
    assert fitted["alpha"] == pytest.approx(TRUE["alpha"], rel=0.25)
    mean_dropout = fitted["a"] / (fitted["a"] + fitted["b"])
    assert mean_dropout == pytest.approx(TRUE["a"] / (TRUE["a"] + TRUE["b"]), rel=0.20)
    assert fitted["a"] == pytest.approx(TRUE["a"], rel=0.50)
    assert fitted["b"] == pytest.approx(TRUE["b"], rel=0.65)


def test_recovers_dropout_parameters_from_a_larger_longer_sample():
    rng = np.random.default_rng(7)
    summary = simulate_bgnbd(**TRUE, t_end=rng.uniform(39, 78, 20_000), holdout=0, rng=rng)
    fitted = BGNBD().fit(summary).params_
    # about 4 sd over 30 seeds: relative sd 1.0% (r), 2.1% (alpha), 4.9% (a), 6.6% (b)
    assert fitted["r"] == pytest.approx(TRUE["r"], rel=0.05)
    assert fitted["alpha"] == pytest.approx(TRUE["alpha"], rel=0.10)
    assert fitted["a"] == pytest.approx(TRUE["a"], rel=0.20)
    assert fitted["b"] == pytest.approx(TRUE["b"], rel=0.25)


def test_population_expectation_matches_the_simulated_mean():
    rng = np.random.default_rng(11)
    simulated = simulate_bgnbd(**TRUE, t_end=np.full(20_000, 39.0), holdout=39, rng=rng)
    model = with_params(TRUE)
    n = len(simulated)
    for t, purchases in (
        (39, simulated["frequency"]),
        (78, simulated["frequency"] + simulated["holdout"]),
    ):
        standard_error = purchases.std() / math.sqrt(n)
        assert abs(purchases.mean() - model.expected_purchases_new_customer(t)) < 4 * standard_error


def test_conditional_expectations_match_simulated_holdout_purchases():
    rng = np.random.default_rng(12)
    simulated = simulate_bgnbd(**TRUE, t_end=rng.uniform(27, 39, 20_000), holdout=39, rng=rng)
    predicted = with_params(TRUE).expected_purchases(39, simulated)
    error = simulated["holdout"] - predicted
    groups = np.minimum(simulated["frequency"], 4)  # 0, 1, 2, 3 and 4+ repeat purchases
    for _, group_error in error.groupby(groups):
        standard_error = group_error.std() / math.sqrt(len(group_error))
        assert abs(group_error.mean()) < 4 * standard_error
    assert abs(error.mean()) < 4 * error.std() / math.sqrt(len(error))


# --- fitting mechanics ------------------------------------------------------------


@pytest.fixture(scope="module")
def simulated_summary() -> pd.DataFrame:
    rng = np.random.default_rng(5)
    return simulate_bgnbd(**TRUE, t_end=rng.uniform(27, 39, 3000), holdout=0, rng=rng)


def test_fit_is_the_maximum_of_its_reported_log_likelihood(simulated_summary):
    model = BGNBD().fit(simulated_summary)
    names = ("r", "alpha", "a", "b")
    params = np.array([model.params_[k] for k in names])
    columns = [simulated_summary[c].to_numpy(float) for c in ("frequency", "recency", "T")]
    total = log_likelihood(params, *columns).sum()
    assert model.log_likelihood_ == pytest.approx(total, rel=1e-12)
    for i in range(4):
        for factor in (0.97, 1.03):
            moved = params.copy()
            moved[i] *= factor
            assert log_likelihood(moved, *columns).sum() < total


def test_time_unit_only_rescales_alpha(simulated_summary):
    weeks = BGNBD().fit(simulated_summary)
    in_days = simulated_summary.assign(
        recency=simulated_summary["recency"] * 7, T=simulated_summary["T"] * 7
    )
    days = BGNBD().fit(in_days)
    for name in ("r", "a", "b"):
        assert days.params_[name] == pytest.approx(weeks.params_[name], rel=1e-4)
    assert days.params_["alpha"] == pytest.approx(7 * weeks.params_["alpha"], rel=1e-4)
    # the likelihood is a density in time: a unit 7 times shorter costs log 7 per purchase
    shift = simulated_summary["frequency"].sum() * math.log(7)
    assert days.log_likelihood_ == pytest.approx(weeks.log_likelihood_ - shift, rel=1e-8)


def test_duplicated_customers_double_the_log_likelihood(simulated_summary):
    once = BGNBD().fit(simulated_summary)
    twice = BGNBD().fit(pd.concat([simulated_summary, simulated_summary]))
    for name, value in once.params_.items():
        assert twice.params_[name] == pytest.approx(value, rel=1e-5)
    assert twice.log_likelihood_ == pytest.approx(2 * once.log_likelihood_, rel=1e-8)


def test_penalizer_shrinks_the_parameters(simulated_summary):
    plain = BGNBD().fit(simulated_summary)
    penalized = BGNBD(penalizer_coef=0.1).fit(simulated_summary)
    assert sum(v**2 for v in penalized.params_.values()) < sum(v**2 for v in plain.params_.values())
    assert penalized.log_likelihood_ < plain.log_likelihood_


def test_warns_when_the_data_cannot_pin_the_dropout_down():
    # six customers: the likelihood keeps rising as a and b grow with a / (a + b) fixed
    tiny = summary_of([(0, 0, 30), (2, 10, 30), (1, 3, 25), (5, 20, 28), (0, 0, 12), (3, 15, 30)])
    with pytest.warns(ConvergenceWarning, match="estimates of a, b ran off to extreme values"):
        BGNBD().fit(tiny)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        penalized = BGNBD(penalizer_coef=0.01).fit(tiny)
    assert max(penalized.params_.values()) < 10


# --- bad input ----------------------------------------------------------------------

GOOD = summary_of([(0, 0.0, 30.0), (2, 10.0, 30.0), (1, 5.0, 20.0)])


@pytest.mark.parametrize(
    ("summary", "message"),
    [
        ([[0, 0, 30]], "must be a pandas DataFrame"),
        (GOOD.drop(columns="T"), r"missing column\(s\) \['T'\]"),
        (GOOD.iloc[:0], "empty"),
        (GOOD.assign(recency=[0.0, np.nan, 5.0]), "'recency' has missing or infinite"),
        (GOOD.assign(T=[30.0, np.inf, 20.0]), "'T' has missing or infinite"),
        (GOOD.assign(frequency=["0", "2", "1"]), "'frequency' must be numeric"),
        (GOOD.assign(T=[-1.0, 30.0, 20.0]), "'T' has negative values"),
        (GOOD.assign(recency=[0.0, 31.0, 5.0]), "recency greater than T"),
        (GOOD.assign(frequency=[0, 2.5, 1]), "whole numbers"),
        (GOOD.assign(recency=[3.0, 10.0, 5.0]), "frequency 0 but a positive recency"),
        (GOOD.assign(frequency=0, recency=0.0), "at least one customer with frequency > 0"),
    ],
)
def test_fit_rejects_bad_summaries(summary, message):
    with pytest.raises(ValueError, match=message):
        BGNBD().fit(summary)


@pytest.mark.parametrize("penalizer", [-0.1, float("nan"), "0.1", None, True])
def test_fit_rejects_a_bad_penalizer(penalizer):
    with pytest.raises(ValueError, match="penalizer_coef must be a"):
        BGNBD(penalizer_coef=penalizer).fit(GOOD)


def test_predictions_reject_bad_input():
    model = with_params(PUBLISHED)
    with pytest.raises(ValueError, match="t must be a finite number of periods >= 0"):
        model.expected_purchases(-1, GOOD)
    with pytest.raises(ValueError, match="t must be a finite number of periods >= 0"):
        model.expected_purchases_new_customer("soon")
    with pytest.raises(ValueError, match="recency greater than T"):
        model.prob_alive(GOOD.assign(recency=[0.0, 31.0, 5.0]))
