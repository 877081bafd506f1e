"""The contract, by property tests: for ANY input, a normalized value or ValidationError.

Every validator is fed junk (None, bools, huge ints, floats, NaN, Decimals, bytes,
dates, containers, huge and odd Unicode strings, lone surrogates) and near-valid input
(digits with stray punctuation, addresses with odd characters, shifts with bad times).
Whatever it returns must itself validate to the same value (idempotence), and
whatever it raises must be a ``ValidationError`` with a catalogued code.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.validation import (
    DURATION_STEP_MIN,
    MAX_DURATION_MIN,
    ValidationError,
    is_disposable_email_domain,
    phone_area_code,
    phone_matches_province,
    service_price_bounds,
    validate_cuit,
    validate_duration,
    validate_email,
    validate_legal_form,
    validate_opening_hours,
    validate_phone_ar,
    validate_province,
    validate_service_price,
    validate_staff_coverage,
    validate_tax_status,
)
from core.validation.messages import FIELD_LABELS, MESSAGES
from data.reference.geography import PROVINCES
from tests.core.validation.cases import REFERENCE_DAY

PROPERTY = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# ------------------------------------------------------------------------------ strategies

odd_text = st.text(alphabet=st.characters(exclude_categories=()), max_size=40)  # surrogates too
huge_text = st.builds(lambda s, n: s * n, st.text(min_size=1, max_size=6), st.integers(200, 5_000))
# Built, not sampled: hypothesis cannot repr a strategy holding an int over 4300 digits.
huge_ints = st.builds(
    lambda exponent, sign: sign * 10**exponent,
    st.sampled_from([20, 400, 5000]),
    st.sampled_from([1, -1]),
)
# st.from_type over a fixed list of types: arbitrary types could hand out os.environ.
FUZZED_TYPES = [int, float, complex, str, bytes, bytearray, Decimal, Fraction, bool, type(None)]
FUZZED_TYPES += [date, datetime, time, timedelta, range, list, tuple, set, frozenset, dict]
from_types = st.sampled_from(FUZZED_TYPES).flatmap(st.from_type)

hashable = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    huge_ints,
    st.floats(),
    st.text(max_size=20),
    odd_text,
    st.binary(max_size=20),
    st.decimals(allow_nan=False),  # a signalling NaN cannot be hashed
    st.fractions(),
    st.dates(),
    st.times(),
)
scalars = st.one_of(
    hashable, huge_text, st.decimals(), st.complex_numbers(), st.datetimes(), from_types
)
junk = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.tuples(inner, inner),
        st.dictionaries(hashable, inner, max_size=4),
        st.frozensets(hashable, max_size=4),
    ),
    max_leaves=8,
)
locales = st.one_of(st.sampled_from(["es_AR", "en", "es-AR", "en_US"]), junk)


def separated(alphabet: str, extra: str, max_size: int = 24) -> st.SearchStrategy[str]:
    return st.text(alphabet=alphabet + extra, max_size=max_size)


cuit_like = st.one_of(
    separated("0123456789", " -–.", 16),
    st.builds(
        lambda p, body, tail: f"{p}{body}{tail}",
        st.sampled_from(["20", "23", "24", "27", "30", "33", "34", "21", "3"]),
        separated("0123456789", " -", 12),
        st.text(max_size=2),
    ),
)
phone_like = st.one_of(
    separated("0123456789", " -+().", 22),
    st.builds(
        lambda head, rest: head + rest,
        st.sampled_from(["+54", "+54 9 ", "0", "011 15 ", "0351 ", "+1 ", "+598 ", "00", "54"]),
        separated("0123456789", " -", 14),
    ),
)
email_like = st.one_of(
    st.emails(),
    st.builds(
        lambda a, b: f"{a}@{b}",
        st.text(max_size=20),
        st.text(alphabet="abcñé.-_0ＡＢ\u200b", max_size=20),
    ),
    separated("abcz.@+-_ñ", "", 30),
)
times = st.one_of(
    st.times(),
    st.from_regex(r"\A[0-9]{1,2}:[0-9]{2}\Z"),
    st.sampled_from(["24:00", "00:00", "23:59", "9:00", "12:30"]),
    junk,
)
shifts = st.one_of(st.tuples(times, times), st.lists(times, max_size=3), junk)
hours_like = st.one_of(
    st.dictionaries(
        st.one_of(st.integers(-1, 8), st.sampled_from(["0", "6", "7", " 3 "]), hashable),
        st.one_of(st.none(), st.lists(shifts, max_size=4), junk),
        max_size=7,
    ),
    junk,
)
service_keys = st.one_of(st.sampled_from(["Corte", "Barba", "Color", "", " "]), st.integers(0, 3))
staff_like = st.one_of(
    st.dictionaries(
        st.one_of(st.sampled_from(["Ana", "Beto", ""]), hashable),
        st.one_of(st.sets(service_keys, max_size=4), st.lists(service_keys, max_size=4), junk),
        max_size=4,
    ),
    junk,
)
services_like = st.one_of(st.lists(service_keys, max_size=5), st.sets(service_keys), junk)
numbers = st.one_of(
    st.integers(),
    huge_ints,
    st.floats(),
    st.decimals(),
    st.fractions(),
    st.floats(min_value=0, max_value=2_000_000),
)
provinces = st.one_of(st.sampled_from([p.name for p in PROVINCES] + ["CABA", "AR-X"]), junk)

# ------------------------------------------------------------------------------ helpers


def outcome(function: Any, *args: Any, **kwargs: Any) -> tuple[bool, Any]:
    """(True, result) or (False, error); any exception other than ValidationError escapes."""
    try:
        return True, function(*args, **kwargs)
    except ValidationError as error:
        assert error.code in MESSAGES
        assert error.field in FIELD_LABELS
        assert isinstance(error.message, str) and error.message.endswith(".")
        assert str(error) == error.message
        return False, error


CUIT_FORMAT = re.compile(r"\A[0-9]{2}-[0-9]{8}-[0-9]\Z")
E164_AR = re.compile(r"\A\+549?[0-9]{10}\Z")

# ------------------------------------------------------------------------------ identity


@PROPERTY
@given(
    value=st.one_of(junk, cuit_like),
    tax_status=st.one_of(st.none(), st.sampled_from(["Monotributo", "RI", "Exento"]), junk),
    legal_form=st.one_of(st.none(), st.sampled_from(["S.A.", "persona humana", "srl"]), junk),
    locale=locales,
)
def test_validate_cuit(value, tax_status, legal_form, locale):
    ok, result = outcome(
        validate_cuit, value, tax_status=tax_status, legal_form=legal_form, locale=locale
    )
    if ok:
        assert CUIT_FORMAT.match(result)
        assert validate_cuit(result, tax_status=tax_status, legal_form=legal_form) == result


@PROPERTY
@given(value=junk, locale=locales)
def test_tax_status_and_legal_form(value, locale):
    outcome(validate_tax_status, value, locale=locale)
    outcome(validate_legal_form, value, locale=locale)


# ------------------------------------------------------------------------------ contact


@PROPERTY
@given(value=st.one_of(junk, phone_like), province=st.one_of(st.none(), provinces), locale=locales)
def test_validate_phone_ar(value, province, locale):
    ok, result = outcome(validate_phone_ar, value, province=province, locale=locale)
    if ok:
        assert E164_AR.match(result), result
        assert validate_phone_ar(result) == result
        area = phone_area_code(result)
        assert result[3:].lstrip("9").startswith(area) or result[4:].startswith(area)


@PROPERTY
@given(value=st.one_of(junk, phone_like), province=provinces, locale=locales)
def test_phone_helpers(value, province, locale):
    outcome(phone_area_code, value, locale=locale)
    ok, matches = outcome(phone_matches_province, value, province, locale=locale)
    if ok:
        assert isinstance(matches, bool)


@PROPERTY
@given(value=provinces, locale=locales)
def test_validate_province(value, locale):
    ok, result = outcome(validate_province, value, locale=locale)
    if ok:
        assert result in {p.name for p in PROVINCES}


@PROPERTY
@given(value=st.one_of(junk, email_like), locale=locales)
def test_validate_email(value, locale):
    ok, result = outcome(validate_email, value, locale=locale)
    if ok:
        assert validate_email(result) == result
        local, _, domain = result.rpartition("@")
        assert domain == domain.lower()
        assert local == value.strip().rpartition("@")[0]  # the local part as typed
    outcome(is_disposable_email_domain, value, locale=locale)


# ------------------------------------------------------------------------------ business rules


@PROPERTY
@given(hours=hours_like, locale=locales)
def test_validate_opening_hours(hours, locale):
    ok, result = outcome(validate_opening_hours, hours, locale=locale)
    if ok:
        assert list(result) == list(range(7))
        assert any(result.values())
        assert validate_opening_hours(result) == result


@PROPERTY
@given(
    price=st.one_of(numbers, junk),
    vertical=st.one_of(st.sampled_from(["barbershop", "salon", "spa", "nails"]), junk),
    as_of=st.one_of(st.just(REFERENCE_DAY), st.dates(), junk),
    locale=locales,
)
def test_validate_service_price(price, vertical, as_of, locale):
    ok, result = outcome(validate_service_price, price, vertical=vertical, as_of=as_of)
    if ok:
        low, high = service_price_bounds(vertical, as_of=as_of)
        assert low <= result <= high
        assert round(result, 2) == result
        assert validate_service_price(result, vertical=vertical, as_of=as_of) == result
    outcome(validate_service_price, price, vertical=vertical, as_of=as_of, locale=locale)


@PROPERTY
@given(minutes=st.one_of(numbers, junk), locale=locales)
def test_validate_duration(minutes, locale):
    ok, result = outcome(validate_duration, minutes, locale=locale)
    if ok:
        assert type(result) is int
        assert 0 < result <= MAX_DURATION_MIN and result % DURATION_STEP_MIN == 0


@PROPERTY
@given(services=services_like, staff=staff_like, locale=locales)
def test_validate_staff_coverage(services, staff, locale):
    ok, result = outcome(validate_staff_coverage, services, staff, locale=locale)
    if ok:
        assert result and all(result.values())
        for service, people in result.items():
            for person in people:
                assert service in staff[person]
