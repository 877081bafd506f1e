"""Churn accuracy metrics against hand-computed numbers; the tenant bootstrap on simulated data."""

from __future__ import annotations

import numpy as np
import pytest

from core.models.churn.metrics import (
    bootstrap_ci,
    brier,
    calibration_table,
    lift_table,
    pr_auc,
    roc_auc,
    top_decile_lift,
)

Y = [0, 0, 1, 1, 0, 1]
P = [0.1, 0.4, 0.35, 0.8, 0.2, 0.9]


def test_roc_auc_by_hand() -> None:
    # 3 churners x 3 stayers = 9 pairs; churner above stayer in all but (0.35 < 0.4): 8/9.
    assert roc_auc(Y, P) == pytest.approx(8 / 9)


def test_roc_auc_counts_ties_as_half() -> None:
    assert roc_auc([0, 1], [0.5, 0.5]) == pytest.approx(0.5)


def test_pr_auc_by_hand() -> None:
    # Ranked: 0.9 (1), 0.8 (1), 0.4 (0), 0.35 (1): precision at each churner 1, 1, 3/4.
    assert pr_auc(Y, P) == pytest.approx((1 + 1 + 0.75) / 3)


def test_brier_by_hand() -> None:
    expected = (0.01 + 0.16 + 0.4225 + 0.04 + 0.04 + 0.01) / 6
    assert brier(Y, P) == pytest.approx(expected)
    assert brier([1, 1], [1.0, 1.0]) == 0.0  # one class is fine for Brier


def test_top_decile_lift_by_hand() -> None:
    y = np.array([1] + [0] * 9 + [1] * 2 + [0] * 8)  # 20 rows, 3 churners (15%)
    p = np.linspace(1, 0, 20)  # the first two rows are the top decile
    # Top 10% = 2 rows with one churner: 50% / 15% = 3.33.
    assert top_decile_lift(y, p) == pytest.approx(0.5 / 0.15)


def test_lift_table_captures_every_churner() -> None:
    rng = np.random.default_rng(1)
    y = (rng.random(500) < 0.1).astype(int)
    p = rng.random(500)
    table = lift_table(y, p)
    assert list(table["decile"]) == list(range(1, 11))
    assert table["n"].sum() == 500
    assert table["cumulative_capture"].iloc[-1] == pytest.approx(1.0)
    assert table["churners"].sum() == y.sum()


def test_calibration_table_equal_count_bins() -> None:
    p = np.arange(100) / 100
    y = (p > 0.5).astype(int)
    table = calibration_table(y, p, bins=4)
    assert list(table["n"]) == [25, 25, 25, 25]
    assert table["mean_predicted"].iloc[0] == pytest.approx(np.mean(p[:25]))
    assert list(table["observed_rate"]) == [0, 0, pytest.approx(24 / 25), 1]


@pytest.mark.parametrize(
    ("y", "p", "message"),
    [
        ([], [], "no examples"),
        ([0, 0, 0], [0.1, 0.2, 0.3], "both churned and retained"),
        ([0, 1], [0.1], "2 labels but 1 predictions"),
        ([0, 2], [0.1, 0.2], "labels must be 0 or 1"),
        ([0, 1], [0.1, float("nan")], "NaN"),
    ],
)
def test_bad_input_is_a_clear_value_error(y: list, p: list, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        roc_auc(y, p)


def test_brier_refuses_probabilities_outside_0_1() -> None:
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        brier([0, 1], [0.5, 1.5])


def test_tenant_bootstrap_ci_covers_the_true_auc() -> None:
    """Over simulated panels with a known AUC, the 95% CI covers it about 95% of the time."""
    # Scores of churners ~ N(1, 1), of stayers ~ N(0, 1): true AUC = Phi(1 / sqrt(2)).
    true_auc = 0.7602499389065233
    covered = 0
    runs = 30
    for seed in range(runs):
        rng = np.random.default_rng(seed)
        tenants = 300
        churner = rng.random(tenants) < 0.2
        # Four correlated examples per tenant: the tenant effect is shared.
        effect = rng.normal(churner.astype(float), 1.0)
        y = np.repeat(churner.astype(int), 4)
        p = np.repeat(effect, 4) + rng.normal(0, 0.05, tenants * 4)
        groups = np.repeat(np.arange(tenants), 4)
        low, high = bootstrap_ci(roc_auc, y, 1 / (1 + np.exp(-p)), groups, n_boot=200, seed=seed)
        covered += low <= true_auc <= high
    assert covered >= 0.85 * runs


def test_row_bootstrap_is_too_narrow_for_repeated_tenants() -> None:
    rng = np.random.default_rng(3)
    churner = rng.random(200) < 0.2
    effect = rng.normal(churner.astype(float), 1.0)
    y, p = np.repeat(churner.astype(int), 5), np.repeat(effect, 5)
    groups = np.repeat(np.arange(200), 5)
    by_tenant = bootstrap_ci(roc_auc, y, p, groups, n_boot=200)
    by_row = bootstrap_ci(roc_auc, y, p, None, n_boot=200)
    assert (by_tenant[1] - by_tenant[0]) > 1.5 * (by_row[1] - by_row[0])
