"""Daily and monthly forecasts with prediction intervals, and their honest evaluation.

- ``DailyBookingsForecaster``: SARIMAX (weekly seasonality, Argentine holidays as
  regressors) or ETS on ``log1p`` of daily counts.
- ``MonthlyForecaster``: damped-trend ETS on ``log1p`` of a monthly MRR/GMV series.
- ``seasonal_naive_forecast``: the baseline every model is compared with.
- ``rolling_origin_backtest``: MASE and sMAPE of a model and of the seasonal naive
  forecast over several time-ordered origins.

Pure functions of pandas Series: no database, no Streamlit.
"""

from __future__ import annotations

import datetime as dt
import time
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.exceptions import NotFittedError
from statsmodels.tsa.exponential_smoothing.ets import ETSModel
from statsmodels.tsa.statespace.sarimax import SARIMAX
from threadpoolctl import threadpool_limits

from core.reference.holiday_calendar import holiday_features

__all__ = [
    "DailyBookingsForecaster",
    "MonthlyForecaster",
    "NotFittedError",
    "holiday_features",
    "mase",
    "monthly_rolling_origin_backtest",
    "rolling_origin_backtest",
    "seasonal_naive_forecast",
    "smape",
]

MIN_DAILY_DAYS = 56  # eight weeks: enough weekly cycles to estimate a seasonal MA term
MIN_MONTHS = 8
SEASONAL_MONTHS = 24  # two full years before a yearly seasonal component is estimated
MONTH_DUMMY_DAYS = 730  # two Januaries and two Decembers before month effects are fitted
_SARIMAX_ORDER = (1, 0, 1)
# seasonal differencing at lag 7 absorbs the weekly profile; one seasonal MA term lets
# it drift. Tried against (1,0,1)x(1,1,1,7): same fit, twice the time.
_SARIMAX_SEASONAL_ORDER = (0, 1, 1, 7)
_MAXITER = 200


# --------------------------------------------------------------------------- metrics


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


# ------------------------------------------------------------------------ validation


def _daily_series(series: Any, name: str = "series") -> pd.Series:
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


def _check_interval(interval: Any) -> float:
    if not isinstance(interval, (int, float)) or not 0.0 < float(interval) < 1.0:
        raise ValueError(f"interval must be a probability in (0, 1), got {interval!r}")
    return float(interval)


def _check_horizon(horizon: Any) -> int:
    if isinstance(horizon, bool) or not isinstance(horizon, (int, np.integer)) or horizon < 1:
        raise ValueError(f"horizon must be a positive integer, got {horizon!r}")
    return int(horizon)


def _future_days(last: pd.Timestamp, horizon: int) -> pd.DatetimeIndex:
    return pd.date_range(last + pd.Timedelta(days=1), periods=horizon, freq="D")


def _bounded(forecast: np.ndarray, lower: np.ndarray, upper: np.ndarray, index: Any) -> Any:
    """Back-transform from the log1p scale and clip at zero."""
    frame = pd.DataFrame(
        {"forecast": np.expm1(forecast), "lower": np.expm1(lower), "upper": np.expm1(upper)},
        index=index,
    )
    return frame.clip(lower=0.0)


# ------------------------------------------------------------------------ estimators


