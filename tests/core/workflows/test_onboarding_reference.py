"""core/reference's plan prices are the ones the demo generator charges.

(data/reference re-exports core/reference's geography, services and inflation tables, so
there is one copy of them and nothing to compare.)
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from core.reference.plans import PLAN_PRICES, PLAN_TIER, plan_price
from data.generation import pricing
from data.generation.context import to_day


@pytest.mark.parametrize("plan", sorted(PLAN_PRICES))
@pytest.mark.parametrize(
    "day", [date(2024, 2, 10), date(2025, 4, 1), date(2025, 12, 31), date(2026, 7, 15)]
)
def test_plan_prices_match_the_demo_generator(plan, day):
    assert PLAN_PRICES == pricing.PLAN_PRICES and PLAN_TIER == pricing.PLAN_TIER

    class Horizon:
        horizon_end = date(2027, 1, 1)

    table = pricing.plan_price_table(Horizon())  # type: ignore[arg-type]
    number = to_day(np.datetime64(day.isoformat(), "D"))
    for locations in (1, 4):
        assert plan_price(plan, locations, day) == table.price(plan, locations, number)
