"""The stored forecast tables (core/metrics/frames/forecasts.py): series cut from the daily
frame, bands that cover simulated truth at about their nominal rate, the monthly
backtest by hand, and the once-a-day refit."""

from __future__ import annotations

from datetime import date, timedelta
from typing import ClassVar

import numpy as np
import pandas as pd
import pytest

from core.metrics.frames import forecasts
from core.models.forecast.backtest import monthly_rolling_origin_backtest
from core.reference.holiday_calendar import holiday_features

WEEKLY = np.log1p(np.array([300, 520, 560, 600, 700, 820, 60], dtype=float))  # Mon..Sun


def simulate(days: pd.DatetimeIndex, rng: np.random.Generator) -> np.ndarray:
    """Daily bookings: weekly profile x holiday dip x AR(1) noise on the log scale."""
    ar = np.zeros(len(days))
    noise = rng.normal(0, 0.12, len(days))
    for t in range(1, len(days)):
        ar[t] = 0.5 * ar[t - 1] + noise[t]
    holiday = holiday_features(days)["holiday"].to_numpy()
    log = WEEKLY[days.day_of_week] - 1.2 * holiday + ar
    return np.round(np.expm1(log))


def daily_frame(days: pd.DatetimeIndex, bookings: np.ndarray) -> pd.DataFrame:
    n = len(days)
    return pd.DataFrame(
        {
            "day": days.date,
            "bookings": bookings,
            "gmv_ars": bookings * 15_000.0,
            "mrr_ars": np.linspace(1e6, 1.5e6, n),
        }
    )


def test_stored_bands_cover_simulated_truth_at_about_the_nominal_rate(monkeypatch):
    # one fit per series (no backtest) keeps this to a few seconds
    monkeypatch.setattr(forecasts, "DAILY_ORIGINS", 1)
    rng = np.random.default_rng(17)
    inside = {"80": [], "95": []}
    for k in range(8):
        as_of = date(2025, 3, 1) + timedelta(days=23 * k)
        days = pd.date_range(as_of - timedelta(days=300), as_of + timedelta(days=29), freq="D")
        values = simulate(days, rng)
        past = days < pd.Timestamp(as_of)
        frames = forecasts.forecast_frames(daily_frame(days[past], values[past]), as_of)
        band = frames["forecast_bookings_daily"]
        assert list(band["day"]) == list(days[~past].date)
        truth = values[~past]
        for level in inside:
            low, high = band[f"lower_{level}"].to_numpy(), band[f"upper_{level}"].to_numpy()
            inside[level].extend((truth >= low) & (truth <= high))
    coverage = {level: float(np.mean(v)) for level, v in inside.items()}
    # 240 days in 8 series, correlated within a series: generous but meaningful bounds
    assert 0.86 <= coverage["95"] <= 1.0, coverage
    assert 0.65 <= coverage["80"] <= 0.95, coverage
    assert coverage["80"] < coverage["95"]


def test_series_are_cut_from_complete_days_and_months():
    days = pd.date_range("2025-01-15", "2025-11-20", freq="D")
    daily = daily_frame(days, np.full(len(days), 10.0))
    as_of = date(2025, 11, 20)
    bookings = forecasts.daily_bookings_series(daily, as_of)
    assert bookings.index[-1] == pd.Timestamp("2025-11-19")  # today is still filling up
    assert bookings.index[0] == pd.Timestamp("2025-01-15")
    monthly = forecasts.monthly_series(daily, as_of)
    # January starts mid-month and November is running: February..October remain
    assert [str(p) for p in monthly["gmv"].index] == [f"2025-{m:02d}" for m in range(2, 11)]
    assert monthly["gmv"].iloc[0] == 28 * 10 * 15_000.0
    mrr_end_of_feb = daily.loc[daily["day"] == date(2025, 2, 28), "mrr_ars"].iloc[0]
    assert monthly["mrr"].iloc[0] == pytest.approx(mrr_end_of_feb)


