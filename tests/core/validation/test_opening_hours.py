"""Opening hours: a week of shifts, normalized; bad days, times and overlaps rejected."""

from __future__ import annotations

from datetime import time

import pytest

from core.validation import ValidationError, validate_opening_hours
from tests.core.validation.cases import HOURS_ERRORS, ErrorCase, ids


@pytest.mark.parametrize("case", HOURS_ERRORS, ids=ids(HOURS_ERRORS))
@pytest.mark.parametrize("locale", ["es_AR", "en"])
def test_rejected(case: ErrorCase, locale):
    with pytest.raises(ValidationError) as caught:
        case.call(locale)
    assert (caught.value.code, caught.value.field) == (case.code, case.field)


CLOSED = {day: [] for day in range(7)}


@pytest.mark.parametrize(
    ("hours", "expected"),
    [
        (
            {0: [("09:00", "13:00"), ("14:00", "20:00")]},
            {**CLOSED, 0: [("09:00", "13:00"), ("14:00", "20:00")]},
        ),
        (  # shifts come back sorted; "9:00" gains its zero
            {5: [("16:00", "21:00"), ("9:00", "13:00")]},
            {**CLOSED, 5: [("09:00", "13:00"), ("16:00", "21:00")]},
        ),
        (  # weekday keys as JSON stores them; lists instead of tuples
            {"1": [["10:00", "19:30"]], " 2 ": [["10:00", "19:30"]]},
            {**CLOSED, 1: [("10:00", "19:30")], 2: [("10:00", "19:30")]},
        ),
        (  # time objects; None and [] mean closed
            {3: [(time(9), time(18, 30))], 4: None, 6: []},
            {**CLOSED, 3: [("09:00", "18:30")]},
        ),
        (  # touching shifts are not overlapping; 24:00 closes at midnight
            {4: [("09:00", "13:00"), ("13:00", "24:00")]},
            {**CLOSED, 4: [("09:00", "13:00"), ("13:00", "24:00")]},
        ),
        ({6: [(" 00:00 ", "23:59")]}, {**CLOSED, 6: [("00:00", "23:59")]}),
    ],
)
def test_hours_normalized(hours, expected):
    assert validate_opening_hours(hours) == expected
    assert validate_opening_hours(expected) == expected  # idempotent


def test_hours_messages_name_the_day():
    with pytest.raises(ValidationError, match="El horario del sábado"):
        validate_opening_hours({5: [("13:00", "09:00")]})
    with pytest.raises(ValidationError, match=r"for Saturday .* 13:00–09:00"):
        validate_opening_hours({5: [("13:00", "09:00")]}, locale="en")
    with pytest.raises(ValidationError, match=r"09:00–13:00 y 12:00–18:00"):
        validate_opening_hours({1: [("12:00", "18:00"), ("09:00", "13:00")]})
