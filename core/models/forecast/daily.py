"""``DailyBookingsForecaster``: SARIMAX (weekly seasonality, Argentine holidays as
regressors) or ETS on ``log1p`` of daily counts, with prediction intervals."""

from __future__ import annotations

import time
import warnings

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.exceptions import NotFittedError
from statsmodels.tsa.exponential_smoothing.ets import ETSModel
from statsmodels.tsa.statespace.sarimax import SARIMAX
from threadpoolctl import threadpool_limits

from core.models.forecast.series import (
    bounded,
    check_horizon,
    check_interval,
    daily_series,
    future_days,
)
from core.reference.holiday_calendar import holiday_features

MONTH_DUMMY_DAYS = 730  # two Januaries and two Decembers before month effects are fitted
_SARIMAX_ORDER = (1, 0, 1)
# seasonal differencing at lag 7 absorbs the weekly profile; one seasonal MA term lets
# it drift. Tried against (1,0,1)x(1,1,1,7): same fit, twice the time.
_SARIMAX_SEASONAL_ORDER = (0, 1, 1, 7)
_MAXITER = 200


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
        check_horizon(self.horizon)
        check_interval(self.interval)
        if self.model not in ("sarimax", "ets"):
            raise ValueError(f"model must be 'sarimax' or 'ets', got {self.model!r}")
        y = daily_series(series)
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
        future = future_days(self.last_date_, self.horizon)
        alpha = 1.0 - self.interval
        if self.method_ == "constant":
            flat = np.full(self.horizon, np.log1p(self.level_))
            return bounded(flat, flat, flat, index=future)
        if self.method_ == "sarimax":
            exog = None
            if self.exog_names_:
                exog = holiday_features(future, month_effects=True)[self.exog_names_].to_numpy()
            fc = self.results_.get_forecast(self.horizon, exog=exog)
            bounds = np.asarray(fc.conf_int(alpha=alpha))
            return bounded(np.asarray(fc.predicted_mean), bounds[:, 0], bounds[:, 1], index=future)
        n = self.n_obs_
        frame = self.results_.get_prediction(start=n, end=n + self.horizon - 1).summary_frame(
            alpha=alpha
        )
        return bounded(
            frame["mean"].to_numpy(),
            frame["pi_lower"].to_numpy(),
            frame["pi_upper"].to_numpy(),
            index=future,
        )
