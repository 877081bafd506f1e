"""Rolling-origin backtest: no label leaks across the split; labels and oracle by hand."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.models.churn.backtest import (
    evaluate,
    oracle_probabilities,
    rolling_origin_backtest,
    rolling_origin_splits,
)
from core.models.churn.data import as_of_dates, labels_for
from core.models.churn.model import ChurnClassifier
from tests.core.models.test_churn_helpers import simulated_examples


@settings(max_examples=60, deadline=None)
@given(
    n_dates=st.integers(8, 40),
    step=st.integers(1, 14),
    horizon=st.sampled_from([30, 60, 90]),
    n_origins=st.integers(1, 4),
    per_origin=st.integers(1, 4),
)
def test_backtest_never_trains_on_labels_that_end_after_the_test_date(
    n_dates: int, step: int, horizon: int, n_origins: int, per_origin: int
) -> None:
    dates = pd.Series(pd.date_range("2025-01-06", periods=n_dates, freq=f"{step}D"))
    as_of = dates.repeat(3).reset_index(drop=True)
    try:
        splits = rolling_origin_splits(
            as_of, horizon_days=horizon, n_origins=n_origins, dates_per_origin=per_origin
        )
    except ValueError as exc:  # too short a history is refused, never half-split
        assert "dates" in str(exc) or "history" in str(exc)
        return
    tested = []
    for split in splits:
        label_ends = as_of.iloc[split.train] + pd.Timedelta(days=horizon)
        assert label_ends.max() <= as_of.iloc[split.test].min() == split.origin
        assert not set(split.train) & set(split.test)
        tested.extend(split.test)
    assert len(tested) == len(set(tested))  # each test example is predicted once


def test_labels_by_hand() -> None:
    examples = pd.DataFrame(
        {
            "tenant_id": [1, 1, 2, 3],
            "as_of": pd.to_datetime(["2026-01-01", "2026-02-05", "2026-01-01", "2026-03-20"]),
        }
    )
    events = pd.DataFrame(
        {"tenant_id": [1, 2], "churned_on": [date(2026, 1, 31), date(2026, 1, 1)]}
    )
    labels = labels_for(examples, events, 30, data_end=date(2026, 4, 1))
    # Tenant 1 churns on day 30 of [Jan 1, Jan 31): outside; on Feb 5 it already left.
    # Tenant 2 churns on its as-of day: inside. Tenant 3's window ends after data_end.
    assert labels.iloc[0] == 0 and labels.iloc[1] == 0 and labels.iloc[2] == 1
    assert np.isnan(labels.iloc[3])
    assert labels_for(examples, events, 31, data_end=date(2026, 4, 1)).iloc[0] == 1


def test_as_of_dates_grid() -> None:
    dates = as_of_dates(date(2026, 1, 5), date(2026, 2, 1), 7)
    assert [d.date() for d in dates] == [
        date(2026, 1, 5) + pd.Timedelta(days=7 * k) for k in range(4)
    ]
    with pytest.raises(ValueError, match="empty"):
        as_of_dates(date(2026, 2, 1), date(2026, 1, 1), 7)


def test_oracle_probability_by_hand() -> None:
    truth = {
        "tenants": {
            "7": {
                "monthly_hazard": {"2026-01": 0.1, "2026-02": 0.2},
                "monthly_hazard_with_interventions": {"2026-02": 0.05},
            }
        }
    }
    rows = pd.DataFrame(
        {"tenant_id": [7, 8], "as_of": pd.to_datetime(["2026-01-22", "2026-01-22"])}
    )
    p = oracle_probabilities(rows, truth, 30)
    # 10 January days at 0.1/month and 20 February days at 0.05/month (treated).
    rate = 10 * -np.log(0.9) / 30.4375 + 20 * -np.log(0.95) / 30.4375
    assert p.iloc[0] == pytest.approx(1 - np.exp(-rate))
    assert np.isnan(p.iloc[1])  # not in the truth file


def test_backtest_and_evaluation_on_simulated_data() -> None:
    data = simulated_examples(n_tenants=300, n_dates=30, seed=7)
    result = rolling_origin_backtest(
        data, lambda: ChurnClassifier(), horizon_days=30, n_origins=3, dates_per_origin=4
    )
    predictions = result.predictions
    assert len(predictions) == 300 * 12 and len(result.origins) == 3
    assert all(o["n_train"] > 0 for o in result.origins)
    oracle = pd.Series(
        data.set_index(["as_of", "tenant_id"])["true_p"]
        .reindex(pd.MultiIndex.from_frame(predictions[["as_of", "tenant_id"]]))
        .to_numpy()
    )
    metrics = evaluate(predictions, oracle=oracle, n_boot=50)
    assert metrics["n_test"] == len(predictions)
    assert metrics["oracle_auc"]["n"] == len(predictions)
    assert metrics["roc_auc"]["value"] > metrics["oracle_auc"]["value"] - 0.05
    low, high = metrics["roc_auc"]["ci"]
    assert low < metrics["roc_auc"]["value"] < high
    assert metrics["brier"]["value"] < metrics["brier_baseline"]["value"]
    assert sum(metrics["lift"]["n"]) == len(predictions)


def test_backtest_refuses_too_little_history() -> None:
    data = simulated_examples(n_tenants=20, n_dates=4, seed=8)
    with pytest.raises(ValueError, match="labelled as-of dates"):
        rolling_origin_backtest(data, ChurnClassifier, n_origins=4, dates_per_origin=1)
