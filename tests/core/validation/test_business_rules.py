"""Service prices and durations, staff coverage."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from fractions import Fraction

import numpy as np
import pytest

from core.validation import (
    PRICE_CEILING_FACTOR,
    PRICE_FLOOR_FACTOR,
    ValidationError,
    service_price_bounds,
    validate_duration,
    validate_service_price,
    validate_staff_coverage,
)
from data.reference.services import CATALOG
from tests.core.validation.cases import (
    DURATION_ERRORS,
    PRICE_ERRORS,
    REFERENCE_DAY,
    STAFF_ERRORS,
    ErrorCase,
    ids,
)

ALL = PRICE_ERRORS + DURATION_ERRORS + STAFF_ERRORS


@pytest.mark.parametrize("case", ALL, ids=ids(ALL))
@pytest.mark.parametrize("locale", ["es_AR", "en"])
def test_rejected(case: ErrorCase, locale):
    with pytest.raises(ValidationError) as caught:
        case.call(locale)
    assert (caught.value.code, caught.value.field) == (case.code, case.field)


# ------------------------------------------------------------------------------ prices


@pytest.mark.parametrize("vertical", sorted(CATALOG))
def test_bounds_at_the_reference_month_come_from_the_catalog(vertical):
    prices = [s.price_ars for s in CATALOG[vertical]]
    low, high = service_price_bounds(vertical, as_of=REFERENCE_DAY)
    # The reference prices times 0.1 and 10 are already round to two figures.
    assert low == pytest.approx(PRICE_FLOOR_FACTOR * min(prices))
    assert high == pytest.approx(PRICE_CEILING_FACTOR * max(prices))
    for service in CATALOG[vertical]:
        assert validate_service_price(service.price_ars, vertical=vertical, as_of=REFERENCE_DAY)


def test_bounds_follow_inflation():
    before = service_price_bounds("salon", as_of=date(2024, 6, 1))
    at = service_price_bounds("salon", as_of=REFERENCE_DAY)
    after = service_price_bounds("salon", as_of=date(2026, 6, 1))
    assert before[0] < at[0] < after[0]
    assert before[1] < at[1] < after[1]
    # Prices roughly doubled from mid-2024 to mid-2025 (about 4 % a month, then less).
    assert 1.2 < at[1] / before[1] < 2.5
    # Today's bounds are never narrower than the reference month's.
    today = service_price_bounds("salon")
    assert today[1] >= at[1]


@pytest.mark.parametrize(
    ("price", "expected"),
    [
        (12000, 12000.0),
        (12000.5, 12000.5),
        (Decimal("12000.50"), 12000.5),
        (Fraction(24001, 2), 12000.5),
        (np.float64(9999.99), 9999.99),
        (np.int64(15000), 15000.0),
        (350, 350.0),  # the floor itself
        (320000, 320000.0),  # the ceiling itself
        (0.1 + 12000.2, 12000.3),  # float noise is not a third decimal
    ],
)
def test_prices_accepted(price, expected):
    assert validate_service_price(price, vertical="barbershop", as_of=REFERENCE_DAY) == expected


def test_price_message_quotes_the_bounds_in_pesos():
    with pytest.raises(ValidationError) as caught:
        validate_service_price(12, vertical="barbershop", as_of=REFERENCE_DAY)
    assert caught.value.message == (
        "El precio tiene que estar entre $ 350 y $ 320.000 para una barbería."
    )
    with pytest.raises(ValidationError) as caught:
        validate_service_price(12, vertical=" Spa ", as_of=REFERENCE_DAY, locale="en")
    assert caught.value.message == "The price must be between ARS 2,100 and ARS 450,000 for a spa."


# ------------------------------------------------------------------------------ durations


@pytest.mark.parametrize(
    ("minutes", "expected"),
    [(5, 5), (30, 30), (45.0, 45), (Decimal(60), 60), (np.int64(90), 90), (480, 480)],
)
def test_durations_accepted(minutes, expected):
    result = validate_duration(minutes)
    assert result == expected
    assert type(result) is int


def test_every_catalog_duration_is_accepted():
    for services in CATALOG.values():
        for service in services:
            assert validate_duration(service.duration_min) == service.duration_min


# ------------------------------------------------------------------------------ staff


def test_coverage_map():
    coverage = validate_staff_coverage(
        ["Corte", "Barba", "Corte", 7],
        {"Ana": {"Corte", "Masaje"}, "Beto": ["Barba", "Corte", "Barba"], 12: (7,)},
    )
    assert coverage == {"Corte": ["Ana", "Beto"], "Barba": ["Beto"], 7: [12]}


def test_uncovered_services_are_listed_in_order():
    with pytest.raises(ValidationError) as caught:
        validate_staff_coverage(
            ["Corte", "Color", "Barba", "Alisado"], {"Ana": ["Corte"], "Beto": {"Barba"}}
        )
    assert caught.value.message == "Nadie del equipo hace estos servicios: Color, Alisado."
    assert caught.value.params["uncovered"] == ["Color", "Alisado"]


def test_a_long_list_of_uncovered_services_is_cut():
    services = [f"Servicio {i}" for i in range(13)]
    with pytest.raises(ValidationError) as caught:
        validate_staff_coverage(services, {}, locale="en")
    assert caught.value.message.endswith("Servicio 9 and 3 more.")
    assert len(caught.value.params["uncovered"]) == 13
