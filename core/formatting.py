"""Numbers, money, dates and ages as people in Argentina read them (Babel, CLDR data).

Every formatter takes ``locale`` (``"es_AR"`` by default, ``"en"`` supported) and turns
``None`` or NaN into an em dash, so a missing metric never prints as ``nan``. Spacing is
plain ASCII spaces, never Babel's no-break variants, so the output is predictable.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime, time
from functools import lru_cache

from babel import Locale, UnknownLocaleError
from babel.dates import format_date as _babel_date
from babel.dates import format_time as _babel_time
from babel.numbers import format_currency, format_decimal

DEFAULT_LOCALE = "es_AR"
SUPPORTED_LOCALES = ("es_AR", "en")
MISSING = "—"
CURRENCY = "ARS"


@dataclass(frozen=True)
class _Language:
    """What differs between the languages beyond Babel's number symbols."""

    thousand: str  # compact suffixes
    million: str
    billion: str | None  # None: keep counting in millions
    ago: str
    points: str  # percentage points
    percent_suffix: str
    date_pattern: str


# Babel's compact and relative forms are inconsistent or too long for a KPI tile in
# Spanish ("1234,6 M", "dentro de 5 segundos"), so these few words are the console's own.
_LANGUAGES = {
    "es": _Language(" mil", " M", None, "hace {n}", "p.p.", " %", "dd/MM/yyyy"),
    "en": _Language("K", "M", "B", "{n} ago", "pp", "%", "yyyy-MM-dd"),
}


@lru_cache(maxsize=16)
def _locale(locale: str) -> Locale:
    normalized = locale.replace("-", "_")
    try:
        parsed = Locale.parse(normalized)
    except (UnknownLocaleError, ValueError):
        raise ValueError(f"unknown locale {locale!r}; use one of {SUPPORTED_LOCALES}") from None
    if parsed.language not in _LANGUAGES:
        raise ValueError(f"unsupported locale {locale!r}; use one of {SUPPORTED_LOCALES}")
    return parsed


def _language(locale: str) -> _Language:
    return _LANGUAGES[_locale(locale).language]


def _plain(text: str) -> str:
    return text.replace("\xa0", " ").replace("\u202f", " ")


def format_count(value: float | None, *, locale: str = DEFAULT_LOCALE) -> str:
    """A whole number with thousand separators: ``1.234.567``."""
    if value is None or math.isnan(value):
        return MISSING
    return _plain(format_decimal(value, "#,##0", locale=_locale(locale)))


def format_number(value: float | None, *, digits: int = 1, locale: str = DEFAULT_LOCALE) -> str:
    """A number with a fixed count of decimals: ``1.234,5``."""
    if value is None or math.isnan(value):
        return MISSING
    pattern = "#,##0" + ("." + "0" * digits if digits > 0 else "")
    return _plain(format_decimal(value, pattern, locale=_locale(locale)))


def format_measure(
    value: float | None, *, max_digits: int = 3, locale: str = DEFAULT_LOCALE
) -> str:
    """A measured or fitted value in its own precision: ``0,125``, ``1.840.000.000``, ``2,5``.

    Up to ``max_digits`` decimals, trailing zeros dropped.
    """
    if value is None or math.isnan(value):
        return MISSING
    pattern = "#,##0" + ("." + "#" * max_digits if max_digits > 0 else "")
    return _plain(format_decimal(value, pattern, locale=_locale(locale)))


def format_money(value: float | None, *, locale: str = DEFAULT_LOCALE) -> str:
    """Pesos without cents: ``$ 1.234.567``, negative ``-$ 1.234``."""
    if value is None or math.isnan(value):
        return MISSING
    text = format_currency(
        value, CURRENCY, "¤ #,##0", locale=_locale(locale), currency_digits=False
    )
    return _plain(text)


def _currency_symbol(locale: str) -> str:
    return _locale(locale).currency_symbols.get(CURRENCY, CURRENCY)


