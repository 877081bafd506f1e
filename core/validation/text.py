"""Free text a person types (names, addresses): it must never run as a spreadsheet formula.

The same rule holds for the wizard's fields and the import's cells, so a trade name that
the import refuses is refused when typed too: text starting with ``=`` or ``@``, or with
``+``/``-`` followed by anything but a plain number (``-5``, ``+54 9 11 2345-6789``),
is a formula to Excel and LibreOffice (OWASP's CSV injection). Downloads neutralise
such cells anyway (``core.security.csv_safe``); refusing them at the door keeps them out
of every other place the text goes.
"""

from __future__ import annotations

import re

from core.validation.errors import DEFAULT_LOCALE, fail, language

_PLAIN_NUMBER = re.compile(r"[+-][\d\s().,-]*")  # -5, +54 9 11 ...: values, not formulas


def looks_like_formula(value: str) -> bool:
    """Text a spreadsheet would run: ``=SUM(...)``, ``@cmd``, ``+A1``, ``-1+cmd|...``."""
    text = value.lstrip()
    if not text:
        return False
    if text[0] in "=@":
        return True
    return text[0] in "+-" and _PLAIN_NUMBER.fullmatch(text) is None


def validate_plain_text(value: str, *, field: str = "text", locale: str = DEFAULT_LOCALE) -> str:
    """``value`` unchanged when it cannot run as a spreadsheet formula.

    Parameters
    ----------
    value
        The text as typed (already a ``str``).
    field
        The input at fault, for the error.
    locale
        Language of the error message: ``"es_AR"`` (default) or ``"en"``.

    Returns
    -------
    str
        ``value``.

    Raises
    ------
    ValidationError
        ``text_formula`` when ``value`` looks like a formula.
    """
    lang = language(locale)
    if looks_like_formula(value):
        raise fail("text_formula", field, lang)
    return value
