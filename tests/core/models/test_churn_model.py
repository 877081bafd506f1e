"""Churn classifiers: known logistic coefficients recovered, calibration, drivers, bad input."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from core.models.churn.drivers import _input_names
from core.models.churn.metrics import roc_auc
from core.models.churn.model import (
    ChurnClassifier,
    encode_matrix,
    standardized_inputs,
    time_calibration_splits,
)
from core.models.churn.registry import score_tenant
from tests.core.models.test_churn_helpers import TRUE_COEF, simulated_examples


@pytest.fixture(scope="module")
def fitted() -> tuple[ChurnClassifier, pd.DataFrame]:
    data = simulated_examples(n_tenants=500, n_dates=30, seed=1)
    train = data[data["as_of"] < data["as_of"].unique()[24]]
    model = ChurnClassifier(algorithm="logistic_regression").fit(train, train["churn_30d"])
    return model, data[data["as_of"] >= data["as_of"].unique()[24]]


def test_logistic_explainer_recovers_the_simulated_coefficients(fitted) -> None:
    model, _ = fitted
    explainer = model.explainer_
    names = _input_names(explainer)
    scale = explainer.named_steps["scale"].scale_
    raw = pd.Series(explainer.named_steps["model"].coef_[0] / scale, index=names)
    for name, coefficient in TRUE_COEF.items():
        assert raw[name] == pytest.approx(coefficient, rel=0.2), name
    standardized = pd.Series(explainer.named_steps["model"].coef_[0], index=names)
    noise = standardized.drop(
        [*TRUE_COEF, "missingindicator_log_days_since_login"], errors="ignore"
    )
    # Inputs that play no part in the truth get (nearly) nothing.
    assert noise.abs().max() < 0.15


def test_calibrated_probabilities_match_the_truth_out_of_time(fitted) -> None:
    model, test = fitted
    p = model.predict_proba(test)[:, 1]
    assert p.mean() == pytest.approx(test["true_p"].mean(), rel=0.15)
    assert roc_auc(test["churn_30d"], p) > roc_auc(test["churn_30d"], test["true_p"]) - 0.03


def test_gradient_boosting_learns_the_signal_too() -> None:
    data = simulated_examples(n_tenants=300, n_dates=20, seed=2)
    model = ChurnClassifier(algorithm="gradient_boosting").fit(data, data["churn_30d"])
    p = model.predict_proba(data)[:, 1]
    assert roc_auc(data["churn_30d"], p) > 0.7
    assert ((p > 0) & (p < 1)).all()


def test_calibration_splits_never_see_calibration_labels() -> None:
    data = simulated_examples(n_tenants=100, n_dates=20, seed=3)
    splits = time_calibration_splits(
        data["as_of"], data["churn_30d"].to_numpy(), n_splits=3, horizon_days=30
    )
    assert len(splits) == 3
    for train, calibrate in splits:
        label_end = data["as_of"].iloc[train].max() + pd.Timedelta(days=30)
        assert label_end <= data["as_of"].iloc[calibrate].min()


def test_score_tenant_gives_probability_and_drivers_in_words(fitted) -> None:
    model, test = fitted
    row = test.iloc[[0]].copy()
    row["bookings_vs_own_baseline"] = 0.4  # bookings down 60%
    row["days_since_last_failed_invoice"] = 12.0
    probability, drivers = score_tenant(model, row)
    assert 0 < probability < 1
    texts = [d["msgid"].format(**d["params"]) for d in drivers]
    assert "Bookings down 60% vs the tenant's own 26-week baseline" in texts
    assert "An invoice failed 12 days ago" in texts
    assert all(d["weight"] > 0 for d in drivers)
    # A Series row gives the same answer as a one-row frame.
    assert score_tenant(model, row.iloc[0])[0] == pytest.approx(probability)


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: (d.iloc[0:0], d["churn_30d"].iloc[0:0]), "no training examples"),
        (lambda d: (d, d["churn_30d"] * 0), "only one class"),
        (lambda d: (d, d["churn_30d"].where(d.index > 5)), "unknown"),
        (lambda d: (d, d["churn_30d"] * 2), "0 \\(stayed\\) or 1"),
        (lambda d: (d, d["churn_30d"].iloc[:10]), "labels"),
        (lambda d: (d.drop(columns="as_of"), d["churn_30d"]), "as_of"),
    ],
)
def test_bad_training_data_fails_fast(mutate, message) -> None:
    data = simulated_examples(n_tenants=40, n_dates=12, seed=4)
    features, labels = mutate(data)
    with pytest.raises(ValueError, match=message):
        ChurnClassifier().fit(features, labels)


def test_unknown_algorithm_and_short_history_are_clear_errors() -> None:
    data = simulated_examples(n_tenants=40, n_dates=12, seed=5)
    with pytest.raises(ValueError, match="unknown algorithm"):
        ChurnClassifier(algorithm="svm").fit(data, data["churn_30d"])
    short = data[data["as_of"] <= data["as_of"].unique()[2]]
    with pytest.raises(ValueError, match="not enough history"):
        ChurnClassifier().fit(short, short["churn_30d"])


def test_numpy_fast_path_matches_scikit_learn(fitted) -> None:
    model, test = fitted
    matrix = encode_matrix(test)
    fast = model.predict_proba_encoded(matrix)
    slow = model.calibrated_.predict_proba(matrix)
    np.testing.assert_allclose(fast, slow, rtol=1e-9, atol=1e-12)
    explainer = model.explainer_
    np.testing.assert_allclose(
        explainer[:-1].transform(matrix),
        standardized_inputs(explainer, matrix),
        rtol=1e-9,
        atol=1e-12,
    )
