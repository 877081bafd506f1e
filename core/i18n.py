"""Translations of UI text: gettext catalogs, Spanish (Argentina) by default, English too.

Source strings are English and are marked with ``_()`` so Babel can extract them
(``make i18n`` runs ``pybabel extract`` and ``update``). Catalogs are the ``.po`` files
under ``locale/``; they are parsed with Babel at first use, so there is no compile step
and no ``.mo`` file to keep in sync.

Usage in pure code (``dashboards/``, ``core/``), where the locale is a parameter::

    _ = translator(locale)
    title = _("Bookings by channel")
    note = _("{n} tenants").format(n=12)

Pages use ``ui.i18n._``, which reads the language the user picked.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from pathlib import Path

from babel.messages.pofile import read_po

LOCALE_DIR = Path(__file__).resolve().parents[1] / "locale"
DOMAIN = "messages"
DEFAULT_LOCALE = "es_AR"
SOURCE_LOCALE = "en"  # the language the source strings are written in
SUPPORTED_LOCALES = ("es_AR", "en")
LANGUAGE_NAMES = {"es_AR": "Español (Argentina)", "en": "English"}


def normalize_locale(value: str | None) -> str:
    """A supported locale for any user-provided value (``es``, ``es-AR``, ``EN``...)."""
    if not value:
        return DEFAULT_LOCALE
    language = value.replace("-", "_").split("_")[0].lower()
    return "en" if language == "en" else DEFAULT_LOCALE


@lru_cache(maxsize=8)
def catalog(locale: str) -> dict[str, str]:
    """msgid → translation for ``locale``; empty for the source language or no catalog."""
    if locale == SOURCE_LOCALE:
        return {}
    path = LOCALE_DIR / locale / "LC_MESSAGES" / f"{DOMAIN}.po"
    if not path.exists():
        return {}
    with path.open("rb") as handle:
        po = read_po(handle, locale=locale)
    translations: dict[str, str] = {}
    for message in po:
        if not message.id or message.fuzzy:
            continue
        msgid = message.id if isinstance(message.id, str) else message.id[0]
        if message.context:
            msgid = context_key(message.context, msgid)
        string = message.string
        text = string if isinstance(string, str) else string[0] if string else ""
        if text:
            translations[msgid] = text
    return translations


def gettext(message: str, locale: str) -> str:
    """``message`` in ``locale``; the English source when no translation exists."""
    return catalog(normalize_locale(locale)).get(message, message)


def context_key(context: str, message: str) -> str:
    """How a message with a context is keyed (GNU gettext's own ``context\\x04msgid``)."""
    return f"{context}\x04{message}"


def pgettext(context: str, message: str, locale: str) -> str:
    """``message`` in ``locale`` as meant in ``context``: one English word can need two
    Spanish ones ("Open" an invoice status, "Open" a link; "Cancelled" a booking,
    "Cancelled" a payment)."""
    return catalog(normalize_locale(locale)).get(context_key(context, message), message)


def translator(locale: str) -> Callable[[str], str]:
    """A ``_`` function bound to one locale, for code that takes ``locale`` as a parameter."""
    table = catalog(normalize_locale(locale))
    return lambda message: table.get(message, message)


def N_(message: str) -> str:  # noqa: N802 - the gettext convention
    """Mark a string for extraction without translating it yet (module-level constants)."""
    return message


def NP_(context: str, message: str) -> tuple[str, str]:  # noqa: N802 - the gettext convention
    """Mark a message with its context for extraction; translate it later with pgettext."""
    return context, message
