"""Ids from URLs: ASCII digits only, bounded, positive; anything else is None."""

from __future__ import annotations

import re

# str.isdigit() accepts "²" and "٣"; int() then fails or reads them. Only 0-9 is an id.
_ASCII_DIGITS = re.compile(r"[0-9]+")


def parse_id(value: object, *, max_digits: int = 12) -> int | None:
    """The positive integer id a URL value names, or None when it names none.

    Parameters
    ----------
    value
        The raw query-parameter value (usually ``str``; None when absent).
    max_digits
        Longer values are refused before ``int()``: a 25-digit id overflows the
        database's integer types (``OverflowError`` on SQLite).

    Returns
    -------
    int | None
        The id, or None for empty, non-ASCII-digit, too long or zero values.
    """
    if not isinstance(value, str | int) or isinstance(value, bool):
        return None
    text = str(value).strip()
    if not text or len(text) > max_digits or not _ASCII_DIGITS.fullmatch(text):
        return None
    number = int(text)
    return number if number > 0 else None