class DailyBookingsForecaster(BaseEstimator):
    """Daily bookings forecast with prediction intervals.

    The model works on ``log1p(count)``, so weekly and holiday effects are
    multiplicative on the count scale and the back-transformed interval never goes
    below zero. The point forecast is the back-transformed log-scale mean: a median,
    not a mean, of the predictive distribution.

    Parameters
    ----------
    horizon : int, default 30
        Days to forecast after the last observed day.
    interval : float, default 0.95
        Nominal coverage of the prediction interval.
    model : {"sarimax", "ets"}, default "sarimax"
        ``"sarimax"``: SARIMAX(1,0,1)x(0,1,1,7) with regressors for Argentine national
        holidays, the day before a holiday and, with two years of history, January
        and December. ``"ets"``: ETS with additive error and additive weekly
        seasonality, no trend, no calendar regressors.
    month_effects : {"auto", True, False}, default "auto"
        Month dummies for SARIMAX; ``"auto"`` adds them with at least 730 days.

    Attributes
    ----------
    method_ : str
        ``"sarimax"`` or ``"ets"`` as fitted (``"ets"`` when SARIMAX failed, with a
        RuntimeWarning), or ``"constant"`` for a series with one value every day,
        forecast as that value with a zero-width interval.
    results_ : statsmodels results or None
        The fitted model (None for a constant series).
    exog_names_ : list of str
        Regressors used (SARIMAX); a regressor constant over the history is dropped.
    params_ : Series
        Estimated parameters by name.
    holiday_effect_ : float
        Log-scale coefficient of ``holiday`` (NaN for ETS or without holidays in the
        history); ``exp`` of it is the multiplicative holiday effect.
    level_ : float
        Last observed count.
    last_date_ : Timestamp
        Last day of the history.
    n_obs_ : int
        Days of history.
    fit_seconds_ : float
        Wall-clock time of the fit.
    """

    def __init__(
        self,
        horizon: int = 30,
        interval: float = 0.95,
        model: str = "sarimax",
        month_effects: bool | str = "auto",
    ) -> None:
        self.horizon = horizon
        self.interval = interval
        self.model = model
        self.month_effects = month_effects

    def _uses_months(self, n_days: int) -> bool:
        if self.month_effects == "auto":
            return n_days >= MONTH_DUMMY_DAYS
        if isinstance(self.month_effects, bool):
            return self.month_effects
        raise ValueError(f"month_effects must be 'auto', True or False, got {self.month_effects!r}")

    def _fit_sarimax(self, y: pd.Series, z: pd.Series, use_months: bool) -> None:
        exog = holiday_features(y.index, use_months)
        exog = exog.loc[:, exog.nunique() > 1]
        self.exog_names_ = list(exog.columns)
        sarimax = SARIMAX(
            z,
            exog=exog if self.exog_names_ else None,
            order=_SARIMAX_ORDER,
            seasonal_order=_SARIMAX_SEASONAL_ORDER,
            concentrate_scale=True,
        )
        self.results_ = sarimax.fit(disp=False, method="lbfgs", maxiter=_MAXITER)

    def fit(self, series: pd.Series) -> DailyBookingsForecaster:
        """Fit to a daily count series.

        Parameters
        ----------
        series : Series
            Daily counts indexed by consecutive dates (DatetimeIndex or
            ``datetime.date``), at least eight weeks, no NaN, non-negative.

        Returns
        -------
        self
        """
        _check_horizon(self.horizon)
        _check_interval(self.interval)
        if self.model not in ("sarimax", "ets"):
            raise ValueError(f"model must be 'sarimax' or 'ets', got {self.model!r}")
        y = _daily_series(series)
        use_months = self._uses_months(len(y))  # validates month_effects
        z = np.log1p(y)
        start = time.perf_counter()
        self.exog_names_ = []
        self.results_ = None
        fallback_reason = ""
        if np.ptp(z.to_numpy()) == 0.0:
            # a tenant with the same count every day (usually zero): nothing to
            # estimate, and the state-space initialisation fails on a flat series
            self.method_ = "constant"
        else:
            self.method_ = self.model
            # one BLAS thread: the Kalman filter works on tiny matrices, and threads
            # fighting over two cores made a 0.5 s fit take 3 to 6 s
            with warnings.catch_warnings(), threadpool_limits(limits=1):
                # convergence chatter from statsmodels; the fit is checked by its tests
                warnings.simplefilter("ignore")
                if self.model == "sarimax":
                    try:
                        self._fit_sarimax(y, z, use_months)
                    except (np.linalg.LinAlgError, ValueError) as exc:
                        fallback_reason = str(exc)
                        self.method_ = "ets"
                        self.exog_names_ = []
                if self.method_ == "ets":
                    ets = ETSModel(z, error="add", trend=None, seasonal="add", seasonal_periods=7)
                    self.results_ = ets.fit(disp=False, maxiter=_MAXITER)
        if fallback_reason:
            warnings.warn(
                f"SARIMAX failed on this series ({fallback_reason}); fitted ETS instead",
                RuntimeWarning,
                stacklevel=2,
            )
        self.fit_seconds_ = time.perf_counter() - start
        if self.results_ is None:
            self.params_ = pd.Series(dtype=float)
        else:
            self.params_ = pd.Series(
                np.asarray(self.results_.params), index=list(self.results_.param_names)
            )
        self.level_ = float(y.iloc[-1])
        self.holiday_effect_ = float(self.params_.get("holiday", np.nan))
        self.last_date_ = y.index[-1]
        self.n_obs_ = len(y)
        return self

    def predict(self) -> pd.DataFrame:
        """Forecast ``horizon`` days after the history.

        Returns
        -------
        DataFrame
            Indexed by the future dates, columns ``forecast``, ``lower``, ``upper``
            (counts, clipped at 0).
        """
        if not hasattr(self, "results_"):
            raise NotFittedError("DailyBookingsForecaster is not fitted yet; call fit first")
        future = _future_days(self.last_date_, self.horizon)
        alpha = 1.0 - self.interval
        if self.method_ == "constant":
            flat = np.full(self.horizon, np.log1p(self.level_))
            return _bounded(flat, flat, flat, index=future)
        if self.method_ == "sarimax":
            exog = None
            if self.exog_names_:
                exog = holiday_features(future, month_effects=True)[self.exog_names_].to_numpy()
            fc = self.results_.get_forecast(self.horizon, exog=exog)
            bounds = np.asarray(fc.conf_int(alpha=alpha))
            return _bounded(np.asarray(fc.predicted_mean), bounds[:, 0], bounds[:, 1], index=future)
        n = self.n_obs_
        frame = self.results_.get_prediction(start=n, end=n + self.horizon - 1).summary_frame(
            alpha=alpha
        )
        return _bounded(
            frame["mean"].to_numpy(),
            frame["pi_lower"].to_numpy(),
            frame["pi_upper"].to_numpy(),
            index=future,
        )