def test_short_history_stores_a_reason_instead_of_a_forecast():
    days = pd.date_range("2025-10-01", "2025-11-10", freq="D")
    frames = forecasts.forecast_frames(
        daily_frame(days, np.full(len(days), 5.0)), date(2025, 11, 11)
    )
    assert frames["forecast_bookings_daily"].empty and frames["forecast_monthly"].empty
    accuracy = frames["forecast_accuracy"]
    notes = dict(zip(accuracy["series"], accuracy["note"], strict=True))
    assert "56 complete days" in notes["bookings"]
    assert "8 complete months" in notes["mrr"]


class Exact:
    """A 'model' that knows the future of a straight line, with a ±1 interval."""

    def __init__(self, horizon: int) -> None:
        self.horizon = horizon

    def fit(self, series: pd.Series) -> Exact:
        self.last_ = float(series.iloc[-1])
        self.index_ = series.index
        return self

    def predict(self) -> pd.DataFrame:
        future = self.last_ + 10.0 * np.arange(1, self.horizon + 1)
        return pd.DataFrame({"forecast": future, "lower": future - 1, "upper": future + 1})


def test_monthly_backtest_by_hand():
    months = pd.period_range("2024-01", periods=14, freq="M")
    line = pd.Series(100.0 + 10.0 * np.arange(14), index=months)
    per_origin, summary = monthly_rolling_origin_backtest(
        line, lambda: Exact(3), horizon=3, origins=4
    )
    # naive repeats the last month: errors 10, 20, 30 over an in-sample step of 10
    assert summary["mase_naive"] == pytest.approx(2.0)
    assert summary["mase_model"] == 0.0 and summary["coverage"] == 1.0
    assert summary["origins"] == 4 and list(per_origin["train_months"]) == [8, 9, 10, 11]
    with pytest.raises(ValueError, match="too short"):
        monthly_rolling_origin_backtest(line, lambda: Exact(3), horizon=3, origins=5)


def test_forecasts_refit_once_a_day(monkeypatch):
    days = pd.date_range("2025-01-01", "2025-09-30", freq="D")
    daily = daily_frame(days, simulate(days, np.random.default_rng(3)))

    class Snapshot:
        frames: ClassVar[dict[str, pd.DataFrame]] = {"daily": daily}

    stored: dict[str, pd.DataFrame] = {}
    calls: list[date] = []
    real = forecasts.forecast_frames

    def counting(frame: pd.DataFrame, as_of: date) -> dict[str, pd.DataFrame]:
        calls.append(as_of)
        return real(frame, as_of)

    monkeypatch.setattr(forecasts, "DAILY_ORIGINS", 1)
    monkeypatch.setattr(forecasts, "forecast_frames", counting)
    monkeypatch.setattr(forecasts, "load_latest_snapshot", lambda session: Snapshot())
    monkeypatch.setattr(forecasts, "previous_detail_frames", lambda session, names: stored)
    first = forecasts.compute_forecast_frames(None, date(2025, 9, 20))  # type: ignore[arg-type]
    stored.update(first)
    again = forecasts.compute_forecast_frames(None, date(2025, 9, 20))  # type: ignore[arg-type]
    assert calls == [date(2025, 9, 20)] and again is stored
    forecasts.compute_forecast_frames(None, date(2025, 9, 21))  # type: ignore[arg-type]
    assert calls == [date(2025, 9, 20), date(2025, 9, 21)]


def test_monthly_seasonality_can_be_turned_off():
    from core.models.forecast.monthly import MonthlyForecaster

    months = pd.period_range("2023-01", periods=30, freq="M")
    rng = np.random.default_rng(5)
    series = pd.Series(1e6 * 1.02 ** np.arange(30) * rng.lognormal(0, 0.02, 30), index=months)
    assert MonthlyForecaster().fit(series).seasonal_ is True
    assert MonthlyForecaster(seasonal=False).fit(series).seasonal_ is False
    with pytest.raises(ValueError, match="seasonal must be"):
        MonthlyForecaster(seasonal="yearly").fit(series)
    assert forecasts.SEASONAL == {"mrr": False, "gmv": "auto"}
