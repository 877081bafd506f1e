"""core/reference keeps the same tables as data/reference, and the same plan prices."""

from __future__ import annotations

from dataclasses import astuple
from datetime import date

import numpy as np
import pytest

import core.reference.geography as core_geography
import core.reference.inflation as core_inflation
import core.reference.services as core_services
import data.reference.geography as data_geography
import data.reference.inflation as data_inflation
import data.reference.services as data_services
from core.reference.plans import PLAN_PRICES, PLAN_TIER, plan_price
from data.generation import pricing
from data.generation.context import to_day


def test_reference_copies_are_identical():
    # Different dataclasses (one per module), so compare their fields.
    assert [astuple(p) for p in core_geography.PROVINCES] == [
        astuple(p) for p in data_geography.PROVINCES
    ]
    assert {k: [astuple(s) for s in v] for k, v in core_services.CATALOG.items()} == {
        k: [astuple(s) for s in v] for k, v in data_services.CATALOG.items()
    }
    assert core_services.STAFF_ROLES == data_services.STAFF_ROLES
    assert core_inflation.MONTHLY_CPI_PCT == data_inflation.MONTHLY_CPI_PCT


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
