"""Gamma-Gamma: the density by hand, shrinkage, and recovery from simulated spend."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from core.ltv import GammaGamma
from core.ltv.gamma_gamma import log_likelihood
from tests.core.ltv.simulation import simulate_gamma_gamma

# CDNOW estimates of Fader, Hardie & Lee (2005), "RFM and CLV", used as plausible values
CDNOW = {"p": 6.25, "q": 3.74, "v": 15.44}
TRUE = {"p": 6.0, "q": 4.0, "v": 15.0}


def with_params(params: dict[str, float]) -> GammaGamma:
    model = GammaGamma()
    model.params_ = dict(params)
    return model


def hand_log_density(p, q, v, x, m):
    """log of Gamma(px+q)/(Gamma(px) Gamma(q)) v^q m^(px-1) x^(px) / (v + m x)^(px+q)."""
    px = p * x
    return (
        math.lgamma(px + q)
        - math.lgamma(px)
        - math.lgamma(q)
        + q * math.log(v)
        + (px - 1) * math.log(m)
        + px * math.log(x)
        - (px + q) * math.log(v + m * x)
    )


@pytest.mark.parametrize(("x", "m"), [(1, 20.0), (2, 35.5), (5, 12.25), (30, 80.0)])
def test_log_likelihood_matches_the_density_by_hand(x, m):
    params = np.array(list(CDNOW.values()))
    ours = log_likelihood(params, np.array([x], float), np.array([m]))[0]
    assert math.isclose(ours, hand_log_density(*params, x, m), rel_tol=1e-12)


def test_density_integrates_to_one():
    # a density in m for each x: a cheap check that no constant is missing
    grid = np.linspace(1e-6, 2000, 400_001)
    params = np.array(list(CDNOW.values()))
    for x in (1, 3, 10):
        values = np.exp(log_likelihood(params, np.full(grid.size, float(x)), grid))
        assert np.trapezoid(values, grid) == pytest.approx(1.0, abs=1e-4)


def test_expected_spend_by_hand_and_shrinkage():
    model = with_params(CDNOW)
    p, q, v = CDNOW.values()
    population = p * v / (q - 1)
    summary = pd.DataFrame(
        {"frequency": [0, 1, 1, 4, 40], "monetary_value": [0.0, 100.0, 10.0, 100.0, 100.0]},
        index=["a", "b", "c", "d", "e"],
    )
    spend = model.expected_spend(summary)
    assert list(spend.index) == ["a", "b", "c", "d", "e"]
    assert spend["a"] == pytest.approx(population, rel=1e-12)
    assert spend["b"] == pytest.approx(p * (v + 100.0) / (p + q - 1), rel=1e-12)
    # between the customer's own mean and the population mean, closer to their own
    # as they buy more
    assert population < spend["b"] < spend["d"] < spend["e"] < 100.0
    assert 10.0 < spend["c"] < population


def test_expected_spend_without_a_finite_population_mean():
    model = with_params({"p": 2.0, "q": 0.8, "v": 10.0})
    summary = pd.DataFrame({"frequency": [0, 3], "monetary_value": [0.0, 50.0]})
    spend = model.expected_spend(summary)
    assert spend.iloc[0] == math.inf
    assert spend.iloc[1] == pytest.approx(2.0 * (10.0 + 150.0) / (6.0 + 0.8 - 1), rel=1e-12)


# --- simulated data with known parameters -----------------------------------------


@pytest.fixture(scope="module")
def simulated() -> pd.DataFrame:
    rng = np.random.default_rng(3)
    frequency = np.concatenate([np.zeros(2000), 1 + rng.poisson(2.0, 20_000)])
    return simulate_gamma_gamma(**TRUE, frequency=frequency, rng=rng)


def test_recovers_parameters_from_simulated_spend(simulated):
    model = GammaGamma().fit(simulated)
    fitted = model.params_
    assert model.n_customers_ == 20_000  # the 2000 one-time buyers are left out
    # about 4 standard deviations over 40 seeds: relative sd 4.3% (p), 1.3% (q),
    # 5.3% (v; p and v trade off) and 0.5% for the population mean p v / (q - 1)
    assert fitted["p"] == pytest.approx(TRUE["p"], rel=0.20)
    assert fitted["q"] == pytest.approx(TRUE["q"], rel=0.08)
    assert fitted["v"] == pytest.approx(TRUE["v"], rel=0.25)
    population = fitted["p"] * fitted["v"] / (fitted["q"] - 1)
    assert population == pytest.approx(TRUE["p"] * TRUE["v"] / (TRUE["q"] - 1), rel=0.03)


def test_shrinkage_beats_the_raw_average(simulated):
    repeat = simulated[simulated["frequency"] > 0]
    spend = GammaGamma().fit(simulated).expected_spend(repeat)
    raw_error = np.mean((repeat["monetary_value"] - repeat["true_mean"]) ** 2)
    shrunk_error = np.mean((spend - repeat["true_mean"]) ** 2)
    assert shrunk_error < 0.9 * raw_error


def test_fit_is_the_maximum_of_its_reported_log_likelihood(simulated):
    model = GammaGamma().fit(simulated)
    repeat = simulated[simulated["frequency"] > 0]
    x, m = repeat["frequency"].to_numpy(float), repeat["monetary_value"].to_numpy()
    params = np.array([model.params_[k] for k in ("p", "q", "v")])
    total = log_likelihood(params, x, m).sum()
    assert model.log_likelihood_ == pytest.approx(total, rel=1e-12)
    for i in range(3):
        for factor in (0.98, 1.02):
            moved = params.copy()
            moved[i] *= factor
            assert log_likelihood(moved, x, m).sum() < total


def test_currency_only_rescales_v(simulated):
    pesos = GammaGamma().fit(simulated)
    cents = GammaGamma().fit(simulated.assign(monetary_value=simulated["monetary_value"] * 100))
    assert cents.params_["p"] == pytest.approx(pesos.params_["p"], rel=1e-4)
    assert cents.params_["q"] == pytest.approx(pesos.params_["q"], rel=1e-4)
    assert cents.params_["v"] == pytest.approx(100 * pesos.params_["v"], rel=1e-4)
    shift = pesos.n_customers_ * math.log(100)  # a density in money
    assert cents.log_likelihood_ == pytest.approx(pesos.log_likelihood_ - shift, rel=1e-8)


def test_penalizer_shrinks_the_parameters(simulated):
    plain = GammaGamma().fit(simulated)
    penalized = GammaGamma(penalizer_coef=0.5).fit(simulated)
    assert penalized.params_["p"] ** 2 + penalized.params_["q"] ** 2 < (
        plain.params_["p"] ** 2 + plain.params_["q"] ** 2
    )
    assert penalized.log_likelihood_ < plain.log_likelihood_


# --- bad input ----------------------------------------------------------------------

GOOD = pd.DataFrame({"frequency": [0, 2, 3], "monetary_value": [0.0, 20.0, 35.0]})


@pytest.mark.parametrize(
    ("summary", "message"),
    [
        (GOOD.drop(columns="monetary_value"), r"missing column\(s\) \['monetary_value'\]"),
        (GOOD.iloc[:0], "empty"),
        (GOOD.assign(monetary_value=[0.0, np.nan, 35.0]), "missing or infinite"),
        (GOOD.assign(monetary_value=[0.0, -20.0, 35.0]), "negative values"),
        (GOOD.assign(monetary_value=[0.0, 0.0, 35.0]), "monetary_value must be positive"),
        (GOOD.assign(frequency=0), "at least one customer with frequency > 0"),
        (GOOD.assign(frequency=[0, 2.5, 3]), "whole numbers"),
    ],
)
def test_fit_rejects_bad_summaries(summary, message):
    with pytest.raises(ValueError, match=message):
        GammaGamma().fit(summary)


def test_fit_rejects_a_negative_penalizer():
    with pytest.raises(ValueError, match="penalizer_coef must be a finite number >= 0"):
        GammaGamma(penalizer_coef=-1).fit(GOOD)


def test_expected_spend_rejects_a_bad_summary():
    with pytest.raises(ValueError, match="missing column"):
        with_params(CDNOW).expected_spend(GOOD.drop(columns="frequency"))
