"""The forecasts' honest evaluation: the seasonal naive baseline every model is compared
with, and rolling-origin backtests (daily and monthly) scoring a model and the baseline
with MASE and sMAPE over several time-ordered origins."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from core.models.forecast.metrics import mase, smape
from core.models.forecast.series import (
    MIN_DAILY_DAYS,
    MIN_MONTHS,
    check_horizon,
    daily_series,
    future_days,
    monthly_series,
)


def seasonal_naive_forecast(series: pd.Series, horizon: int, season: int = 7) -> pd.Series:
    """Repeat the last ``season`` observations ``horizon`` steps ahead.

    Parameters
    ----------
    series : Series
        History; with a daily DatetimeIndex the result is indexed by the next days.
    horizon : int
        Steps to forecast.
    season : int, default 7
        Seasonal period.

    Returns
    -------
    Series
        ``forecast[h] = series[n - season + (h mod season)]``.
    """
    horizon = check_horizon(horizon)
    if isinstance(season, bool) or not isinstance(season, (int, np.integer)) or season < 1:
        raise ValueError(f"season must be a positive integer, got {season!r}")
    if not isinstance(series, pd.Series):
        raise ValueError(f"series must be a pandas Series, got {type(series).__name__}")
    if len(series) < season:
        raise ValueError(f"series needs at least season={season} values, got {len(series)}")
    last = series.to_numpy(dtype=float)[-season:]
    values = np.resize(last, horizon)  # np.resize repeats cyclically
    index: Any = pd.RangeIndex(len(series), len(series) + horizon)
    if isinstance(series.index, pd.DatetimeIndex) and len(series) > 1:
        freq = series.index.freq or pd.infer_freq(series.index)
        if freq is not None:
            index = pd.date_range(series.index[-1], periods=horizon + 1, freq=freq)[1:]
    elif len(series) and all(isinstance(d, dt.date) for d in series.index):
        index = future_days(pd.Timestamp(series.index[-1]), horizon)
    return pd.Series(values, index=index, name=series.name)


def rolling_origin_backtest(
    series: pd.Series,
    make_model: Callable[[], Any],
    horizon: int = 14,
    origins: int = 8,
    step: int = 14,
    season: int = 7,
) -> tuple[pd.DataFrame, dict[str, float]]:
    """Rolling-origin evaluation of a daily model against the seasonal naive forecast.

    The last origin leaves exactly ``horizon`` days to forecast; earlier origins are
    ``step`` days apart. Each origin refits a fresh model on the days before it only.

    Parameters
    ----------
    series : Series
        Daily counts (validated as in ``DailyBookingsForecaster.fit``).
    make_model : callable
        Returns a new unfitted estimator whose ``fit(train).predict()`` gives at
        least ``horizon`` rows with a ``forecast`` column (and optionally ``lower``,
        ``upper``).
    horizon, origins, step, season : int
        Days forecast per origin, number of origins, days between origins, seasonal
        period for the naive forecast and the MASE scale.

    Returns
    -------
    per_origin : DataFrame
        One row per origin: ``origin`` (first forecast day), ``train_days``,
        ``mase_model``, ``mase_naive``, ``smape_model``, ``smape_naive`` and
        ``coverage`` (share of actuals inside the model interval, NaN without one).
    summary : dict
        ``mase_model``, ``mase_naive``, ``smape_model``, ``smape_naive`` (means over
        origins), ``coverage`` and ``origins``.
    """
    y = daily_series(series)
    horizon = check_horizon(horizon)
    for name, value in (("origins", origins), ("step", step), ("season", season)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise ValueError(f"{name} must be a positive integer, got {value!r}")
    n = len(y)
    first_cutoff = n - horizon - step * (origins - 1)
    if first_cutoff < MIN_DAILY_DAYS:
        raise ValueError(
            f"series of {n} days is too short for {origins} origins {step} days apart with "
            f"horizon {horizon}: the first origin would train on {first_cutoff} days, "
            f"at least {MIN_DAILY_DAYS} are needed"
        )
    rows = []
    for k in range(origins):
        cutoff = first_cutoff + k * step
        train, test = y.iloc[:cutoff], y.iloc[cutoff : cutoff + horizon]
        predicted = make_model().fit(train).predict()
        if len(predicted) < horizon:
            raise ValueError(
                f"make_model() forecasts {len(predicted)} days, the backtest needs {horizon}"
            )
        predicted = predicted.iloc[:horizon]
        model_fc = predicted["forecast"].to_numpy(dtype=float)
        naive_fc = seasonal_naive_forecast(train, horizon, season).to_numpy()
        rows.append(
            {"origin": test.index[0], "train_days": cutoff}
            | _score_origin(train, test, predicted, model_fc, naive_fc, season)
        )
    return _summarize(rows, origins)


def _score_origin(
    train: pd.Series,
    test: pd.Series,
    predicted: pd.DataFrame,
    model_fc: np.ndarray,
    naive_fc: np.ndarray,
    season: int,
) -> dict[str, object]:
    """One backtest origin's errors (model and naive) and the band's coverage."""
    actual = test.to_numpy()
    coverage = float("nan")
    if {"lower", "upper"} <= set(predicted.columns):
        inside = (actual >= predicted["lower"].to_numpy()) & (
            actual <= predicted["upper"].to_numpy()
        )
        coverage = float(inside.mean())
    return {
        "mase_model": mase(actual, model_fc, train.to_numpy(), season),
        "mase_naive": mase(actual, naive_fc, train.to_numpy(), season),
        "smape_model": smape(actual, model_fc),
        "smape_naive": smape(actual, naive_fc),
        "coverage": coverage,
    }


def _summarize(rows: list[dict[str, object]], origins: int) -> tuple[pd.DataFrame, dict]:
    """Per-origin table and its means, the backtests' common result."""
    per_origin = pd.DataFrame(rows)
    summary = {
        name: float(per_origin[name].mean())
        for name in ("mase_model", "mase_naive", "smape_model", "smape_naive", "coverage")
    }
    return per_origin, {**summary, "origins": int(origins)}


