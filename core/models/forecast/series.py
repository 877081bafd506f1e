"""The forecasters' input checks (daily and monthly series, horizon, interval) and their
output shape (future days, a clipped forecast frame with its interval)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd

MIN_DAILY_DAYS = 56  # eight weeks: enough weekly cycles to estimate a seasonal MA term
MIN_MONTHS = 8


def daily_series(series: Any, name: str = "series") -> pd.Series:
    """Check a daily count series and return it as float with a DatetimeIndex."""
    if not isinstance(series, pd.Series):
        raise ValueError(f"{name} must be a pandas Series, got {type(series).__name__}")
    if series.empty:
        raise ValueError(f"{name} is empty")
    index = series.index
    if not isinstance(index, pd.DatetimeIndex):
        if not all(isinstance(d, dt.date) for d in index):
            raise ValueError(f"{name} must be indexed by dates (DatetimeIndex or datetime.date)")
        index = pd.DatetimeIndex(pd.to_datetime(list(index)))
    if index.tz is not None:
        index = index.tz_localize(None)
    if not (index == index.normalize()).all():
        raise ValueError(f"{name} index must be daily dates without a time of day")
    if len(index) > 1:
        steps = index[1:] - index[:-1]
        if not (steps == pd.Timedelta(days=1)).all():
            raise ValueError(
                f"{name} index must be consecutive daily dates, sorted, without gaps "
                "or duplicates (fill missing days with 0)"
            )
    if len(series) < MIN_DAILY_DAYS:
        raise ValueError(
            f"{name} is too short: {len(series)} days, at least {MIN_DAILY_DAYS} "
            "(eight weeks) are needed"
        )
    try:
        values = pd.to_numeric(series, errors="raise").to_numpy(dtype=float)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must hold numbers: {exc}") from exc
    if np.isnan(values).any():
        raise ValueError(f"{name} contains NaN; fill days without bookings with 0")
    if not np.isfinite(values).all():
        raise ValueError(f"{name} contains infinite values")
    if (values < 0).any():
        raise ValueError(f"{name} contains negative counts")
    return pd.Series(values, index=pd.DatetimeIndex(index, freq="D"), name=series.name)


def check_interval(interval: Any) -> float:
    if not isinstance(interval, (int, float)) or not 0.0 < float(interval) < 1.0:
        raise ValueError(f"interval must be a probability in (0, 1), got {interval!r}")
    return float(interval)


def check_horizon(horizon: Any) -> int:
    if isinstance(horizon, bool) or not isinstance(horizon, (int, np.integer)) or horizon < 1:
        raise ValueError(f"horizon must be a positive integer, got {horizon!r}")
    return int(horizon)


def future_days(last: pd.Timestamp, horizon: int) -> pd.DatetimeIndex:
    return pd.date_range(last + pd.Timedelta(days=1), periods=horizon, freq="D")


def bounded(forecast: np.ndarray, lower: np.ndarray, upper: np.ndarray, index: Any) -> Any:
    """Back-transform from the log1p scale and clip at zero."""
    frame = pd.DataFrame(
        {"forecast": np.expm1(forecast), "lower": np.expm1(lower), "upper": np.expm1(upper)},
        index=index,
    )
    return frame.clip(lower=0.0)


def monthly_series(series: Any) -> pd.Series:
    """Check a monthly series; return float values with a monthly PeriodIndex."""
    if not isinstance(series, pd.Series):
        raise ValueError(f"series must be a pandas Series, got {type(series).__name__}")
    if series.empty:
        raise ValueError("series is empty")
    index = series.index
    if isinstance(index, pd.PeriodIndex):
        if index.freqstr not in ("M", "ME"):
            raise ValueError(f"series PeriodIndex must be monthly, got {index.freqstr}")
        periods = index
    elif isinstance(index, pd.DatetimeIndex) or all(isinstance(d, dt.date) for d in index):
        stamps = pd.DatetimeIndex(pd.to_datetime(list(index)))
        if not ((stamps.day == 1).all() or stamps.is_month_end.all()):
            raise ValueError("series dates must all be month starts or all month ends")
        periods = stamps.to_period("M")
    else:
        raise ValueError("series must be indexed by months (PeriodIndex or month dates)")
    ordinals = periods.asi8
    if len(ordinals) > 1 and not (np.diff(ordinals) == 1).all():
        raise ValueError("series months must be consecutive, sorted, without gaps or duplicates")
    if len(series) < MIN_MONTHS:
        raise ValueError(
            f"series is too short: {len(series)} months, at least {MIN_MONTHS} are needed"
        )
    try:
        values = pd.to_numeric(series, errors="raise").to_numpy(dtype=float)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"series must hold numbers: {exc}") from exc
    if not np.isfinite(values).all():
        raise ValueError("series contains NaN or infinite values")
    if (values < 0).any():
        raise ValueError("series contains negative values")
    return pd.Series(values, index=pd.PeriodIndex(periods, freq="M"), name=series.name)
