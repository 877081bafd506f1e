"""Rolling-origin backtest of churn models, with the base-rate, health-score and oracle yardsticks.

The labelled as-of dates are cut into consecutive test blocks at the end of history,
one per *origin*. The model tested on a block is trained only on examples whose label
window ``[as_of, as_of + horizon)`` ended on or before the block's first date: every
training label was fully known before the first test as-of, so nothing learnt comes from
the test period. :func:`rolling_origin_splits` asserts it.

Yardsticks, all on the very same test examples:

* base rate: every tenant gets its origin's training churn rate (its Brier score is
  what a model has to beat to be worth anything);
* health score alone: the AUC of ``-score`` (a low health score means high risk);
* oracle: the generator's true monthly hazard (with the intervention effect where one
  applied), turned into the probability of churning within the horizon. No model fed
  with observable data can be expected to beat it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from core.models.churn.data import label_column
from core.models.churn.metrics import (
    METRICS,
    bootstrap_ci,
    brier,
    calibration_table,
    lift_table,
    roc_auc,
)

__all__ = [
    "BacktestResult",
    "Split",
    "evaluate",
    "oracle_probabilities",
    "rolling_origin_backtest",
    "rolling_origin_splits",
]

DAYS_PER_MONTH = 30.4375


@dataclass(frozen=True)
class Split:
    origin: pd.Timestamp  # the first test as-of date
    train: np.ndarray  # row positions
    test: np.ndarray


@dataclass
class BacktestResult:
    predictions: pd.DataFrame  # as_of, tenant_id, origin, label, probability, base_rate
    origins: list[dict[str, Any]]  # per origin: origin, train window, sizes, AUC
    horizon_days: int
    algorithm: str


def rolling_origin_splits(
    as_of: pd.Series, *, horizon_days: int, n_origins: int, dates_per_origin: int
) -> list[Split]:
    """Train/test row positions for each origin (see the module docstring).

    ``as_of`` holds the as-of moment of each labelled example; the last
    ``n_origins * dates_per_origin`` distinct dates are tested, in ``n_origins`` blocks.
    """
    if n_origins < 1 or dates_per_origin < 1:
        raise ValueError("n_origins and dates_per_origin must be at least 1")
    moments = pd.to_datetime(pd.Series(as_of)).reset_index(drop=True)
    dates = np.sort(moments.unique())
    tested = n_origins * dates_per_origin
    if len(dates) <= tested:
        raise ValueError(
            f"{len(dates)} labelled as-of dates cannot feed {n_origins} origins of "
            f"{dates_per_origin} test dates and still leave dates to train on"
        )
    horizon = pd.Timedelta(days=int(horizon_days))
    splits = []
    for k in range(n_origins):
        block = dates[len(dates) - tested + k * dates_per_origin :][:dates_per_origin]
        origin = pd.Timestamp(block[0])
        test = np.flatnonzero(moments.isin(block).to_numpy())
        train = np.flatnonzero((moments + horizon <= origin).to_numpy())
        if train.size == 0:
            raise ValueError(
                f"origin {origin:%Y-%m-%d} has no training example whose label window "
                "ended before it: more history is needed"
            )
        # No training label may end after the first test date.
        assert (moments.iloc[train] + horizon).max() <= moments.iloc[test].min()
        splits.append(Split(origin, train, test))
    return splits


def rolling_origin_backtest(
    examples: pd.DataFrame,
    make_model: Callable[[], Any],
    *,
    horizon_days: int = 30,
    n_origins: int = 4,
    dates_per_origin: int = 6,
    algorithm: str = "",
) -> BacktestResult:
    """Fit a fresh ``make_model()`` per origin and predict its test block.

    ``examples`` are built by ``core.models.churn.data.build_examples``; rows whose
    label for ``horizon_days`` is unknown are dropped first.
    """
    column = label_column(horizon_days)
    if column not in examples.columns:
        raise ValueError(f"the examples have no {column} label column")
    data = examples[examples[column].notna()].reset_index(drop=True)
    if data.empty:
        raise ValueError(f"no example has an observed {horizon_days}-day label")
    splits = rolling_origin_splits(
        data["as_of"],
        horizon_days=horizon_days,
        n_origins=n_origins,
        dates_per_origin=dates_per_origin,
    )
    parts, origins = [], []
    for split in splits:
        train, test = data.iloc[split.train], data.iloc[split.test]
        model = make_model().fit(train, train[column].to_numpy())
        probability = model.predict_proba(test)[:, 1]
        base_rate = float(train[column].mean())
        parts.append(
            pd.DataFrame(
                {
                    "as_of": test["as_of"].to_numpy(),
                    "tenant_id": test["tenant_id"].to_numpy(),
                    "origin": split.origin,
                    "label": test[column].to_numpy().astype(int),
                    "probability": probability,
                    "base_rate": base_rate,
                }
            )
        )
        labels = test[column].to_numpy()
        origins.append(
            {
                "origin": split.origin.date().isoformat(),
                "train_start": pd.Timestamp(train["as_of"].min()).date().isoformat(),
                "train_end": pd.Timestamp(train["as_of"].max()).date().isoformat(),
                "test_end": pd.Timestamp(test["as_of"].max()).date().isoformat(),
                "n_train": len(train),
                "n_train_churners": int(train[column].sum()),
                "n_test": len(test),
                "n_test_churners": int(labels.sum()),
                "roc_auc": roc_auc(labels, probability) if 0 < labels.sum() < len(labels) else None,
            }
        )
    return BacktestResult(pd.concat(parts, ignore_index=True), origins, horizon_days, algorithm)


def oracle_probabilities(
    rows: pd.DataFrame, truth: Mapping[str, Any], horizon_days: int
) -> pd.Series:
    """True probability of churning in ``[as_of, as_of + horizon)`` from the generator truth.

    Each day's hazard rate comes from its calendar month's monthly hazard (the value
    with interventions where the truth file has one); NaN for a tenant missing from it.
    """
    tenants = truth.get("tenants", {})
    out = np.full(len(rows), np.nan)
    for k, (tenant_id, as_of) in enumerate(zip(rows["tenant_id"], rows["as_of"], strict=True)):
        entry = tenants.get(str(int(tenant_id)))
        if entry is None:
            continue
        raw, effective = entry["monthly_hazard"], entry.get("monthly_hazard_with_interventions", {})
        days = pd.date_range(pd.Timestamp(as_of).normalize(), periods=int(horizon_days), freq="D")
        months = days.strftime("%Y-%m")
        total = 0.0
        for month, n_days in zip(*np.unique(months, return_counts=True), strict=True):
            hazard = effective.get(month, raw.get(month, 0.0))
            total += n_days * -np.log1p(-min(float(hazard), 0.999999)) / DAYS_PER_MONTH
        out[k] = 1.0 - np.exp(-total)
    return pd.Series(out, index=rows.index)


def _with_ci(
    name: str, y: np.ndarray, p: np.ndarray, groups: np.ndarray, n_boot: int
) -> dict[str, Any]:
    metric = METRICS[name]
    value = metric(y, p)
    low, high = bootstrap_ci(metric, y, p, groups, n_boot=n_boot)
    return {"value": value, "ci": [low, high]}


def _yardstick_auc(
    y: np.ndarray, risk: np.ndarray, groups: np.ndarray, n_boot: int
) -> dict[str, Any] | None:
    known = ~np.isnan(risk)
    if np.unique(y[known]).size < 2:
        return None
    out = _with_ci("roc_auc", y[known], risk[known], groups[known], n_boot)
    out["n"] = int(known.sum())
    return out


def evaluate(
    predictions: pd.DataFrame,
    *,
    oracle: pd.Series | None = None,
    health_risk: pd.Series | None = None,
    n_boot: int = 500,
) -> dict[str, Any]:
    """Pooled out-of-sample metrics with tenant-bootstrap 95% CIs and curve data.

    ``oracle`` and ``health_risk`` (higher = riskier) align with ``predictions`` rows;
    their AUCs use the rows where they are known (the count is reported as ``n``).
    """
    y = predictions["label"].to_numpy(dtype=float)
    p = predictions["probability"].to_numpy(dtype=float)
    groups = predictions["tenant_id"].to_numpy()
    if np.unique(y).size < 2:
        raise ValueError("the test examples hold one class only: no AUC can be measured")
    metrics: dict[str, Any] = {name: _with_ci(name, y, p, groups, n_boot) for name in METRICS}
    base = predictions["base_rate"].to_numpy(dtype=float)
    metrics["brier_baseline"] = {
        "value": brier(y, base),
        "ci": list(bootstrap_ci(brier, y, base, groups, n_boot=n_boot)),
    }
    metrics["n_test"] = len(predictions)
    metrics["n_test_tenants"] = int(pd.Series(groups).nunique())
    metrics["n_test_churners"] = int(y.sum())
    metrics["n_test_churned_tenants"] = int(pd.Series(groups[y == 1]).nunique())
    metrics["base_rate"] = float(y.mean())
    metrics["oracle_auc"] = (
        None if oracle is None else _yardstick_auc(y, oracle.to_numpy(float), groups, n_boot)
    )
    metrics["health_auc"] = (
        None
        if health_risk is None
        else _yardstick_auc(y, health_risk.to_numpy(float), groups, n_boot)
    )
    metrics["calibration"] = calibration_table(y, p).to_dict(orient="list")
    metrics["lift"] = lift_table(y, p).to_dict(orient="list")
    return metrics
