"""Forecasts: metrics by hand, models against simulated series with known effects."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd
import pytest
from sklearn.exceptions import NotFittedError

from core.models.forecast.backtest import rolling_origin_backtest, seasonal_naive_forecast
from core.models.forecast.daily import DailyBookingsForecaster
from core.models.forecast.metrics import mase, smape
from core.models.forecast.monthly import MonthlyForecaster
from core.reference.holiday_calendar import holiday_features

# Monday..Sunday demand multipliers: Saturday peak, Sunday almost closed
WEEKLY = np.array([1.0, 1.1, 1.2, 1.3, 1.6, 2.2, 0.03])
HOLIDAY_RATIO = 0.2


def simulate_daily(seed: int, days: int, base: float = 200.0) -> pd.Series:
    """Poisson counts with a weekly profile, holidays at 20% of demand, 10% day noise."""
    rng = np.random.default_rng(seed)
    index = pd.date_range("2024-03-01", periods=days, freq="D")
    holiday = holiday_features(index)["holiday"].to_numpy()
    mu = (
        base
        * WEEKLY[index.day_of_week]
        * np.where(holiday == 1, HOLIDAY_RATIO, 1.0)
        * np.exp(rng.normal(0.0, 0.1, days))
    )
    return pd.Series(rng.poisson(mu).astype(float), index=index, name="bookings")


SIMULATED = simulate_daily(seed=0, days=365 + 30)
HISTORY, HELD_OUT = SIMULATED.iloc[:365], SIMULATED.iloc[365:]


@pytest.fixture(scope="module")
def fitted() -> DailyBookingsForecaster:
    return DailyBookingsForecaster(horizon=30).fit(HISTORY)


# ---------------------------------------------------------------------------- metrics


def test_mase_by_hand():
    insample = [1, 2, 3, 4, 5, 6, 7, 3, 2, 3, 4, 5, 6, 9]
    # seasonal differences at lag 7: |3-1|,|2-2|,|3-3|,|4-4|,|5-5|,|6-6|,|9-7| -> mean 4/7
    actual, forecast = [2, 4, 6], [3, 4, 4]  # errors 1, 0, 2 -> mean 1
    assert mase(actual, forecast, insample, season=7) == pytest.approx(7 / 4, abs=1e-12)
    # lag 1: differences of [1, 3, 6] are 2, 3 -> scale 2.5; errors mean 1 -> 0.4
    assert mase(actual, forecast, [1, 3, 6], season=1) == pytest.approx(0.4, abs=1e-12)


def test_mase_zero_scale_is_nan():
    assert math.isnan(mase([1], [2], [5, 5, 5], season=1))


def test_smape_by_hand():
    # 2*1/(2+3)=0.4, 0/0 -> 0, 2*2/(0+2)=2, 2*2/(4+2)=2/3 -> mean (0.4+0+2+2/3)/4
    expected = (0.4 + 0.0 + 2.0 + 2.0 / 3.0) / 4
    assert smape([2, 0, 0, 4], [3, 0, 2, 2]) == pytest.approx(expected, abs=1e-12)
    assert smape([0, 0], [0, 0]) == 0.0


def test_metrics_reject_mismatched_lengths():
    with pytest.raises(ValueError, match="length"):
        smape([1, 2], [1])
    with pytest.raises(ValueError, match="length"):
        mase([1, 2], [1], [1] * 10)


# ---------------------------------------------------------------------- seasonal naive


def test_seasonal_naive_repeats_last_week():
    series = SIMULATED.iloc[:100]
    forecast = seasonal_naive_forecast(series, horizon=17, season=7)
    last_week = series.to_numpy()[-7:]
    np.testing.assert_array_equal(forecast.to_numpy(), np.concatenate([last_week] * 3)[:17])
    expected_index = pd.date_range(series.index[-1] + pd.Timedelta(days=1), periods=17)
    assert forecast.index.equals(expected_index)


# ------------------------------------------------------------------------ daily model


def test_holiday_effect_recovered(fitted):
    # log(0.2) = -1.609. The model works on log1p(count), which pulls the effect
    # towards 0 on low-count days (Sunday holidays); across seeds 0-5 the estimate
    # fell in [-1.64, -1.51]. Tolerance 0.25 on the log scale (ratio 0.16 to 0.26).
    assert fitted.holiday_effect_ < 0
    assert fitted.holiday_effect_ == pytest.approx(math.log(HOLIDAY_RATIO), abs=0.25)
    assert "holiday" in fitted.exog_names_


def test_interval_covers_held_out_month(fitted):
    predicted = fitted.predict()
    assert list(predicted.columns) == ["forecast", "lower", "upper"]
    assert predicted.index.equals(HELD_OUT.index)
    assert (predicted["lower"] >= 0).all()
    assert (predicted["lower"] <= predicted["forecast"]).all()
    assert (predicted["forecast"] <= predicted["upper"]).all()
    inside = HELD_OUT.between(predicted["lower"], predicted["upper"])
    # nominal 95%; 30 days, so 80%-100% allows for sampling error and a lucky month
    assert 0.8 <= inside.mean() <= 1.0


def test_forecast_follows_weekly_pattern_and_holidays(fitted):
    predicted = fitted.predict()["forecast"]
    saturdays = predicted[predicted.index.day_of_week == 5]
    sundays = predicted[predicted.index.day_of_week == 6]
    assert saturdays.min() > 5 * sundays.max()
    calendar = holiday_features(predicted.index)["holiday"].to_numpy() == 1
    workdays = (predicted.index.day_of_week < 6) & ~calendar
    weekday_holidays = calendar & (predicted.index.day_of_week < 6)
    if weekday_holidays.any():
        assert predicted[weekday_holidays].max() < 0.5 * predicted[workdays].min()


def test_fits_540_days_and_forecasts_finite_values():
    # Its speed (<= 2 s) is measured by `python -m bench models` (forecast_fit_540_days_s),
    # not here: a timed unit test fails on a busy machine, not on slow code.
    series = simulate_daily(seed=3, days=540)
    predicted = DailyBookingsForecaster(horizon=30).fit(series).predict()
    assert len(predicted) == 30
    assert predicted.index[0] == series.index[-1] + pd.Timedelta(days=1)
    assert np.isfinite(predicted.to_numpy(dtype=float)).all()
    assert (predicted["lower"] <= predicted["upper"]).all()


def test_ets_variant():
    model = DailyBookingsForecaster(horizon=30, model="ets").fit(HISTORY)
    predicted = model.predict()
    assert predicted.index.equals(HELD_OUT.index)
    assert math.isnan(model.holiday_effect_)
    inside = HELD_OUT.between(predicted["lower"], predicted["upper"])
    assert 0.7 <= inside.mean() <= 1.0


def test_accepts_date_objects_and_zeros():
    series = HISTORY.iloc[:120].copy()
    series.iloc[:10] = 0.0
    dated = pd.Series(series.to_numpy(), index=[d.date() for d in series.index])
    predicted = DailyBookingsForecaster(horizon=7).fit(dated).predict()
    assert predicted.index[0] == pd.Timestamp(series.index[-1] + pd.Timedelta(days=1))
    assert len(predicted) == 7


# --------------------------------------------------------------------------- backtest


def test_backtest_model_beats_seasonal_naive():
    series = simulate_daily(seed=1, days=365)
    per_origin, summary = rolling_origin_backtest(
        series, lambda: DailyBookingsForecaster(horizon=14), horizon=14, origins=6, step=14
    )
    assert len(per_origin) == 6
    assert summary["origins"] == 6
    assert list(per_origin.columns) == [
        "origin",
        "train_days",
        "mase_model",
        "mase_naive",
        "smape_model",
        "smape_naive",
        "coverage",
    ]
    assert per_origin["origin"].iloc[-1] == series.index[-14]
    assert per_origin["train_days"].diff().dropna().eq(14).all()
    assert summary["mase_model"] < summary["mase_naive"]
    assert summary["smape_model"] < summary["smape_naive"]
    # 84 forecast days pooled over the origins; measured 0.96 against a nominal 0.95
    assert 0.85 <= summary["coverage"] <= 1.0
    assert summary["mase_model"] == pytest.approx(per_origin["mase_model"].mean())


def test_backtest_too_short_is_a_clear_error():
    with pytest.raises(ValueError, match="too short for 8 origins"):
        rolling_origin_backtest(SIMULATED.iloc[:150], DailyBookingsForecaster)


# ------------------------------------------------------------------------ bad input


def _series(values, index=None) -> pd.Series:
    if index is None:
        index = pd.date_range("2025-01-01", periods=len(values), freq="D")
    return pd.Series(values, index=index, dtype=float)


GOOD = HISTORY.iloc[:70]


@pytest.mark.parametrize(
    ("series", "message"),
    [
        (pd.Series([], dtype=float), "empty"),
        (GOOD.iloc[:30], "too short: 30 days, at least 56"),
        (_series([np.nan] + [1.0] * 69), "NaN"),
        (_series([-1.0] + [1.0] * 69), "negative"),
        (_series([1.0] * 70, pd.RangeIndex(70)), "indexed by dates"),
        (_series([1.0] * 70, pd.date_range("2025-01-01", periods=70, freq="W")), "consecutive"),
        (_series([1.0] * 70, pd.date_range("2025-01-01", periods=70, freq="h")), "time of day"),
        (GOOD.drop(GOOD.index[10]), "gaps"),
        (GOOD.iloc[::-1], "sorted"),
        ([1.0] * 70, "pandas Series"),
    ],
)
def test_bad_input_raises_clear_error(series, message):
    with pytest.raises(ValueError, match=message):
        DailyBookingsForecaster().fit(series)


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"horizon": 0}, "horizon"),
        ({"interval": 1.5}, "interval"),
        ({"model": "prophet"}, "model"),
        ({"month_effects": "yes"}, "month_effects"),
    ],
)
def test_bad_parameters_raise_in_fit(params, message):
    model = DailyBookingsForecaster(**params)  # no validation in __init__
    with pytest.raises(ValueError, match=message):
        model.fit(GOOD)


# ------------------------------------------------------------------- monthly model


def simulate_monthly(seed: int, months: int) -> pd.Series:
    rng = np.random.default_rng(seed)
    index = pd.period_range("2023-01", periods=months, freq="M")
    values = 1e6 * np.exp(0.03 * np.arange(months) + rng.normal(0, 0.02, months))
    return pd.Series(values, index=index, name="mrr")


def test_monthly_forecast_continues_growth():
    series = simulate_monthly(seed=0, months=20)
    model = MonthlyForecaster(horizon=3).fit(series)
    predicted = model.predict()
    assert not model.seasonal_
    assert list(predicted.index) == list(pd.period_range("2024-09", periods=3, freq="M"))
    assert (predicted["lower"] < predicted["forecast"]).all()
    assert (predicted["forecast"] < predicted["upper"]).all()
    # true path continues at 3% a month from ~1.8M; a damped trend may lag a little
    truth = 1e6 * np.exp(0.03 * np.arange(20, 23))
    np.testing.assert_allclose(predicted["forecast"], truth, rtol=0.08)


def test_monthly_keeps_month_start_dates_and_seasonal_with_two_years():
    series = simulate_monthly(seed=1, months=26)
    dated = series.set_axis(series.index.to_timestamp())
    model = MonthlyForecaster(horizon=2).fit(dated)
    assert model.seasonal_
    predicted = model.predict()
    assert list(predicted.index) == [pd.Timestamp("2025-03-01"), pd.Timestamp("2025-04-01")]


@pytest.mark.parametrize(
    ("series", "message"),
    [
        (pd.Series([], dtype=float), "empty"),
        (simulate_monthly(0, 5), "too short"),
        (simulate_monthly(0, 12).drop(pd.Period("2023-05", "M")), "consecutive"),
        (
            simulate_monthly(0, 12).set_axis(pd.date_range("2023-01-15", periods=12, freq="D")),
            "month starts",
        ),
        (simulate_monthly(0, 12) * -1, "negative"),
    ],
)
def test_monthly_bad_input(series, message):
    with pytest.raises(ValueError, match=message):
        MonthlyForecaster().fit(series)


# --------------------------------------------------------------------- conventions


@pytest.mark.parametrize(
    ("cls", "params", "data"),
    [
        (
            DailyBookingsForecaster,
            {"horizon": 30, "interval": 0.95, "model": "sarimax", "month_effects": "auto"},
            GOOD,
        ),
        (
            MonthlyForecaster,
            {"horizon": 3, "interval": 0.95, "seasonal": "auto"},
            simulate_monthly(0, 12),
        ),
    ],
)
def test_estimator_conventions(cls, params, data):
    model = cls()
    assert vars(model) == params  # __init__ stores parameters, nothing else
    assert model.get_params() == params
    with pytest.raises(NotFittedError):
        model.predict()
    assert model.fit(data) is model
    learned = [name for name in vars(model) if name not in params]
    assert learned
    assert all(name.endswith("_") for name in learned)


def test_holiday_features_know_argentine_holidays():
    days = pd.date_range("2025-05-24", periods=3, freq="D")  # 25 May: Revolución de Mayo
    frame = holiday_features(days, month_effects=True)
    assert frame["holiday"].tolist() == [0.0, 1.0, 0.0]
    assert frame["holiday_eve"].tolist() == [1.0, 0.0, 0.0]
    assert frame["january"].sum() == 0
    assert dt.date(2025, 5, 25) in {d.date() for d in days[frame["holiday"] == 1]}


def test_month_effects_recovered_with_two_years():
    # January at 70% of demand, December at 120%; 760 days hold two of each month
    rng = np.random.default_rng(0)
    index = pd.date_range("2023-06-01", periods=760, freq="D")
    holiday = holiday_features(index)["holiday"].to_numpy()
    mu = (
        200.0
        * WEEKLY[index.day_of_week]
        * np.where(holiday == 1, HOLIDAY_RATIO, 1.0)
        * np.where(index.month == 1, 0.7, 1.0)
        * np.where(index.month == 12, 1.2, 1.0)
        * np.exp(rng.normal(0.0, 0.1, len(index)))
    )
    series = pd.Series(rng.poisson(mu).astype(float), index=index)
    model = DailyBookingsForecaster(horizon=60).fit(series)
    assert model.exog_names_ == ["holiday", "holiday_eve", "january", "december"]
    # seeds 0-3 gave january in [-0.39, -0.34], december in [0.175, 0.193]
    assert model.params_["january"] == pytest.approx(math.log(0.7), abs=0.1)
    assert model.params_["december"] == pytest.approx(math.log(1.2), abs=0.1)
    predicted = model.predict()["forecast"]  # July and August 2025
    assert len(predicted) == 60
    assert DailyBookingsForecaster().fit(series.iloc[:400]).exog_names_ == [
        "holiday",
        "holiday_eve",
    ]


@pytest.mark.parametrize("model", ["sarimax", "ets"])
def test_constant_series_forecasts_its_value(model):
    # a tenant with no bookings for months: nothing to estimate, no crash
    series = _series([0.0] * 60)
    fitted_model = DailyBookingsForecaster(horizon=5, model=model).fit(series)
    assert fitted_model.method_ == "constant"
    predicted = fitted_model.predict()
    assert (predicted.to_numpy() == 0.0).all()
    assert len(predicted) == 5


def test_sarimax_failure_falls_back_to_ets_with_a_warning(monkeypatch):
    import core.models.forecast.daily as forecast

    class Failing:
        def __init__(self, *args, **kwargs):
            raise np.linalg.LinAlgError("Schur decomposition solver error.")

    monkeypatch.setattr(forecast, "SARIMAX", Failing)
    with pytest.warns(RuntimeWarning, match="fitted ETS instead"):
        model = DailyBookingsForecaster(horizon=7).fit(GOOD)
    assert model.method_ == "ets"
    assert model.exog_names_ == []
    assert len(model.predict()) == 7
