"""Constant pesos: restate ARS amounts of any month in pesos of a chosen base month.

The CPI table (``console_cpi_monthly``) holds a price level per month; an amount of
month m in constant ARS of month b is ``amount × CPI(b) / CPI(m)``. Months outside the
table use its nearest month (the first before it starts, the last after it ends), so a
chart never loses points because the table is a month behind.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd


def month_start(values: pd.Series) -> pd.Series:
    """First day of each value's month (dates, datetimes or ``YYYY-MM`` strings)."""
    return pd.to_datetime(values).dt.to_period("M").dt.to_timestamp()


def cpi_factors(months: pd.Series, base_month: date, cpi: pd.DataFrame) -> np.ndarray:
    """CPI(base) / CPI(month) for each entry of ``months``.

    ``cpi`` has columns ``month`` (first day of the month) and ``index_value`` (> 0).
    Raises ValueError when the table is empty or has a non-positive index.
    """
    if cpi.empty:
        raise ValueError("the CPI table is empty: load or upload a CPI series first")
    table = cpi.assign(month=month_start(cpi["month"])).sort_values("month")
    if (table["index_value"] <= 0).any():
        raise ValueError("the CPI table has a non-positive index value")
    keys = table["month"].to_numpy(dtype="datetime64[ns]")
    levels = table["index_value"].to_numpy(dtype=float)

    def level(at: np.ndarray) -> np.ndarray:
        position = np.searchsorted(keys, at, side="right") - 1
        return levels[np.clip(position, 0, len(levels) - 1)]

    wanted = month_start(months).to_numpy(dtype="datetime64[ns]")
    base = np.array([np.datetime64(pd.Timestamp(base_month).to_period("M").to_timestamp())])
    return level(base)[0] / level(wanted)


def to_constant_ars(
    frame: pd.DataFrame,
    columns: list[str],
    *,
    month_column: str,
    base_month: date | None,
    cpi: pd.DataFrame,
) -> pd.DataFrame:
    """``frame`` with ``columns`` restated in ARS of ``base_month`` (unchanged when None)."""
    if base_month is None or frame.empty:
        return frame
    factors = cpi_factors(frame[month_column], base_month, cpi)
    return frame.assign(
        **{column: frame[column].to_numpy(dtype=float) * factors for column in columns}
    )
