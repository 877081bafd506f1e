"""The one exception every validator raises, and the helpers that build it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from core.errors import DomainError
from core.validation.messages import LANGUAGES, render

DEFAULT_LOCALE = "es_AR"
SUPPORTED_LOCALES = ("es_AR", "en")


class ValidationError(DomainError):
    """Bad input for one wizard field, with a message in the UI language.

    A :class:`~core.errors.DomainError` whose msgid is the message already rendered
    (``rendered``): it may quote what the user typed, braces included, so it is never
    formatted again; ``params`` stay for callers that render it anew.

    Attributes
    ----------
    message
        One sentence for the person who typed the value (also ``str(error)``).
    code
        Short machine reason, a key of ``core.validation.messages.MESSAGES``
        (e.g. ``"cuit_check_digit"``).
    field
        The input at fault (``"cuit"``, ``"phone"``, ``"opening_hours"``...).
    params
        The values interpolated into the message, for callers that re-render it.
    """

    rendered = True
    field: str  # always names the input at fault

    def __init__(
        self, message: str, code: str, field: str, params: Mapping[str, Any] | None = None
    ) -> None:
        super().__init__(code, message, params, field)
        self.message = message

    def __reduce__(self):
        # The default reduce replays only ``args``; keep code and field across pickling.
        return (type(self), (self.message, self.code, self.field, self.params))

    def __repr__(self) -> str:
        return (
            f"ValidationError(code={self.code!r}, field={self.field!r}, message={self.message!r})"
        )


def language(locale: object) -> str:
    """``"es"`` or ``"en"`` for a supported locale (``es_AR``, ``es-AR``, ``es``, ``en_US``...).

    An unsupported locale raises ``ValidationError`` with code ``locale_unsupported``, in
    English: without a known language, the msgid is the only text there is (as gettext).
    """
    if isinstance(locale, str):
        lang = locale.strip().replace("-", "_").split("_")[0].lower()
        if lang in LANGUAGES:
            return lang
    shown = shown_value(locale)
    raise ValidationError(
        render("locale_unsupported", "en", {"locale": shown}),
        "locale_unsupported",
        "locale",
        {"locale": shown},
    )


def fail(code: str, field: str, lang: str, **params: Any) -> ValidationError:
    """The ``ValidationError`` for ``code``, its message rendered in ``lang``."""
    return ValidationError(render(code, lang, params), code, field, params)


def shown_value(value: object, limit: int = 40) -> str:
    """User input made safe to quote in a message: printable and at most ``limit`` characters.

    Text and plain numbers are quoted; anything else by its type's name (``bytes``).
    """
    if isinstance(value, int | float) and not isinstance(value, bool):
        # repr() of a huge int raises (int_max_str_digits), and NaN fails the comparison.
        return repr(value) if abs(value) < 10**20 else "…"
    text = value if isinstance(value, str) else type(value).__name__
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return "".join(shown_char(c) if not c.isprintable() else c for c in text)


def shown_char(char: str) -> str:
    """One character as a message can show it: itself, or ``U+200B`` when invisible."""
    if char.isprintable() and not char.isspace():
        return char
    return f"U+{ord(char):04X}"