def format_compact(value: float | None, *, locale: str = DEFAULT_LOCALE) -> str:
    """A short number for a tile: ``9.876``, ``12,3 mil``, ``123 M``, ``1.235 M`` (en: ``1.2B``).

    Below ten thousand the number is shown in full. Spanish has no short word for a
    thousand millions that readers trust, so ``es`` keeps counting in millions.
    """
    if value is None or math.isnan(value):
        return MISSING
    words = _language(locale)
    magnitude = abs(value)
    if magnitude < 10_000:
        return format_count(value, locale=locale)
    if magnitude < 1_000_000:
        scaled, suffix = value / 1_000, words.thousand
    elif magnitude < 1_000_000_000 or words.billion is None:
        scaled, suffix = value / 1_000_000, words.million
    else:
        scaled, suffix = value / 1_000_000_000, words.billion
    # Three significant figures at most: 12,3 M but 123 M and 1.235 M, so tiles stay short.
    digits = 1 if abs(scaled) < 100 else 0
    return f"{format_number(scaled, digits=digits, locale=locale)}{suffix}"


def format_money_compact(value: float | None, *, locale: str = DEFAULT_LOCALE) -> str:
    """Short pesos for a tile: ``$ 12,3 M``; small amounts in full: ``$ 9.876``."""
    if value is None or math.isnan(value):
        return MISSING
    sign = "-" if value < 0 else ""
    return f"{sign}{_currency_symbol(locale)} {format_compact(abs(value), locale=locale)}"


def format_percent(ratio: float | None, *, locale: str = DEFAULT_LOCALE) -> str:
    """A ratio as a percentage with one decimal: ``0.123`` → ``12,3 %``."""
    if ratio is None or math.isnan(ratio):
        return MISSING
    # CLDR puts a space before % in Spanish and none in English.
    number = format_decimal(ratio * 100, "#,##0.0", locale=_locale(locale))
    return _plain(number + _language(locale).percent_suffix)


def format_signed_percent(ratio: float | None, *, locale: str = DEFAULT_LOCALE) -> str:
    """A relative change with its sign: ``+12,3 %``, ``-4,0 %``."""
    if ratio is None or math.isnan(ratio):
        return MISSING
    return ("+" if ratio >= 0 else "-") + format_percent(abs(ratio), locale=locale)


def format_signed_points(delta: float | None, *, locale: str = DEFAULT_LOCALE) -> str:
    """A change between two ratios in percentage points: ``0.021`` → ``+2,1 p.p.``."""
    if delta is None or math.isnan(delta):
        return MISSING
    number = format_number(abs(delta) * 100, digits=1, locale=locale)
    return f"{'+' if delta >= 0 else '-'}{number} {_language(locale).points}"


def format_signed_count(delta: float | None, *, locale: str = DEFAULT_LOCALE) -> str:
    """A change in a count with its sign: ``+12``, ``-1.234``."""
    if delta is None or math.isnan(delta):
        return MISSING
    return ("+" if delta >= 0 else "-") + format_count(abs(delta), locale=locale)


def format_date(value: date | datetime | None, *, locale: str = DEFAULT_LOCALE) -> str:
    """A calendar day: ``04/03/2025`` (``2025-03-04`` in en)."""
    if value is None:
        return MISSING
    day = value.date() if isinstance(value, datetime) else value
    return _babel_date(day, _language(locale).date_pattern, locale=_locale(locale))


def format_time(value: datetime | time | None, *, locale: str = DEFAULT_LOCALE) -> str:
    """A 24-hour clock time with seconds: ``09:03:04``."""
    if value is None:
        return MISSING
    moment = value.time() if isinstance(value, datetime) else value
    return _plain(_babel_time(moment, "HH:mm:ss", locale=_locale(locale)))


def format_datetime(value: datetime | None, *, locale: str = DEFAULT_LOCALE) -> str:
    """Day and time: ``04/03/2025 09:03:04``."""
    if value is None:
        return MISSING
    return f"{format_date(value, locale=locale)} {format_time(value, locale=locale)}"


def format_duration(seconds: float | None, *, locale: str = DEFAULT_LOCALE) -> str:
    """A length of time in its largest whole unit: ``12 s``, ``3 min``, ``2 h``, ``4 d``."""
    if seconds is None or math.isnan(seconds):
        return MISSING
    _locale(locale)  # validate even though the units read the same in both languages
    whole = max(0, int(seconds))
    for unit, size in (("d", 86_400), ("h", 3_600), ("min", 60)):
        if whole >= size:
            return f"{whole // size} {unit}"
    return f"{whole} s"


def format_age(seconds: float | None, *, locale: str = DEFAULT_LOCALE) -> str:
    """How long ago something happened: ``hace 12 s``, ``hace 3 min`` (``12 s ago`` in en).

    A negative age (clocks a little apart) reads as zero.
    """
    if seconds is None or math.isnan(seconds):
        return MISSING
    return _language(locale).ago.format(n=format_duration(seconds, locale=locale))
