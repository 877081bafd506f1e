"""What the business sells: service prices and durations, and who performs each service.

Price bounds
------------
A service price must lie between ``PRICE_FLOOR_FACTOR`` (0.1) times the vertical's
cheapest typical price and ``PRICE_CEILING_FACTOR`` (10) times its most expensive one,
from ``core.reference.services.CATALOG``. Those are mid-priced list prices at
``PRICE_REFERENCE_MONTH``, so both bounds are carried to the month of ``as_of`` (today
by default) with the CPI index of ``core.inflation.reference``, then rounded outwards
to two significant figures so the message quotes round numbers. Dates before the
CPI series (2016) use its first month, and dates past 2099 use 2099. For a barbershop at
the reference month that is $ 350 to $ 320.000. The range is deliberately generous:
provinces differ by ±20 %, premium chains charge several times the mid price and the
inflation series is approximate, so the rule only catches slips of the keyboard
(``12`` or ``1200000`` for a $ 12.000 haircut), not unusual prices.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping, Sequence, Set
from datetime import date, datetime
from decimal import Decimal
from fractions import Fraction
from functools import lru_cache
from typing import Any

from core.clock import now
from core.formatting import format_money
from core.inflation.reference import FIRST_MONTH as CPI_FIRST_MONTH
from core.inflation.reference import cpi_index, month_key
from core.reference.services import CATALOG, PRICE_REFERENCE_MONTH
from core.validation.errors import DEFAULT_LOCALE, fail, language, shown_value
from core.validation.messages import term

# ----------------------------------------------------------------------- prices

PRICE_FLOOR_FACTOR = 0.1
PRICE_CEILING_FACTOR = 10.0
# Dates before the CPI series use its first month; past its end the series repeats its
# last monthly rate (its own policy), which stays finite only so far: stop in 2099.
_FIRST_PRICE_DAY = date(int(CPI_FIRST_MONTH[:4]), int(CPI_FIRST_MONTH[5:7]), 1)
_LAST_PRICE_DAY = date(2099, 12, 31)
_FORMAT_LOCALES = {"es": "es_AR", "en": "en"}


def _vertical(value: object, lang: str) -> str:
    key = value.strip().lower() if isinstance(value, str) else None
    if key not in CATALOG:
        raise fail("vertical_unknown", "vertical", lang)
    return key


def _as_of_month(as_of: object, lang: str) -> str:
    if as_of is None:  # the one impurity: today's price level
        day = now().date()
    elif isinstance(as_of, date):  # datetime is a date too
        day = as_of.date() if isinstance(as_of, datetime) else as_of
    else:
        raise fail("as_of_type", "as_of", lang)
    return month_key(min(max(day, _FIRST_PRICE_DAY), _LAST_PRICE_DAY))


def _round_significant(value: float, *, up: bool) -> float:
    scale = 10 ** (math.floor(math.log10(value)) - 1)
    return (math.ceil if up else math.floor)(value / scale) * scale


@lru_cache(maxsize=256)
def _bounds(vertical: str, month: str) -> tuple[float, float]:
    prices = [service.price_ars for service in CATALOG[vertical]]
    level = float(cpi_index([month], PRICE_REFERENCE_MONTH)[0])
    low = _round_significant(min(prices) * PRICE_FLOOR_FACTOR * level, up=False)
    high = _round_significant(max(prices) * PRICE_CEILING_FACTOR * level, up=True)
    return float(low), float(high)


def service_price_bounds(
    vertical: object, *, as_of: object = None, locale: str = DEFAULT_LOCALE
) -> tuple[float, float]:
    """The lowest and highest sane price (ARS) of a service in ``vertical``.

    Parameters
    ----------
    vertical
        ``"barbershop"``, ``"salon"``, ``"spa"`` or ``"nails"``.
    as_of
        The date whose price level applies; today (Argentine time) when None.
    locale
        Language of the error message: ``"es_AR"`` (default) or ``"en"``.

    Returns
    -------
    tuple[float, float]
        ``(low, high)``, see the module docstring for how they are derived.

    Raises
    ------
    ValidationError
        ``vertical_unknown`` (field ``vertical``) or ``as_of_type`` (field ``as_of``).
    """
    lang = language(locale)
    return _bounds(_vertical(vertical, lang), _as_of_month(as_of, lang))


def _is_number(value: object) -> bool:
    return isinstance(value, numbers.Real | Decimal) and not isinstance(value, bool)


def _is_finite(value: Any) -> bool:
    if isinstance(value, Decimal):
        return value.is_finite()
    if isinstance(value, numbers.Rational):
        return True
    try:
        return math.isfinite(value)
    except (OverflowError, TypeError, ValueError):
        return False


def validate_service_price(
    price: object,
    *,
    vertical: object,
    as_of: object = None,
    locale: str = DEFAULT_LOCALE,
) -> float:
    """Check a service price in ARS for a business of ``vertical``.

    Parameters
    ----------
    price
        A number (``int``, ``float``, ``Decimal``...); text is rejected, because
        ``"12.000"`` means twelve thousand in Argentina and twelve elsewhere.
    vertical
        ``"barbershop"``, ``"salon"``, ``"spa"`` or ``"nails"``.
    as_of
        The date whose price level sets the bounds; today when None.
    locale
        Language of the error message: ``"es_AR"`` (default) or ``"en"``.

    Returns
    -------
    float
        The price, rounded to cents.

    Raises
    ------
    ValidationError
        Field ``price``: ``price_required``, ``price_type`` (not a finite number),
        ``price_not_positive``, ``price_out_of_range`` (outside
        ``service_price_bounds``) or ``price_cents`` (more than two decimals); field
        ``vertical`` or ``as_of`` for a bad vertical or date.
    """
    lang = language(locale)
    low, high = _bounds(_vertical(vertical, lang), _as_of_month(as_of, lang))
    if price is None:
        raise fail("price_required", "price", lang)
    if not _is_number(price) or not _is_finite(price):
        raise fail("price_type", "price", lang)
    if price <= 0:  # type: ignore[operator]
        raise fail("price_not_positive", "price", lang)
    try:
        amount = float(price)  # type: ignore[arg-type]
    except OverflowError:
        amount = math.inf
    if not low <= amount <= high:
        fmt = _FORMAT_LOCALES[lang]
        raise fail(
            "price_out_of_range",
            "price",
            lang,
            low=format_money(low, locale=fmt),
            high=format_money(high, locale=fmt),
            vertical=term(f"vertical_{_vertical(vertical, lang)}", lang),
        )
    cents = round(amount * 100)
    if abs(amount * 100 - cents) > 1e-6:
        raise fail("price_cents", "price", lang)
    return cents / 100


# ----------------------------------------------------------------------- durations

DURATION_STEP_MIN = 5
MAX_DURATION_MIN = 480


def _whole_minutes(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, Decimal):
        ok = value.is_finite() and value == value.to_integral_value()
        return int(value) if ok else None
    if isinstance(value, Fraction):
        return int(value) if value.denominator == 1 else None
    if isinstance(value, numbers.Real) and _is_finite(value):
        as_float = float(value)
        return int(as_float) if as_float.is_integer() else None
    return None


def validate_duration(minutes: object, *, locale: str = DEFAULT_LOCALE) -> int:
    """Check a service duration in minutes.

    Parameters
    ----------
    minutes
        A whole number of minutes; integral floats (``45.0``, what a number input
        returns) are accepted, text is not.
    locale
        Language of the error message: ``"es_AR"`` (default) or ``"en"``.

    Returns
    -------
    int
        The duration: positive, a multiple of ``DURATION_STEP_MIN`` (5) and at most
        ``MAX_DURATION_MIN`` (480, a full working day).

    Raises
    ------
    ValidationError
        Field ``duration``: ``duration_required``, ``duration_type``,
        ``duration_not_positive``, ``duration_too_long`` or ``duration_step``.
    """
    lang = language(locale)
    if minutes is None:
        raise fail("duration_required", "duration", lang)
    whole = _whole_minutes(minutes)
    if whole is None:
        raise fail("duration_type", "duration", lang)
    if whole <= 0:
        raise fail("duration_not_positive", "duration", lang)
    if whole > MAX_DURATION_MIN:
        raise fail(
            "duration_too_long",
            "duration",
            lang,
            max=MAX_DURATION_MIN,
            hours=MAX_DURATION_MIN // 60,
        )
    if whole % DURATION_STEP_MIN:
        raise fail("duration_step", "duration", lang, step=DURATION_STEP_MIN)
    return whole


# ----------------------------------------------------------------------- staff coverage

MAX_LISTED_SERVICES = 10

ServiceKey = str | int


def _is_service_key(value: object) -> bool:
    if isinstance(value, str):
        return bool(value.strip())
    return isinstance(value, int) and not isinstance(value, bool)


def _is_list(value: object) -> bool:
    return isinstance(value, Sequence) and not isinstance(value, str | bytes | bytearray)


def _is_collection(value: object) -> bool:
    return _is_list(value) or isinstance(value, Set)


def validate_staff_coverage(
    services: object, staff: object, *, locale: str = DEFAULT_LOCALE
) -> dict[ServiceKey, list[ServiceKey]]:
    """Check that every service is performed by at least one staff member.

    Parameters
    ----------
    services
        The services offered: a list (or tuple, or set) of names or ids. Duplicates
        are ignored; names are compared exactly.
    staff
        A mapping from staff member (name or id) to the collection of services they
        perform. Services that are not in ``services`` are ignored.
    locale
        Language of the error message: ``"es_AR"`` (default) or ``"en"``.

    Returns
    -------
    dict
        Each service, in the order given, with the staff members who perform it, in
        the order of ``staff``.

    Raises
    ------
    ValidationError
        ``services_type`` or ``services_empty`` (field ``services``); ``staff_type`` or
        ``staff_uncovered`` (field ``staff``), the latter listing the services nobody
        performs (the first ``MAX_LISTED_SERVICES`` of them, then how many more).
    """
    lang = language(locale)
    if not _is_collection(services) or not all(_is_service_key(s) for s in services):  # type: ignore[attr-defined]
        raise fail("services_type", "services", lang)
    offered: dict[ServiceKey, list[ServiceKey]] = {s: [] for s in services}  # type: ignore[attr-defined]
    if not offered:
        raise fail("services_empty", "services", lang)
    if not isinstance(staff, Mapping):
        raise fail("staff_type", "staff", lang)
    for person, performed in staff.items():
        if not _is_service_key(person) or not _is_collection(performed):
            raise fail("staff_type", "staff", lang)
        if not all(_is_service_key(s) for s in performed):
            raise fail("staff_type", "staff", lang)
        for service in dict.fromkeys(performed):
            if service in offered:
                offered[service].append(person)
    uncovered = [service for service, people in offered.items() if not people]
    if uncovered:
        shown = [shown_value(s) for s in uncovered[:MAX_LISTED_SERVICES]]
        extra = len(uncovered) - len(shown)
        listed = ", ".join(shown) + (f" {term('and_more', lang, count=extra)}" if extra else "")
        raise fail("staff_uncovered", "staff", lang, services=listed, uncovered=uncovered)
    return offered
