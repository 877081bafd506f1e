"""User-written text on its way out: into a spreadsheet cell or a markdown element."""

from __future__ import annotations

import re
from typing import Any

# A cell starting with one of these is a formula to a spreadsheet (CSV injection, OWASP).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value: Any) -> Any:
    """``value`` as a spreadsheet will show it, never run it.

    A text cell that starts with ``=``, ``+``, ``-``, ``@``, tab or carriage return gets
    a leading ``'`` (the OWASP rule); numbers, dates and missing values pass unchanged,
    so a negative amount stays a number.
    """
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


# Every character markdown (CommonMark + GitHub extensions, as Streamlit renders it) gives
# a meaning to, plus the HTML ones: escaped, each shows as itself.
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()<>#+\-.!|~$=^&\"'])")
# GitHub's autolinks ("https://…", "www.…", "ana@…") are found in the text after markdown
# is parsed, so no escape stops them: an invisible word joiner splits each trigger.
_WORD_JOINER = "\u2060"
_AUTOLINK_TRIGGER = re.compile(r"(?i)((?:[a-z][a-z0-9+.-]*:)|(?:\bwww\.)|@)")


def markdown_safe(text: object, *, max_length: int | None = None) -> str:
    """``text`` escaped so ``st.markdown`` shows it verbatim: no links, images, HTML.

    Line breaks become spaces (a comment cannot open a heading or a list), every
    markdown and HTML character is backslash-escaped, a word joiner follows every URL
    scheme, ``www.`` and ``@`` (GitHub's autolinks), and ``max_length`` (when given)
    cuts the text with an ellipsis before escaping.
    """
    plain = "" if text is None else str(text)
    plain = " ".join(plain.split())
    if max_length is not None and len(plain) > max_length:
        plain = plain[: max_length - 1].rstrip() + "…"
    unlinked = _AUTOLINK_TRIGGER.sub(lambda match: match.group() + _WORD_JOINER, plain)
    return _MARKDOWN_SPECIAL.sub(r"\\\1", unlinked)
