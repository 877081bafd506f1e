"""Opening hours: a week of shifts per weekday, checked and normalized."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import time
from itertools import pairwise

from core.validation.errors import (
    DEFAULT_LOCALE,
    ValidationError,
    fail,
    language,
    shown_value,
)
from core.validation.messages import term

_TIME = re.compile(r"([0-9]{1,2}):([0-9]{2})")

OpeningHours = dict[int, list[tuple[str, str]]]


def _day_name(day: int, lang: str) -> str:
    return term(f"weekday_{day}", lang)


def _weekday(key: object) -> int | None:
    if isinstance(key, int) and not isinstance(key, bool) and 0 <= key <= 6:
        return key
    if isinstance(key, str) and key.strip() in {"0", "1", "2", "3", "4", "5", "6"}:
        return int(key.strip())
    return None


def _minutes(value: object, *, closing: bool) -> int | None:
    """Minutes since midnight, or None when ``value`` is not a valid time."""
    if isinstance(value, time):
        if value.tzinfo is not None or value.second or value.microsecond:
            return None
        return value.hour * 60 + value.minute
    if not isinstance(value, str):
        return None
    match = _TIME.fullmatch(value.strip())
    if match is None:
        return None
    hour, minute = int(match.group(1)), int(match.group(2))
    if minute > 59 or hour > 24 or (hour == 24 and (minute or not closing)):
        return None
    return hour * 60 + minute


def _bad_time(raw: object, day_name: str, lang: str) -> ValidationError:
    shown = raw.isoformat() if isinstance(raw, time) else shown_value(raw, limit=20)
    return fail("opening_hours_time", "opening_hours", lang, day=day_name, value=shown)


def _clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _is_list(value: object) -> bool:
    return isinstance(value, Sequence) and not isinstance(value, str | bytes | bytearray)


def validate_opening_hours(hours: object, *, locale: str = DEFAULT_LOCALE) -> OpeningHours:
    """Check a week of opening hours and return it normalized.

    Parameters
    ----------
    hours
        A mapping from weekday (``0`` = Monday ... ``6`` = Sunday, or the same digits
        as strings, as JSON stores them) to a list of ``(open, close)`` shifts. Times
        are ``"HH:MM"`` strings (``"9:30"`` works too) or naive ``datetime.time``
        values on the minute; ``"24:00"`` closes at midnight. A missing day, ``None``
        or an empty list means closed that day. A shift cannot run past midnight.
    locale
        Language of the error message: ``"es_AR"`` (default) or ``"en"``.

    Returns
    -------
    dict[int, list[tuple[str, str]]]
        All seven weekdays, in order, each with its shifts as ``("HH:MM", "HH:MM")``
        sorted by opening time (``[]`` when closed). Touching shifts
        (``09:00–13:00`` and ``13:00–17:00``) are kept as given.

    Raises
    ------
    ValidationError
        Field ``opening_hours``: ``opening_hours_type``, ``opening_hours_day``,
        ``opening_hours_interval``, ``opening_hours_time``, ``opening_hours_order``,
        ``opening_hours_overlap`` or ``opening_hours_empty`` (no open day).
    """
    lang = language(locale)
    if not isinstance(hours, Mapping):
        raise fail("opening_hours_type", "opening_hours", lang)
    week: dict[int, list[tuple[int, int]]] = {day: [] for day in range(7)}
    for key, shifts in hours.items():
        day = _weekday(key)
        if day is None:
            raise fail("opening_hours_day", "opening_hours", lang, day=shown_value(key, limit=20))
        name = _day_name(day, lang)
        if shifts is None:
            continue
        if not _is_list(shifts):
            raise fail("opening_hours_interval", "opening_hours", lang, day=name)
        for shift in shifts:
            if not _is_list(shift) or len(shift) != 2:
                raise fail("opening_hours_interval", "opening_hours", lang, day=name)
            opens = _minutes(shift[0], closing=False)
            if opens is None:
                raise _bad_time(shift[0], name, lang)
            closes = _minutes(shift[1], closing=True)
            if closes is None:
                raise _bad_time(shift[1], name, lang)
            if opens >= closes:
                raise fail(
                    "opening_hours_order",
                    "opening_hours",
                    lang,
                    day=name,
                    open=_clock(opens),
                    close=_clock(closes),
                )
            week[day].append((opens, closes))
    for day, shifts in week.items():
        shifts.sort()
        for (a_open, a_close), (b_open, b_close) in pairwise(shifts):
            if b_open < a_close:
                raise fail(
                    "opening_hours_overlap",
                    "opening_hours",
                    lang,
                    day=_day_name(day, lang),
                    first=f"{_clock(a_open)}–{_clock(a_close)}",
                    second=f"{_clock(b_open)}–{_clock(b_close)}",
                )
    if not any(week.values()):
        raise fail("opening_hours_empty", "opening_hours", lang)
    return {day: [(_clock(o), _clock(c)) for o, c in shifts] for day, shifts in week.items()}
