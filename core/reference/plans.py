"""BarberPro's plan price list: the monthly fee a new subscription starts at.

The same rule as the demo data (``data/generation/pricing.py``): list prices were set for
the quarter that starts in April 2025 and, at the start of every quarter, follow CPI up to
the month before it, rounded up to a price ending in 900. ``cadena`` (chains) adds a fee
per location after the first. A test checks both give the same price on every quarter.
"""

from __future__ import annotations

import math
from datetime import date

from core.inflation.reference import cpi_index

PLANS = ("basico", "profesional", "premium", "cadena")
# Monthly list prices (ARS) in force for the quarter that starts in April 2025.
PLAN_PRICES = {"basico": 19_900, "profesional": 39_900, "premium": 64_900, "cadena": 59_900}
CADENA_PER_EXTRA_LOCATION = 29_900
PRICE_BASE_MONTH = "2025-03"
# The tier each plan belongs to (tiers group plans for reporting).
PLAN_TIER = {"basico": "starter", "profesional": "pro", "premium": "pro", "cadena": "enterprise"}


def charm_round(value: float) -> float:
    """Round up to a price that ends in 900 (or 90, 9 for small prices)."""
    step = 1000 if value >= 10_000 else 100 if value >= 1_000 else 10
    return math.ceil(value / step) * step - step / 10


def quarter_level(day: date) -> float:
    """CPI level (``PRICE_BASE_MONTH`` = 1) that the prices of ``day``'s quarter follow."""
    quarter_month = 3 * ((day.month - 1) // 3) + 1
    previous = f"{day.year - 1}-12" if quarter_month == 1 else f"{day.year}-{quarter_month - 1:02d}"
    return float(cpi_index([previous], PRICE_BASE_MONTH)[0])


def plan_price(plan: str, n_locations: int, day: date) -> float:
    """Monthly fee (ARS) of ``plan`` for a tenant with ``n_locations`` starting on ``day``."""
    if plan not in PLAN_PRICES:
        raise KeyError(plan)
    level = quarter_level(day)
    base = charm_round(PLAN_PRICES[plan] * level)
    if plan == "cadena" and n_locations > 1:
        return base + charm_round(CADENA_PER_EXTRA_LOCATION * level * (n_locations - 1))
    return base
