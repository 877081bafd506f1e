"""Forecasts for the Executive and Bookings dashboards, and how accurate they have been.

Run by the detail job (never on the render path). From the newest metrics snapshot's
platform ``daily`` frame:

- ``forecast_bookings_daily``: bookings per day for the next ``DAILY_HORIZON`` days, from
  today, with 80 % and 95 % prediction intervals (SARIMAX with weekly seasonality and
  Argentine holidays, ``core.models.forecast.daily.DailyBookingsForecaster``), fitted on the
  complete days before today (at most ``TRAIN_DAYS``).
- ``forecast_monthly``: MRR (value on the month's last day) and GMV (month total) for
  the ``MONTHLY_HORIZON`` months after the last complete one (damped-trend ETS).
- ``forecast_accuracy``: per series, the rolling-origin backtest (MASE and sMAPE of the
  model and of the seasonal-naive forecast, interval coverage, number of origins), so a
  page shows the accuracy next to the band.

A series too short to fit gets no forecast rows and an accuracy row saying why.
Also ``overview_tenants_at_risk``: the churn model's newest scores when that model exists.
"""

from __future__ import annotations

import logging
import time
from datetime import date
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy.orm import Session

from core.i18n import N_
from core.metrics.detail import FrameProvider
from core.metrics.frames.bookings import previous_detail_frames
from core.metrics.frames.churn_retention import churn_scores_written_at
from core.metrics.snapshots import load_latest_snapshot
from core.models.forecast.backtest import monthly_rolling_origin_backtest, rolling_origin_backtest
from core.models.forecast.daily import DailyBookingsForecaster
from core.models.forecast.monthly import MonthlyForecaster
from core.models.forecast.series import MIN_DAILY_DAYS, MIN_MONTHS

log = logging.getLogger(__name__)

DAILY_HORIZON = 30
MONTHLY_HORIZON = 3
TRAIN_DAYS = 730  # bounds the fit time: two years are plenty for a weekly model
LEVELS = (0.80, 0.95)
# Backtest: origins two weeks apart, each forecasting the same 30 days the page shows.
DAILY_ORIGINS, DAILY_STEP = 6, 14
MONTHLY_ORIGINS = 4
# A yearly cycle only for GMV (the January dip): MRR moves by sign-ups, churn and price
# updates, and a seasonal term made its backtest worse than the naive forecast.
SEASONAL: dict[str, bool | str] = {"mrr": False, "gmv": "auto"}
NAIVE_DAILY = N_("seasonal naive (same weekday last week)")
NAIVE_MONTHLY = N_("naive (last month repeated)")

BAND_COLUMNS = ["forecast", "lower_80", "upper_80", "lower_95", "upper_95"]
ACCURACY_COLUMNS = [
    "series",
    "grain",
    "method",
    "horizon",
    "origins",
    "mase_model",
    "mase_naive",
    "smape_model",
    "smape_naive",
    "coverage_95",
    "baseline",
    "train_start",
    "train_end",
    "fit_seconds",
    "note",
]


# ----------------------------------------------------------------------------- series


def daily_bookings_series(daily: pd.DataFrame, as_of: date) -> pd.Series:
    """Bookings per complete day before ``as_of`` (today is still filling up), from the
    first day with any booking, at most ``TRAIN_DAYS`` days, gaps filled with 0."""
    frame = daily.assign(day=pd.to_datetime(daily["day"]))
    frame = frame[frame["day"] < pd.Timestamp(as_of)]
    active = frame[frame["bookings"] > 0]
    if active.empty:
        return pd.Series(dtype=float)
    first = max(active["day"].min(), pd.Timestamp(as_of) - pd.Timedelta(days=TRAIN_DAYS))
    days = pd.date_range(first, pd.Timestamp(as_of) - pd.Timedelta(days=1), freq="D")
    series = frame.set_index("day")["bookings"].reindex(days, fill_value=0).astype(float)
    return series.rename("bookings")


