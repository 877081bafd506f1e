"""Model card builders: tables and figures from a stored metrics document, no recomputation."""

from __future__ import annotations

import pandas as pd
import pytest

from dashboards import model_card
from tests.core.models.test_churn_helpers import small_candidate


@pytest.fixture(scope="module")
def metrics() -> dict:
    return {**small_candidate(seed=1).metrics, "promotion": {"reason": "first_model"}}


def test_metrics_table_shows_values_cis_and_sample(metrics) -> None:
    table = model_card.metrics_table(metrics, locale="en")
    assert list(table["metric"]) == [
        "ROC AUC",
        "PR AUC",
        "Brier score",
        "Base-rate Brier score",
        "Top-decile lift",
    ]
    auc = metrics["roc_auc"]
    assert table.loc[0, "value"] == f"{auc['value']:.3f}"
    assert table.loc[0, "ci"] == f"{auc['ci'][0]:.3f} – {auc['ci'][1]:.3f}"
    assert f"{metrics['n_test']:,} examples (" in table.loc[0, "sample"]


def test_comparison_with_health_score_on_its_own_rows(metrics) -> None:
    table = model_card.comparison_table(metrics, locale="en")
    assert list(table["ranking"]) == ["Churn model", "Health score alone"]
    assert table.loc[1, "n"] == f"{metrics['health_auc']['n']:,}"  # half the test rows
    assert metrics["health_auc"]["n"] < metrics["n_test"]


def test_figures_draw_the_stored_curves(metrics) -> None:
    calibration = model_card.calibration_figure(metrics, locale="en")
    observed = calibration.data[1].y
    assert list(observed) == pytest.approx(
        [100 * x for x in metrics["calibration"]["observed_rate"]]
    )
    lift = model_card.lift_figure(metrics, locale="en")
    assert list(lift.data[0].y) == pytest.approx(metrics["lift"]["lift"])
    importance = model_card.importance_figure(metrics, locale="en")
    assert "Bookings vs own 26-week baseline" in list(importance.data[0].y)


def test_empty_metrics_give_a_message_not_an_empty_chart() -> None:
    figure = model_card.calibration_figure({}, locale="en")
    assert figure.layout.annotations[0].text == "No calibration data stored."
    assert model_card.origins_table({}, locale="en").empty


def test_history_and_decisions(metrics) -> None:
    history = pd.DataFrame(
        {
            "version": [2, 1],
            "trained_at": pd.to_datetime(["2026-11-02 03:00", "2026-11-01 03:00"]),
            "data_start": [pd.Timestamp("2025-07-21").date()] * 2,
            "data_end": [pd.Timestamp("2026-10-26").date()] * 2,
            "horizon_days": [30, 30],
            "algorithm": ["logistic_regression", "gradient_boosting"],
            "roc_auc": [0.79, 0.83],
            "promoted": [False, True],
            "promotion_note": ["worse_auc", "first_model"],
            "metrics": [
                {
                    "promotion": {
                        "reason": "worse_auc",
                        "roc_auc": 0.79,
                        "previous_version": 1,
                        "previous_auc": 0.83,
                        "tolerance": 0.01,
                    }
                },
                {"promotion": {"reason": "first_model"}},
            ],
        }
    )
    table = model_card.history_table(history, locale="en")
    assert list(table["promoted"]) == ["", "Current"]
    assert table.loc[0, "decision"] == (
        "Not promoted: AUC 0.790 is lower than version 1's 0.830 by more than 0.01."
    )
    assert table.loc[1, "algorithm"] == "Gradient boosting"
