"""BarberPro's own plan prices, raised for inflation at the start of every quarter."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from core.inflation.reference import cpi_index
from data.generation.context import Calendar, to_day

# Monthly list prices (ARS) in force for the quarter that starts in April 2025.
PLAN_PRICES = {"basico": 19_900, "profesional": 39_900, "premium": 64_900, "cadena": 59_900}
CADENA_PER_EXTRA_LOCATION = 29_900
PRICE_BASE_MONTH = "2025-03"  # prices of a quarter follow CPI up to the month before it
FIRST_YEAR = 2010  # before the CPI series starts, its first month is repeated
PLAN_TIER = {"basico": "starter", "profesional": "pro", "premium": "pro", "cadena": "enterprise"}


def _charm_round(value: float) -> float:
    """Round up to a price that ends in 900 (or 90, 9 for the old small prices)."""
    step = 1000 if value >= 10_000 else 100 if value >= 1_000 else 10
    return math.ceil(value / step) * step - step / 10


@dataclass(frozen=True)
class PlanPrices:
    quarter_day: np.ndarray  # day number on which each quarter's prices start
    level: np.ndarray  # CPI level each quarter's prices follow (PRICE_BASE_MONTH = 1)
    months: list[str]  # YYYY-MM of each quarter start

    def quarter_of(self, day: int) -> int:
        return max(0, int(np.searchsorted(self.quarter_day, day, side="right") - 1))

    def price(self, plan: str, n_locations: int, day: int) -> float:
        """Monthly fee of ``plan`` for a tenant with ``n_locations`` on ``day``."""
        level = float(self.level[self.quarter_of(day)])
        base = PLAN_PRICES[plan] * level
        if plan == "cadena":
            extra = CADENA_PER_EXTRA_LOCATION * level * max(0, n_locations - 1)
            return _charm_round(base) + _charm_round(extra) if extra else _charm_round(base)
        return _charm_round(base)

    def shock_in_month(self, month: str) -> float:
        """Relative list-price increase that took effect in ``month`` (0 if none)."""
        if month not in self.months:
            return 0.0
        i = self.months.index(month)
        return 0.0 if i == 0 else float(self.level[i] / self.level[i - 1] - 1)

    def updates_between(self, lo: int, hi: int) -> np.ndarray:
        """Days of the price updates strictly after ``lo`` and strictly before ``hi``."""
        q = self.quarter_day
        return q[(q > lo) & (q < hi)]


def plan_price_table(cal: Calendar) -> PlanPrices:
    """Quarterly plan price levels from ``FIRST_YEAR`` to the end of the horizon."""
    months, days, previous = [], [], []
    for year in range(FIRST_YEAR, cal.horizon_end.year + 1):
        for month in (1, 4, 7, 10):
            key = f"{year}-{month:02d}"
            prev = f"{year - 1}-12" if month == 1 else f"{year}-{month - 1:02d}"
            months.append(key)
            previous.append(prev)
            days.append(to_day(np.datetime64(key + "-01", "D")))
    level = cpi_index(previous, PRICE_BASE_MONTH)
    return PlanPrices(np.array(days, dtype=np.int64), level, months)


def tenant_price_factors(
    signup_day: np.ndarray, reprice_every: np.ndarray, reprice_phase: np.ndarray, cal: Calendar
) -> np.ndarray:
    """Factor from each tenant's list prices at signup to what it charges in each month.

    Shops do not reprice every day: each tenant catches up with inflation every one to
    three months (its own rhythm), so charged prices move in steps that follow CPI.

    Returns
    -------
    numpy.ndarray
        ``(tenants, len(cal.months))`` multipliers on the services' ``price_ars``.
    """
    ordinal = np.array([int(m[:4]) * 12 + int(m[5:7]) - 1 for m in cal.months])
    signup_month = signup_day.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)
    signup_ord = signup_month + 1970 * 12
    every = reprice_every[:, None]
    # The latest repricing month at or before each month, never before signup.
    last = ordinal[None, :] - ((ordinal[None, :] - reprice_phase[:, None]) % every)
    last = np.maximum(last, signup_ord[:, None])
    # Repricing in month m follows CPI up to the end of the month before.
    lo = int(min(last.min(), signup_ord.min())) - 1
    hi = int(max(last.max(), signup_ord.max()))
    keys = [f"{o // 12}-{o % 12 + 1:02d}" for o in range(lo, hi + 1)]
    level = cpi_index(keys, keys[0])
    return level[last - 1 - lo] / level[signup_ord[:, None] - 1 - lo]
