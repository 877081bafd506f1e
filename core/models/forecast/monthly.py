"""``MonthlyForecaster``: damped-trend ETS on ``log1p`` of a monthly MRR/GMV series, with
prediction intervals."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.exceptions import NotFittedError
from statsmodels.tsa.exponential_smoothing.ets import ETSModel
from threadpoolctl import threadpool_limits

from core.models.forecast.series import bounded, check_horizon, check_interval, monthly_series

SEASONAL_MONTHS = 24  # two full years before a yearly seasonal component is estimated
_MAXITER = 200


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
        check_horizon(self.horizon)
        check_interval(self.interval)
        y = monthly_series(series)
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
        return bounded(
            frame["mean"].to_numpy(),
            frame["pi_lower"].to_numpy(),
            frame["pi_upper"].to_numpy(),
            index=future,
        )
