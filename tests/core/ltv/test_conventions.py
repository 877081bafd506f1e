"""scikit-learn estimator conventions and the package's shape."""

from __future__ import annotations

import ast
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone

import core.ltv
from core.ltv import BGNBD, GammaGamma, NotFittedError, ShiftedBetaGeometric
from tests.core.ltv.simulation import simulate_bgnbd, simulate_gamma_gamma


def simulated_summary(seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    purchases = simulate_bgnbd(0.25, 4.0, 0.8, 2.5, rng.uniform(27, 39, 2000), 0.0, rng)
    spend = simulate_gamma_gamma(6.0, 4.0, 15.0, purchases["frequency"].to_numpy(), rng)
    return purchases.assign(monetary_value=spend["monetary_value"])


SUMMARY = simulated_summary(0)
SURVIVAL = [1.0, 0.631, 0.468, 0.382, 0.326]

ESTIMATORS = [
    (BGNBD, {"penalizer_coef": 0.0, "warm_start": False, "warn": True}, lambda m: m.fit(SUMMARY)),
    (GammaGamma, {"penalizer_coef": 0.0}, lambda m: m.fit(SUMMARY)),
    (ShiftedBetaGeometric, {}, lambda m: m.fit(SURVIVAL, n_customers=1000)),
]
PREDICTIONS = [
    (BGNBD, lambda m: m.prob_alive(SUMMARY)),
    (BGNBD, lambda m: m.expected_purchases(10, SUMMARY)),
    (BGNBD, lambda m: m.expected_purchases_new_customer(10)),
    (GammaGamma, lambda m: m.expected_spend(SUMMARY)),
    (ShiftedBetaGeometric, lambda m: m.survival_function([0, 1, 2])),
    (ShiftedBetaGeometric, lambda m: m.expected_lifetime(0.1)),
]


def learned(model) -> list[str]:
    return [name for name in vars(model) if name.endswith("_") and not name.startswith("__")]


@pytest.mark.parametrize(("cls", "params", "fit"), ESTIMATORS)
def test_init_only_stores_parameters(cls, params, fit):
    model = cls(**params)
    assert vars(model) == params
    assert model.get_params() == params
    assert learned(model) == []
    assert not hasattr(model, "params_")


def test_init_does_not_validate():
    # validation belongs in fit, as in scikit-learn
    model = BGNBD(penalizer_coef=-1)
    with pytest.raises(ValueError, match="penalizer_coef"):
        model.fit(SUMMARY)


@pytest.mark.parametrize(("cls", "params", "fit"), ESTIMATORS)
def test_fit_returns_self_and_sets_learned_attributes(cls, params, fit):
    model = cls(**params)
    assert fit(model) is model
    assert {"params_", "log_likelihood_", "n_customers_"} <= set(learned(model))
    assert all(np.isfinite(v) and v > 0 for v in model.params_.values())
    assert np.isfinite(model.log_likelihood_)
    assert vars(clone(model)) == params  # clone keeps parameters, drops what was learned


def test_refitting_replaces_what_was_learned():
    model = BGNBD().fit(SUMMARY)
    first = dict(model.params_)
    model.fit(simulated_summary(1))
    assert model.params_ != first


@pytest.mark.parametrize(("cls", "predict"), PREDICTIONS)
def test_predicting_before_fit_raises_not_fitted(cls, predict):
    with pytest.raises(NotFittedError, match=f"This {cls.__name__} is not fitted yet"):
        predict(cls())
    assert issubclass(NotFittedError, ValueError)


def test_public_api():
    assert set(core.ltv.__all__) >= {"rfm_summary", "BGNBD", "GammaGamma", "ShiftedBetaGeometric"}


def test_pure_library_no_ui_no_database():
    package = Path(core.ltv.__file__).parent
    for path in package.glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                roots = {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module:
                roots = {node.module.split(".")[0]}
            else:
                continue
            assert not roots & {"streamlit", "sqlalchemy", "psycopg"}, path.name
            if "core" in roots:
                assert isinstance(node, ast.ImportFrom) and node.module.startswith("core.ltv")
