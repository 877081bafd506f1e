"""Accuracy of churn probabilities: ROC AUC, PR AUC, Brier, lift, with tenant-bootstrap CIs.

Examples of the same tenant on nearby as-of dates are strongly correlated, so a
confidence interval that resampled rows would be too narrow. :func:`bootstrap_ci`
resamples whole tenants (clusters) with replacement and recomputes the metric on all of
their rows: the percentile interval of those replicates is the 95% CI.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import rankdata
from sklearn.metrics import average_precision_score

__all__ = [
    "METRICS",
    "bootstrap_ci",
    "brier",
    "calibration_table",
    "lift_table",
    "pr_auc",
    "roc_auc",
    "top_decile_lift",
]

Metric = Callable[[np.ndarray, np.ndarray], float]


def _checked(y: Any, p: Any, *, need_both: bool = True) -> tuple[np.ndarray, np.ndarray]:
    labels = np.asarray(y, dtype=float)
    probs = np.asarray(p, dtype=float)
    if labels.size == 0:
        raise ValueError("no examples to evaluate")
    if labels.shape != probs.shape:
        raise ValueError(f"{labels.size} labels but {probs.size} predictions")
    if np.isnan(labels).any() or np.isnan(probs).any():
        raise ValueError("labels and predictions must not contain NaN")
    if not np.isin(labels, (0.0, 1.0)).all():
        raise ValueError("labels must be 0 or 1")
    if need_both and np.unique(labels).size < 2:
        raise ValueError("the metric needs both churned and retained examples")
    return labels, probs


def roc_auc(y: Any, p: Any) -> float:
    """Probability that a random churner is scored above a random non-churner (ties 1/2)."""
    labels, probs = _checked(y, p)
    # Mann-Whitney U from mid-ranks: the same number as sklearn's, without its overhead
    # (the bootstrap calls this hundreds of times).
    ranks = rankdata(probs)
    positives = labels == 1
    n_pos, n_neg = int(positives.sum()), int((~positives).sum())
    return float((ranks[positives].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def pr_auc(y: Any, p: Any) -> float:
    """Area under the precision-recall curve (average precision)."""
    labels, probs = _checked(y, p)
    return float(average_precision_score(labels, probs))


def brier(y: Any, p: Any) -> float:
    """Mean squared difference between the probability and the 0/1 outcome."""
    labels, probs = _checked(y, p, need_both=False)
    if ((probs < 0) | (probs > 1)).any():
        raise ValueError("probabilities must lie in [0, 1]")
    return float(np.mean((probs - labels) ** 2))


def _top_share(probs: np.ndarray, share: float) -> np.ndarray:
    """Indices of the ``ceil(share * n)`` highest probabilities (stable on ties)."""
    k = max(1, int(np.ceil(share * probs.size - 1e-9)))
    return np.argsort(-probs, kind="stable")[:k]


def top_decile_lift(y: Any, p: Any) -> float:
    """Churn rate in the top 10% of probabilities divided by the overall churn rate."""
    labels, probs = _checked(y, p)
    top = _top_share(probs, 0.1)
    return float(labels[top].mean() / labels.mean())


METRICS: dict[str, Metric] = {
    "roc_auc": roc_auc,
    "pr_auc": pr_auc,
    "brier": brier,
    "top_decile_lift": top_decile_lift,
}


def bootstrap_ci(
    metric: Metric,
    y: Any,
    p: Any,
    groups: Any | None = None,
    *,
    n_boot: int = 500,
    level: float = 0.95,
    seed: int = 0,
) -> tuple[float, float]:
    """Percentile bootstrap CI of ``metric(y, p)``, resampling whole ``groups`` (tenants).

    Without ``groups`` every row is its own group. Replicates where the metric is
    undefined (one class only) are skipped; at least half must be usable.
    """
    labels, probs = _checked(y, p, need_both=False)
    if not 0 < level < 1:
        raise ValueError("level must be between 0 and 1")
    if n_boot < 10:
        raise ValueError("n_boot must be at least 10")
    keys = np.arange(labels.size) if groups is None else np.asarray(groups)
    if keys.shape != labels.shape:
        raise ValueError("groups must have one value per example")
    codes, _ = pd.factorize(keys)
    order = np.argsort(codes, kind="stable")
    bounds = np.searchsorted(codes[order], np.arange(codes.max() + 2))
    members = [order[bounds[g] : bounds[g + 1]] for g in range(codes.max() + 1)]
    rng = np.random.default_rng(seed)
    values = []
    for _ in range(n_boot):
        picked = rng.integers(0, len(members), len(members))
        rows = np.concatenate([members[g] for g in picked])
        try:
            values.append(metric(labels[rows], probs[rows]))
        except ValueError:
            continue
    if len(values) < n_boot / 2:
        raise ValueError("too few usable bootstrap replicates: too few churners to resample")
    tail = (1 - level) / 2 * 100
    low, high = np.percentile(values, [tail, 100 - tail])
    return float(low), float(high)


def calibration_table(y: Any, p: Any, bins: int = 10) -> pd.DataFrame:
    """Observed churn rate against mean predicted probability, in equal-count bins.

    Columns: ``bin``, ``mean_predicted``, ``observed_rate``, ``n``.
    """
    labels, probs = _checked(y, p, need_both=False)
    ranks = np.argsort(np.argsort(probs, kind="stable"), kind="stable")
    which = (ranks * bins) // probs.size
    frame = pd.DataFrame({"bin": which, "p": probs, "y": labels})
    out = frame.groupby("bin").agg(
        mean_predicted=("p", "mean"), observed_rate=("y", "mean"), n=("y", "size")
    )
    return out.reset_index()


def lift_table(y: Any, p: Any, bins: int = 10) -> pd.DataFrame:
    """Churn captured by decile of risk, highest first.

    Columns: ``decile`` (1 = riskiest), ``n``, ``churners``, ``churn_rate``, ``lift``
    (rate / overall rate) and ``cumulative_capture`` (share of all churners caught
    by calling this decile and every riskier one).
    """
    labels, probs = _checked(y, p)
    order = np.argsort(-probs, kind="stable")
    decile = np.empty(probs.size, dtype=int)
    decile[order] = np.arange(probs.size) * bins // probs.size + 1
    frame = pd.DataFrame({"decile": decile, "y": labels})
    out = frame.groupby("decile").agg(n=("y", "size"), churners=("y", "sum"))
    out["churn_rate"] = out["churners"] / out["n"]
    out["lift"] = out["churn_rate"] / labels.mean()
    out["cumulative_capture"] = out["churners"].cumsum() / labels.sum()
    return out.reset_index()