def monthly_series(daily: pd.DataFrame, as_of: date) -> dict[str, pd.Series]:
    """Complete months only: MRR on each month's last day, GMV summed over the month.

    A month counts when its last day is before ``as_of`` and, for GMV, when the data
    covers it from its first day (the first month of a data set is usually partial).
    """
    frame = daily.assign(day=pd.to_datetime(daily["day"])).sort_values("day")
    frame = frame[frame["day"] < pd.Timestamp(as_of)]
    if frame.empty:
        return {"mrr": pd.Series(dtype=float), "gmv": pd.Series(dtype=float)}
    frame["month"] = frame["day"].dt.to_period("M")
    last_complete = pd.Period(as_of, "M") - 1  # the month before as_of's has ended
    grouped = frame.groupby("month")
    mrr = grouped["mrr_ars"].last()
    gmv = grouped["gmv_ars"].sum()
    first_day = grouped["day"].min()
    complete = (first_day.dt.day == 1) & (mrr.index <= last_complete)
    out = {}
    for name, values in (("mrr", mrr), ("gmv", gmv)):
        kept = values[complete].astype(float)
        nonzero = np.flatnonzero(kept.to_numpy() > 0)
        kept = kept.iloc[nonzero[0] :] if len(nonzero) else kept.iloc[0:0]
        out[name] = kept.rename(name)
    return out


# -------------------------------------------------------------------------- forecasts


def _bands(model: Any) -> pd.DataFrame:
    """Point forecast and both intervals from one fitted model."""
    bands = {}
    for level in LEVELS:
        model.set_params(interval=level)
        predicted = model.predict()
        pct = round(level * 100)
        bands[f"lower_{pct}"] = predicted["lower"]
        bands[f"upper_{pct}"] = predicted["upper"]
        bands["forecast"] = predicted["forecast"]
    return pd.DataFrame(bands)[BAND_COLUMNS]


def _accuracy_row(series: str, grain: str, **values: Any) -> dict[str, Any]:
    row: dict[str, Any] = dict.fromkeys(ACCURACY_COLUMNS)
    row.update(series=series, grain=grain, **values)
    return row