def _monthly_series(series: Any) -> pd.Series:
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


class MonthlyForecaster(BaseEstimator):
    """Monthly MRR/GMV forecast with prediction intervals.

    ETS with additive error and additive damped trend on ``log1p(value)`` (growth is
    multiplicative and slows down); additive yearly seasonality only with at least
    24 months of history.

    Parameters
    ----------
    horizon : int, default 3
        Months to forecast.
    interval : float, default 0.95
        Nominal coverage of the prediction interval.
    seasonal : {"auto", True, False}, default "auto"
        Yearly seasonal component: ``"auto"`` fits one with at least 24 months of
        history. MRR has no yearly cycle (its steps are sign-ups, churn and price
        updates): pass False, a seasonal term there only adds noise.

    Attributes
    ----------
    results_ : statsmodels ETSResults
    params_ : Series
    seasonal_ : bool
        Whether a yearly seasonal component was fitted.
    last_period_ : Period
        Last month of the history.
    n_obs_ : int
    index_kind_ : str
        ``"period"``, ``"start"`` or ``"end"``: how the future months are labelled.
    """

    def __init__(
        self, horizon: int = 3, interval: float = 0.95, seasonal: bool | str = "auto"
    ) -> None:
        self.horizon = horizon
        self.interval = interval
        self.seasonal = seasonal

    def fit(self, series: pd.Series) -> MonthlyForecaster:
        """Fit to a monthly series of at least 8 consecutive, non-negative months.

        Parameters
        ----------
        series : Series
            Indexed by a monthly PeriodIndex or by month-start (or month-end) dates.

        Returns
        -------
        self
        """
        _check_horizon(self.horizon)
        _check_interval(self.interval)
        y = _monthly_series(series)
        if isinstance(series.index, pd.PeriodIndex):
            self.index_kind_ = "period"
        else:
            first = pd.Timestamp(series.index[0])
            self.index_kind_ = "start" if first.day == 1 else "end"
        if self.seasonal == "auto":
            self.seasonal_ = len(y) >= SEASONAL_MONTHS
        elif isinstance(self.seasonal, bool):
            self.seasonal_ = self.seasonal and len(y) >= SEASONAL_MONTHS
        else:
            raise ValueError(f"seasonal must be 'auto', True or False, got {self.seasonal!r}")
        # a Series, not an array: statsmodels' ETS prediction needs an index to label
        z = np.log1p(y)
        model = ETSModel(
            z,
            error="add",
            trend="add",
            damped_trend=True,
            seasonal="add" if self.seasonal_ else None,
            seasonal_periods=12 if self.seasonal_ else None,
        )
        with warnings.catch_warnings(), threadpool_limits(limits=1):
            warnings.simplefilter("ignore")
            self.results_ = model.fit(disp=False, maxiter=_MAXITER)
        self.params_ = pd.Series(
            np.asarray(self.results_.params), index=list(self.results_.param_names)
        )
        self.last_period_ = y.index[-1]
        self.n_obs_ = len(y)
        return self

    def predict(self) -> pd.DataFrame:
        """Forecast ``horizon`` months after the history.

        Returns
        -------
        DataFrame
            Indexed like the history (periods, month starts or month ends), columns
            ``forecast``, ``lower``, ``upper``, clipped at 0.
        """
        if not hasattr(self, "results_"):
            raise NotFittedError("MonthlyForecaster is not fitted yet; call fit first")
        future: Any = pd.period_range(self.last_period_ + 1, periods=self.horizon, freq="M")
        if self.index_kind_ == "start":
            future = future.to_timestamp(how="start")
        elif self.index_kind_ == "end":
            future = future.to_timestamp(how="end").normalize()
        n = self.n_obs_
        frame = self.results_.get_prediction(start=n, end=n + self.horizon - 1).summary_frame(
            alpha=1.0 - self.interval
        )
        return _bounded(
            frame["mean"].to_numpy(),
            frame["pi_lower"].to_numpy(),
            frame["pi_upper"].to_numpy(),
            index=future,
        )


# ------------------------------------------------------------------ baseline and backtest


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
    horizon = _check_horizon(horizon)
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
        index = _future_days(pd.Timestamp(series.index[-1]), horizon)
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
    y = _daily_series(series)
    horizon = _check_horizon(horizon)
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
    y = _monthly_series(series)
    horizon = _check_horizon(horizon)
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
