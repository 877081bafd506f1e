"""An APPROXIMATE monthly Argentine consumer-price inflation series (% per month).

Values up to mid-2025 follow the published INDEC national CPI to about a tenth of a
point; later months are a rounded approximation, and months past the series repeat its
last value. Good enough to make demo prices move like Argentine prices; not a source
for anything else.
"""

from __future__ import annotations

from datetime import date

import numpy as np

APPROXIMATE = True

_YEARS: dict[int, tuple[float, ...]] = {
    2016: (4.1, 4.0, 3.3, 6.7, 4.2, 3.1, 2.0, 0.2, 1.1, 2.4, 1.6, 1.2),
    2017: (1.6, 2.1, 2.4, 2.6, 1.3, 1.2, 1.7, 1.4, 1.9, 1.5, 1.4, 3.1),
    2018: (1.8, 2.4, 2.3, 2.7, 2.1, 3.7, 3.1, 3.9, 6.5, 5.4, 3.2, 2.6),
    2019: (2.9, 3.8, 4.7, 3.4, 3.1, 2.7, 2.2, 4.0, 5.9, 3.3, 4.3, 3.7),
    2020: (2.3, 2.0, 3.3, 1.5, 1.5, 2.2, 1.9, 2.7, 2.8, 3.8, 3.2, 4.0),
    2021: (4.0, 3.6, 4.8, 4.1, 3.3, 3.2, 3.0, 2.5, 3.5, 3.5, 2.5, 3.8),
    2022: (3.9, 4.7, 6.7, 6.0, 5.1, 5.3, 7.4, 7.0, 6.2, 6.3, 4.9, 5.1),
    2023: (6.0, 6.6, 7.7, 8.4, 7.8, 6.0, 6.3, 12.4, 12.7, 8.3, 12.8, 25.5),
    2024: (20.6, 13.2, 11.0, 8.8, 4.2, 4.6, 4.0, 4.2, 3.5, 2.7, 2.4, 2.7),
    2025: (2.2, 2.4, 3.7, 2.8, 1.5, 1.6, 1.9, 1.9, 2.1, 2.3, 2.5, 2.8),
    2026: (2.9, 2.7, 2.5, 2.4, 2.3, 2.2, 2.1, 2.1, 2.0, 2.1, 2.0, 2.2),
}

MONTHLY_CPI_PCT: dict[str, float] = {
    f"{year}-{month:02d}": value
    for year, values in _YEARS.items()
    for month, value in enumerate(values, start=1)
}
FIRST_MONTH = min(MONTHLY_CPI_PCT)
LAST_MONTH = max(MONTHLY_CPI_PCT)


def month_key(day: date) -> str:
    """``YYYY-MM`` of a date."""
    return f"{day.year}-{day.month:02d}"


def monthly_inflation(month: str) -> float:
    """Inflation of one ``YYYY-MM`` month as a fraction (0.025 = 2.5 %), clamped to the series."""
    if month < FIRST_MONTH:
        month = FIRST_MONTH
    elif month > LAST_MONTH:
        month = LAST_MONTH
    return MONTHLY_CPI_PCT[month] / 100.0


def _month_ordinal(month: str) -> int:
    return int(month[:4]) * 12 + int(month[5:7]) - 1


def cpi_index(months: list[str] | np.ndarray, base: str) -> np.ndarray:
    """Price level at the END of each month relative to the end of ``base`` (base = 1.0).

    Parameters
    ----------
    months
        ``YYYY-MM`` keys, in any order.
    base
        The month whose closing price level is 1.0.

    Returns
    -------
    numpy.ndarray
        One float per month: the compounded inflation between ``base`` and that month.
    """
    ordinals = np.array([_month_ordinal(str(m)) for m in months], dtype=np.int64)
    base_ord = _month_ordinal(base)
    lo = int(min(ordinals.min(initial=base_ord), base_ord))
    hi = int(max(ordinals.max(initial=base_ord), base_ord))
    keys = [f"{o // 12}-{o % 12 + 1:02d}" for o in range(lo, hi + 1)]
    log_level = np.cumsum(np.log1p([monthly_inflation(k) for k in keys]))
    log_level -= log_level[base_ord - lo]
    return np.exp(log_level[ordinals - lo])