def forecast_daily_bookings(series: pd.Series) -> tuple[pd.DataFrame, dict[str, Any]]:
    """The next ``DAILY_HORIZON`` days with both bands, and the backtest summary row."""
    if len(series) < MIN_DAILY_DAYS:
        note = f"needs {MIN_DAILY_DAYS} complete days of history, has {len(series)}"
        return pd.DataFrame(columns=["day", *BAND_COLUMNS]), _accuracy_row(
            "bookings", "day", note=note
        )
    started = time.perf_counter()
    model = DailyBookingsForecaster(horizon=DAILY_HORIZON).fit(series)
    frame = _bands(model).rename_axis("day").reset_index()
    frame["day"] = frame["day"].dt.date
    row = _accuracy_row(
        "bookings",
        "day",
        method=model.method_,
        horizon=DAILY_HORIZON,
        train_start=series.index[0].date(),
        train_end=series.index[-1].date(),
        baseline=NAIVE_DAILY,
    )
    origins = min(DAILY_ORIGINS, (len(series) - DAILY_HORIZON - MIN_DAILY_DAYS) // DAILY_STEP + 1)
    if origins >= 2:
        _, summary = rolling_origin_backtest(
            series,
            lambda: DailyBookingsForecaster(horizon=DAILY_HORIZON, interval=0.95),
            horizon=DAILY_HORIZON,
            origins=origins,
            step=DAILY_STEP,
        )
        row.update(_summary(summary))
    else:
        row["note"] = "too little history for a backtest"
    row["fit_seconds"] = round(time.perf_counter() - started, 2)
    return frame, row


def forecast_monthly_series(name: str, series: pd.Series) -> tuple[pd.DataFrame, dict[str, Any]]:
    """The next ``MONTHLY_HORIZON`` months of one monthly series, and its backtest row."""
    columns = ["series", "month", *BAND_COLUMNS]
    if len(series) < MIN_MONTHS:
        note = f"needs {MIN_MONTHS} complete months of history, has {len(series)}"
        return pd.DataFrame(columns=columns), _accuracy_row(name, "month", note=note)
    started = time.perf_counter()
    seasonal = SEASONAL[name]
    model = MonthlyForecaster(horizon=MONTHLY_HORIZON, seasonal=seasonal).fit(series)
    frame = _bands(model).rename_axis("month").reset_index()
    frame["month"] = frame["month"].dt.to_timestamp().dt.date
    frame.insert(0, "series", name)
    row = _accuracy_row(
        name,
        "month",
        method="ets",
        horizon=MONTHLY_HORIZON,
        train_start=series.index[0].to_timestamp().date(),
        train_end=series.index[-1].to_timestamp().date(),
        baseline=NAIVE_MONTHLY,
    )
    origins = min(MONTHLY_ORIGINS, len(series) - MONTHLY_HORIZON - MIN_MONTHS + 1)
    if origins >= 2:
        _, summary = monthly_rolling_origin_backtest(
            series,
            lambda: MonthlyForecaster(horizon=MONTHLY_HORIZON, interval=0.95, seasonal=seasonal),
            horizon=MONTHLY_HORIZON,
            origins=origins,
        )
        row.update(_summary(summary))
    else:
        row["note"] = "too little history for a backtest"
    row["fit_seconds"] = round(time.perf_counter() - started, 2)
    return frame[columns], row


def _summary(summary: dict[str, float]) -> dict[str, Any]:
    return {
        "origins": int(summary["origins"]),
        "mase_model": summary["mase_model"],
        "mase_naive": summary["mase_naive"],
        "smape_model": summary["smape_model"],
        "smape_naive": summary["smape_naive"],
        "coverage_95": summary["coverage"],
    }


def forecast_frames(daily: pd.DataFrame, as_of: date) -> dict[str, pd.DataFrame]:
    """Every forecast table from a platform daily frame (day, bookings, gmv_ars, mrr_ars)."""
    bookings, bookings_row = forecast_daily_bookings(daily_bookings_series(daily, as_of))
    rows = [bookings_row]
    monthly = []
    for name, series in monthly_series(daily, as_of).items():
        frame, row = forecast_monthly_series(name, series)
        monthly.append(frame)
        rows.append(row)
    accuracy = pd.DataFrame(rows, columns=ACCURACY_COLUMNS)
    for column in ("train_start", "train_end"):
        accuracy[column] = accuracy[column].astype(str).replace("None", "")
    accuracy["note"] = accuracy["note"].fillna("").astype(str)
    accuracy["method"] = accuracy["method"].fillna("").astype(str)
    accuracy["baseline"] = accuracy["baseline"].fillna("").astype(str)
    numeric = ["horizon", "origins", "mase_model", "mase_naive", "smape_model", "smape_naive"]
    accuracy[[*numeric, "coverage_95", "fit_seconds"]] = accuracy[
        [*numeric, "coverage_95", "fit_seconds"]
    ].astype(float)
    non_empty = [frame for frame in monthly if not frame.empty]
    monthly_frame = (
        pd.concat(non_empty, ignore_index=True)
        if non_empty
        else pd.DataFrame(columns=["series", "month", *BAND_COLUMNS])
    )
    for frame in (bookings, monthly_frame):
        frame[BAND_COLUMNS] = frame[BAND_COLUMNS].astype(float)
    return {
        "forecast_bookings_daily": bookings,
        "forecast_monthly": monthly_frame,
        "forecast_accuracy": accuracy,
    }


MODEL_VERSION = 2  # part of the fingerprint: a changed model refits the same day
FORECAST_FRAMES = ("forecast_bookings_daily", "forecast_monthly", "forecast_accuracy")


def _fingerprint(daily: pd.DataFrame, as_of: date) -> str:
    """What the forecasts depend on: the day and the complete days' totals."""
    past = daily[pd.to_datetime(daily["day"]) < pd.Timestamp(as_of)]
    totals = [float(past[c].sum()) for c in ("bookings", "gmv_ars", "mrr_ars") if c in past]
    return f"{as_of.isoformat()}|v{MODEL_VERSION}|{len(past)}|" + "|".join(
        f"{t:.2f}" for t in totals
    )


def compute_forecast_frames(session: Session, as_of: date) -> dict[str, pd.DataFrame]:
    """The forecast tables; refitted once a day (when the complete days change), the
    previous detail snapshot's tables reused in between: the fits and the backtest take
    seconds, and the detail job runs every few minutes."""
    snapshot = load_latest_snapshot(session=session)
    if snapshot is None or "daily" not in snapshot.frames:
        raise ValueError("no metrics snapshot with a daily frame yet")
    daily = snapshot.frames["daily"]
    fingerprint = _fingerprint(daily, as_of)
    previous = previous_detail_frames(session, FORECAST_FRAMES)
    accuracy = previous.get("forecast_accuracy")
    if (
        len(previous) == len(FORECAST_FRAMES)
        and accuracy is not None
        and "fingerprint" in accuracy
        and (accuracy["fingerprint"] == fingerprint).all()
    ):
        return previous
    frames = forecast_frames(daily, as_of)
    frames["forecast_accuracy"]["fingerprint"] = fingerprint
    return frames


# ------------------------------------------------------------------ tenants at risk

RISK_COLUMNS = ["tenant_id", "churn_probability", "scored_at", "drivers_en", "drivers_es_AR"]
RISK_DRIVERS_SHOWN = 2


def compute_risk_frames(session: Session, as_of: date) -> dict[str, pd.DataFrame]:
    """The churn model's newest score per tenant, with its top risk drivers in each
    console language; empty until that model has scored anyone.

    The page ranks them by probability x MRR (the MRR comes from the live snapshot).
    """
    empty = pd.DataFrame(columns=RISK_COLUMNS)
    try:
        from core.models.churn import registry as churn
    except ImportError:  # the churn model is not part of this build
        return {"overview_tenants_at_risk": empty}
    scores = churn.latest_churn_scores(session=session, locale="en")
    if scores is None or len(scores) == 0:
        return {"overview_tenants_at_risk": empty}
    spanish = churn.latest_churn_scores(session=session, locale="es_AR")

    def top(drivers: pd.Series) -> list[str]:
        return ["; ".join(list(d or [])[:RISK_DRIVERS_SHOWN]) for d in drivers]

    frame = pd.DataFrame(
        {
            "tenant_id": scores["tenant_id"].astype("int64"),
            "churn_probability": scores["probability"].astype(float),
            "scored_at": scores["scored_at"].astype(str),
            "drivers_en": top(scores["drivers"]),
        }
    )
    by_tenant = dict(zip(spanish["tenant_id"], top(spanish["drivers"]), strict=True))
    frame["drivers_es_AR"] = frame["tenant_id"].map(by_tenant).fillna(frame["drivers_en"])
    return {"overview_tenants_at_risk": frame[RISK_COLUMNS]}


PROVIDERS = [
    FrameProvider(
        name="forecasts",
        frames=FORECAST_FRAMES,
        compute=compute_forecast_frames,
        description=(
            "30-day platform bookings forecast (SARIMAX, weekly + AR holidays) and 3-month MRR "
            "and GMV forecasts (ETS) with 80/95 % intervals, and their rolling-origin backtest."
        ),
    ),
    FrameProvider(
        name="tenants_at_risk",
        frames=("overview_tenants_at_risk",),
        compute=compute_risk_frames,
        description="Newest churn probability per tenant, for the Executive Overview.",
        inputs_written_at=churn_scores_written_at,
    ),
]
