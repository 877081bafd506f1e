"""es-AR (and en) formatting, checked against exact strings."""

from datetime import date, datetime, time

import pytest

from core import formatting as f


@pytest.mark.parametrize(
    ("value", "es", "en"),
    [
        (1234567.4, "$ 1.234.567", "ARS 1,234,567"),
        (1234567.6, "$ 1.234.568", "ARS 1,234,568"),
        (-1234, "-$ 1.234", "-ARS 1,234"),
        (0, "$ 0", "ARS 0"),
        (None, "—", "—"),
        (float("nan"), "—", "—"),
    ],
)
def test_money(value, es, en):
    assert f.format_money(value) == es
    assert f.format_money(value, locale="en") == en


@pytest.mark.parametrize(
    ("value", "es", "en"),
    [
        (9876, "$ 9.876", "ARS 9,876"),
        (12_345, "$ 12,3 mil", "ARS 12.3K"),
        (12_345_678, "$ 12,3 M", "ARS 12.3M"),
        (123_456_789, "$ 123 M", "ARS 123M"),
        (1_234_567_890, "$ 1.235 M", "ARS 1.2B"),
        (-12_345_678, "-$ 12,3 M", "-ARS 12.3M"),
        (None, "—", "—"),
    ],
)
def test_money_compact(value, es, en):
    assert f.format_money_compact(value) == es
    assert f.format_money_compact(value, locale="en") == en


def test_counts_and_numbers():
    assert f.format_count(1234567) == "1.234.567"
    assert f.format_count(1234567.0, locale="en") == "1,234,567"
    assert f.format_count(184) == "184"
    assert f.format_number(1234.56) == "1.234,6"
    assert f.format_number(1234.56, digits=2, locale="en") == "1,234.56"
    assert f.format_compact(12_345) == "12,3 mil"
    assert f.format_signed_count(-1234) == "-1.234"
    assert f.format_signed_count(6) == "+6"


def test_percentages():
    assert f.format_percent(0.123) == "12,3 %"
    assert f.format_percent(0.123, locale="en") == "12.3%"
    assert f.format_percent(1 / 3) == "33,3 %"
    assert f.format_percent(None) == "—"
    assert f.format_signed_percent(0.2) == "+20,0 %"
    assert f.format_signed_percent(-0.04) == "-4,0 %"
    assert f.format_signed_points(0.021) == "+2,1 p.p."
    assert f.format_signed_points(-0.018421, locale="en") == "-1.8 pp"


def test_dates_and_times():
    moment = datetime(2025, 3, 4, 9, 3, 4)
    assert f.format_date(date(2025, 3, 4)) == "04/03/2025"
    assert f.format_date(moment, locale="en") == "2025-03-04"
    assert f.format_time(moment) == "09:03:04"
    assert f.format_time(time(21, 5, 0), locale="en") == "21:05:00"
    assert f.format_datetime(moment) == "04/03/2025 09:03:04"
    assert f.format_date(None) == "—"


@pytest.mark.parametrize(
    ("seconds", "es", "en"),
    [
        (12.7, "hace 12 s", "12 s ago"),
        (-3, "hace 0 s", "0 s ago"),
        (200, "hace 3 min", "3 min ago"),
        (7300, "hace 2 h", "2 h ago"),
        (90_000, "hace 1 d", "1 d ago"),
        (None, "—", "—"),
    ],
)
def test_age(seconds, es, en):
    assert f.format_age(seconds) == es
    assert f.format_age(seconds, locale="en") == en


def test_locale_spellings_and_errors():
    assert f.format_money(1234, locale="es-AR") == "$ 1.234"
    with pytest.raises(ValueError, match="unknown locale 'xx'"):
        f.format_money(1, locale="xx")
    with pytest.raises(ValueError, match="unsupported locale 'fr'"):
        f.format_count(1, locale="fr")
