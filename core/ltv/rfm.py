"""Transactions to the recency-frequency-monetary summary the LTV models are fitted on."""

from __future__ import annotations

from numbers import Real
from typing import Any

import numpy as np
import pandas as pd

REQUIRED_COLUMNS = ("customer_id", "date", "amount")


def rfm_summary(
    transactions: pd.DataFrame,
    calibration_end: Any,
    time_unit_days: float = 7,
) -> pd.DataFrame:
    """Summarise each customer's purchases up to ``calibration_end``.

    Work is at the granularity of calendar days: purchases on the same day are one
    purchase (their amounts are added), ``calibration_end`` is taken as a day and every
    transaction on or before that day counts. Later transactions are ignored.
    Timezone-aware dates are read in their own local wall time.

    Parameters
    ----------
    transactions : pandas.DataFrame
        One row per transaction with columns ``customer_id``, ``date`` (anything
        ``pandas.to_datetime`` reads) and ``amount`` (non-negative). Other columns are
        ignored.
    calibration_end : date-like
        Last day of the observation (calibration) period.
    time_unit_days : float, default 7
        Length of one time unit in days; ``recency`` and ``T`` are in these units
        (7 gives fractional weeks).

    Returns
    -------
    pandas.DataFrame
        Indexed by ``customer_id`` (sorted), with columns:

        - ``frequency`` : number of distinct purchase days after the first (int).
        - ``recency`` : time from the first to the last purchase day.
        - ``T`` : time from the first purchase day to ``calibration_end``.
        - ``monetary_value`` : mean daily spend over the repeat purchase days (the
          first day excluded); 0 when ``frequency`` is 0.

    Raises
    ------
    ValueError
        If ``transactions`` is empty or not a DataFrame, misses a column, has missing
        customer ids, dates or amounts, non-numeric or negative amounts, if
        ``calibration_end`` is not a date, if ``time_unit_days`` is not a positive
        number, or if every transaction is after ``calibration_end`` (nothing to
        summarise).
    """
    unit = _check_time_unit(time_unit_days)
    _check_frame(transactions)
    days, end = _local_days(transactions["date"], calibration_end)
    amounts = _check_amounts(transactions["amount"])

    frame = pd.DataFrame(
        {
            "customer_id": transactions["customer_id"].to_numpy(),
            "day": days.to_numpy(),
            "amount": amounts,
        }
    )
    frame = frame[frame["day"] <= end]
    if frame.empty:
        raise ValueError(
            f"every transaction is after calibration_end {end.date()}; nothing to summarise."
        )

    daily = frame.groupby(["customer_id", "day"], sort=True, as_index=False)["amount"].sum()
    by_customer = daily.groupby("customer_id", sort=True)
    first = by_customer["day"].min()
    last = by_customer["day"].max()
    repeat_days = daily[by_customer.cumcount() > 0]
    monetary = repeat_days.groupby("customer_id")["amount"].mean().reindex(first.index)

    one_unit = pd.Timedelta(days=1) * unit
    summary = pd.DataFrame(
        {
            "frequency": (by_customer.size() - 1).astype("int64"),
            "recency": (last - first) / one_unit,
            "T": (end - first) / one_unit,
            "monetary_value": monetary.fillna(0.0).astype("float64"),
        }
    )
    summary.index.name = "customer_id"
    return summary


def _check_time_unit(time_unit_days: Any) -> float:
    if isinstance(time_unit_days, bool) or not isinstance(time_unit_days, Real):
        raise ValueError(f"time_unit_days must be a positive number, got {time_unit_days!r}.")
    unit = float(time_unit_days)
    if not np.isfinite(unit) or unit <= 0:
        raise ValueError(f"time_unit_days must be a positive number, got {time_unit_days!r}.")
    return unit


def _check_frame(transactions: Any) -> None:
    if not isinstance(transactions, pd.DataFrame):
        raise ValueError(
            f"transactions must be a pandas DataFrame, got {type(transactions).__name__}."
        )
    missing = [c for c in REQUIRED_COLUMNS if c not in transactions.columns]
    if missing:
        raise ValueError(
            f"transactions is missing column(s) {missing}; it needs {list(REQUIRED_COLUMNS)}."
        )
    if transactions.empty:
        raise ValueError("transactions is empty; there is nothing to summarise.")
    if transactions["customer_id"].isna().any():
        raise ValueError("transactions column 'customer_id' has missing values.")


def _check_amounts(amount: pd.Series) -> np.ndarray:
    if pd.api.types.is_bool_dtype(amount):
        raise ValueError("transactions column 'amount' must be numeric.")
    try:
        values = pd.to_numeric(amount, errors="raise").to_numpy(dtype=float, na_value=np.nan)
    except (TypeError, ValueError):
        raise ValueError("transactions column 'amount' must be numeric.") from None
    if not np.all(np.isfinite(values)):
        raise ValueError("transactions column 'amount' has missing or infinite values.")
    if np.any(values < 0):
        raise ValueError("transactions column 'amount' has negative values.")
    return values


def _local_days(dates: pd.Series, calibration_end: Any) -> tuple[pd.Series, pd.Timestamp]:
    """Transaction days and the calibration day, both as timezone-naive midnights."""
    try:
        parsed = pd.to_datetime(dates, errors="raise")
    except (TypeError, ValueError, OverflowError):
        raise ValueError("transactions column 'date' has values that are not dates.") from None
    if parsed.isna().any():
        raise ValueError("transactions column 'date' has missing values.")
    try:
        end = pd.Timestamp(calibration_end)
    except (TypeError, ValueError):
        raise ValueError(f"calibration_end must be a date, got {calibration_end!r}.") from None
    if pd.isna(end):
        raise ValueError(f"calibration_end must be a date, got {calibration_end!r}.")
    zone = parsed.dt.tz
    if end.tz is not None and zone is not None:
        end = end.tz_convert(zone)
    if end.tz is not None:
        end = end.tz_localize(None)
    if zone is not None:
        parsed = parsed.dt.tz_localize(None)
    return parsed.dt.normalize(), end.normalize()
