"""Forecast accuracy: MASE (scaled by the seasonal naive in-sample error) and sMAPE."""

from __future__ import annotations

from typing import Any

import numpy as np


def mase(actual: Any, forecast: Any, insample: Any, season: int = 7) -> float:
    """Mean absolute scaled error (Hyndman & Koehler, 2006).

    Parameters
    ----------
    actual, forecast : array-like
        Observed values and forecasts over the evaluation window, same length.
    insample : array-like
        The training series the forecast was made from; its in-sample seasonal-naive
        mean absolute error is the scale.
    season : int, default 7
        Seasonal period of the naive scale.

    Returns
    -------
    float
        ``mean|F - A| / mean|y_t - y_{t-season}|``; NaN when the scale is zero.
    """
    a = np.asarray(actual, dtype=float)
    f = np.asarray(forecast, dtype=float)
    y = np.asarray(insample, dtype=float)
    if a.shape != f.shape:
        raise ValueError(f"actual and forecast differ in length: {a.shape} vs {f.shape}")
    if y.size <= season:
        raise ValueError(f"insample needs more than season={season} values, got {y.size}")
    scale = float(np.mean(np.abs(y[season:] - y[:-season])))
    if scale == 0.0:
        return float("nan")
    return float(np.mean(np.abs(f - a)) / scale)


def smape(actual: Any, forecast: Any) -> float:
    """Symmetric mean absolute percentage error, as a fraction in [0, 2].

    Parameters
    ----------
    actual, forecast : array-like
        Same length.

    Returns
    -------
    float
        ``mean(2|F - A| / (|A| + |F|))`` with 0/0 counted as 0 (a zero forecast of a
        zero day is perfect).
    """
    a = np.asarray(actual, dtype=float)
    f = np.asarray(forecast, dtype=float)
    if a.shape != f.shape:
        raise ValueError(f"actual and forecast differ in length: {a.shape} vs {f.shape}")
    den = np.abs(a) + np.abs(f)
    num = 2.0 * np.abs(f - a)
    terms = np.divide(num, den, out=np.zeros_like(num), where=den > 0)
    return float(np.mean(terms))