def monthly_rolling_origin_backtest(
    series: pd.Series,
    make_model: Callable[[], Any],
    horizon: int = 3,
    origins: int = 4,
    step: int = 1,
    season: int = 1,
) -> tuple[pd.DataFrame, dict[str, float]]:
    """Rolling-origin evaluation of a monthly model against the (seasonal) naive forecast.

    Same scheme and outputs as ``rolling_origin_backtest``, on a monthly series
    (validated as in ``MonthlyForecaster.fit``). The default ``season=1`` compares with
    the naive forecast (last month repeated) and scales MASE by its in-sample error:
    with less than two years of history a yearly seasonal naive has nothing to repeat.
    The first origin trains on at least ``MIN_MONTHS`` months.
    """
    y = monthly_series(series)
    horizon = check_horizon(horizon)
    for name, value in (("origins", origins), ("step", step), ("season", season)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise ValueError(f"{name} must be a positive integer, got {value!r}")
    n = len(y)
    first_cutoff = n - horizon - step * (origins - 1)
    if first_cutoff < max(MIN_MONTHS, season + 1):
        raise ValueError(
            f"series of {n} months is too short for {origins} origins {step} months apart "
            f"with horizon {horizon}: the first origin would train on {first_cutoff} months, "
            f"at least {max(MIN_MONTHS, season + 1)} are needed"
        )
    rows = []
    for k in range(origins):
        cutoff = first_cutoff + k * step
        train, test = y.iloc[:cutoff], y.iloc[cutoff : cutoff + horizon]
        predicted = make_model().fit(train).predict().iloc[:horizon]
        if len(predicted) < horizon:
            raise ValueError(f"make_model() forecasts {len(predicted)} months, need {horizon}")
        model_fc = predicted["forecast"].to_numpy(dtype=float)
        naive_fc = np.resize(train.to_numpy()[-season:], horizon)
        rows.append(
            {"origin": test.index[0], "train_months": cutoff}
            | _score_origin(train, test, predicted, model_fc, naive_fc, season)
        )
    return _summarize(rows, origins)
