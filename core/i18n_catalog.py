"""Keeping the translation catalog in step with the code (used by ``make i18n`` and tests).

``source_messages()`` extracts every ``_()`` and ``N_()`` string from the console's
Python code with Babel; ``update_catalog()`` merges them into ``locale/es_AR``'s ``.po``,
keeping existing translations and dropping messages the code no longer uses.
"""

from __future__ import annotations

import re
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

from core.i18n import DOMAIN, LOCALE_DIR, context_key

ROOT = Path(__file__).resolve().parents[1]
# Code that users see; tests, benchmarks and the generator are not translated.
SOURCE_DIRS = ("app_pages", "core", "dashboards", "ui", "web")
SOURCE_FILES = ("app.py", "page_registry.py")
KEYWORDS = {"_": None, "N_": None, "NP_": ((1, "c"), 2), "pgettext": ((1, "c"), 2)}
PLACEHOLDER = re.compile(r"\{(\w*)[^{}]*\}")


def source_messages() -> dict[str, list[str]]:
    """msgid -> the places (path:line) that use it; a message with a context is keyed
    ``context\\x04msgid`` (core.i18n.context_key, split again by ``split_key``)."""
    found: dict[str, list[str]] = {}

    def add(path: str, lineno: int, message: object, context: str | None) -> None:
        if isinstance(message, str) and message:
            key = context_key(context, message) if context else message
            found.setdefault(key, []).append(f"{path}:{lineno}")

    for folder in SOURCE_DIRS:
        for filename, lineno, message, _comments, context in extract_from_dir(
            ROOT / folder, method_map=[("**.py", "python")], keywords=KEYWORDS
        ):
            add(f"{folder}/{filename}", lineno, message, context)
    for name in SOURCE_FILES:
        with (ROOT / name).open("rb") as handle:
            from babel.messages.extract import extract

            for lineno, message, _comments, context in extract("python", handle, keywords=KEYWORDS):
                add(name, lineno, message, context)
    return found


def split_key(key: str) -> tuple[str, str | None]:
    """(msgid, context) of a ``source_messages`` key, as Babel's ``Catalog.get`` takes them."""
    context, separator, message = key.partition("\x04")
    return (message, context) if separator else (key, None)


def catalog_path(locale: str) -> Path:
    return LOCALE_DIR / locale / "LC_MESSAGES" / f"{DOMAIN}.po"


def load_catalog(locale: str) -> Catalog:
    path = catalog_path(locale)
    if not path.exists():
        return Catalog(locale=locale, domain=DOMAIN)
    with path.open("rb") as handle:
        return read_po(handle, locale=locale)


def placeholders(text: str) -> set[str]:
    return set(PLACEHOLDER.findall(text))


def update_catalog(locale: str = "es_AR") -> tuple[int, int]:
    """Merge the code's messages into ``locale``'s catalog; returns (messages, untranslated)."""
    old = load_catalog(locale)
    new = Catalog(locale=locale, domain=DOMAIN, project="BarberPro Command Center")
    untranslated = 0
    for key, places in sorted(source_messages().items()):
        msgid, context = split_key(key)
        previous = old.get(msgid, context)
        text = previous.string if previous is not None and not previous.fuzzy else ""
        untranslated += not text
        new.add(
            msgid,
            string=text,
            context=context,
            locations=[(p.rsplit(":", 1)[0], int(p.rsplit(":", 1)[1])) for p in places[:3]],
        )
    path = catalog_path(locale)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as handle:
        write_po(handle, new, width=100, sort_output=True)
    return len(new), untranslated


if __name__ == "__main__":
    total, missing = update_catalog()
    print(f"i18n: {total} messages in locale/es_AR, {missing} still untranslated")
