"""Constant pesos: restate ARS amounts of any month in pesos of a chosen base month.

The CPI table (``console_cpi_monthly``) holds a price level per month; an amount of
month m in constant ARS of month b is ``amount × CPI(b) / CPI(m)``.

Months outside the table are never silently flat:

* after its last month, the level is the last level compounded at an assumed monthly
  rate, the compound (geometric) average of the table's last ``PROJECTION_WINDOW``
  monthly changes (fewer when the table is shorter; 0 % for a one-month table);
* before its first month, the level is the first month's (no inflation is counted).

``cpi_projection`` says which months of a frame were so treated and under which
assumption, and ``projection_notes`` turns that into captions a page shows under its
constant-ARS figures. A month inside the table that has no row (a gap) takes the level
of the month before it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from core.formatting import format_percent
from core.i18n import N_, translator

# The number of monthly changes, ending at the table's last month, whose compound
# average is the assumed inflation of the months after it.
PROJECTION_WINDOW = 3

AFTER_NOTE = N_(
    "Months after {last} are projected at {rate} a month (the average of the last 3 "
    "months of the CPI table)."
)
AFTER_NOTE_SHORT = N_(
    "Months after {last} are projected at {rate} a month (the average monthly inflation "
    "of the CPI table from {first} to {last})."
)
AFTER_NOTE_FLAT = N_(
    "Months after {last} are restated at the prices of {last}: the CPI table has a single "
    "month, so no inflation can be projected."
)
BEFORE_NOTE = N_(
    "Months before {first} are before the CPI table and are restated at its first month "
    "({first}): no inflation is counted for them."
)


@dataclass(frozen=True)
class Projection:
    """Which months of a frame lie outside the CPI table, and how they were restated."""

    first_month: date  # the table's first month
    last_month: date  # the table's last month
    monthly_rate: float  # assumed inflation per month after the table (0.021 = 2.1 %)
    averaged: tuple[date, ...]  # the months whose changes give the rate, oldest first
    after: tuple[date, ...]  # months of the frame after the table: projected
    before: tuple[date, ...]  # months of the frame before the table: at its first level


@dataclass(frozen=True)
class _Table:
    months: np.ndarray  # datetime64[M], ascending
    levels: np.ndarray
    rate: float
    averaged: tuple[date, ...]


def month_start(values: pd.Series) -> pd.Series:
    """First day of each value's month (dates, datetimes or ``YYYY-MM`` strings)."""
    return pd.to_datetime(values).dt.to_period("M").dt.to_timestamp()


def _as_months(values: pd.Series) -> np.ndarray:
    return month_start(values).to_numpy(dtype="datetime64[ns]").astype("datetime64[M]")


def _to_date(month: np.datetime64) -> date:
    return pd.Timestamp(month).date()


def _table(cpi: pd.DataFrame) -> _Table:
    if cpi.empty:
        raise ValueError("the CPI table is empty: load or upload a CPI series first")
    table = cpi.assign(month=month_start(cpi["month"])).sort_values("month")
    if (table["index_value"] <= 0).any():
        raise ValueError("the CPI table has a non-positive index value")
    months = _as_months(table["month"])
    levels = table["index_value"].to_numpy(dtype=float)
    start = max(0, len(levels) - 1 - PROJECTION_WINDOW)
    span = int((months[-1] - months[start]).astype(int))
    if span == 0:
        return _Table(months, levels, 0.0, ())
    # The compound average monthly change from ``start`` to the last month: with one row
    # a month, the geometric mean of the last PROJECTION_WINDOW monthly changes.
    rate = float((levels[-1] / levels[start]) ** (1.0 / span) - 1.0)
    averaged = tuple(_to_date(months[-1] - k) for k in reversed(range(span)))
    return _Table(months, levels, rate, averaged)


def _levels(table: _Table, at: np.ndarray) -> np.ndarray:
    position = np.searchsorted(table.months, at, side="right") - 1
    known = table.levels[np.clip(position, 0, len(table.levels) - 1)]
    ahead = np.maximum((at - table.months[-1]).astype(int), 0)
    return known * (1.0 + table.rate) ** ahead


def cpi_factors(months: pd.Series, base_month: date, cpi: pd.DataFrame) -> np.ndarray:
    """CPI(base) / CPI(month) for each entry of ``months``.

    ``cpi`` has columns ``month`` (first day of the month) and ``index_value`` (> 0).
    Months after the table (the base month too) are projected, months before it take its
    first level (see the module's docstring and ``cpi_projection``).
    Raises ValueError when the table is empty or has a non-positive index.
    """
    table = _table(cpi)
    base = _as_months(pd.Series([base_month]))
    return _levels(table, base)[0] / _levels(table, _as_months(months))


def cpi_projection(months: pd.Series, cpi: pd.DataFrame) -> Projection | None:
    """The months of ``months`` outside the CPI table and the assumption used for them;
    None when every month is in the table's range (or the table is empty)."""
    if cpi.empty or months.empty:
        return None
    table = _table(cpi)
    wanted = np.unique(_as_months(months.dropna()))
    after = tuple(_to_date(m) for m in wanted if m > table.months[-1])
    before = tuple(_to_date(m) for m in wanted if m < table.months[0])
    if not after and not before:
        return None
    return Projection(
        first_month=_to_date(table.months[0]),
        last_month=_to_date(table.months[-1]),
        monthly_rate=table.rate,
        averaged=table.averaged,
        after=after,
        before=before,
    )


def projection_notes(projection: Projection | None, *, locale: str) -> list[str]:
    """Captions stating how the months outside the CPI table were restated."""
    if projection is None:
        return []
    _ = translator(locale)
    notes: list[str] = []
    last = projection.last_month.strftime("%Y-%m")
    if projection.after:
        rate = format_percent(projection.monthly_rate, locale=locale)
        if not projection.averaged:
            notes.append(_(AFTER_NOTE_FLAT).format(last=last))
        elif len(projection.averaged) == PROJECTION_WINDOW:
            notes.append(_(AFTER_NOTE).format(last=last, rate=rate))
        else:
            first = projection.averaged[0].strftime("%Y-%m")
            notes.append(_(AFTER_NOTE_SHORT).format(last=last, rate=rate, first=first))
    if projection.before:
        notes.append(_(BEFORE_NOTE).format(first=projection.first_month.strftime("%Y-%m")))
    return notes


def constant_ars_notes(
    start: date, end: date, base_month: date | None, cpi: pd.DataFrame | None, *, locale: str
) -> list[str]:
    """The captions a page in constant ARS of ``base_month`` shows for the period
    ``start``..``end`` (its months and the base month) when some lie outside the table;
    none in nominal ARS or without a table."""
    if base_month is None or cpi is None or cpi.empty:
        return []
    months = pd.Series(pd.period_range(start, max(start, end), freq="M").to_timestamp())
    months = pd.concat([months, pd.Series([pd.Timestamp(base_month)])], ignore_index=True)
    return projection_notes(cpi_projection(months, cpi), locale=locale)


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
