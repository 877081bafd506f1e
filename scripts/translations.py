"""Work with the es_AR catalog in bulk: list untranslated messages as JSON, or merge a JSON
file of {msgid: translation} into the catalog (after `make i18n`)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from babel.messages.pofile import write_po

from core.i18n_catalog import catalog_path, load_catalog, placeholders


def untranslated() -> list[str]:
    return [m.id for m in load_catalog("es_AR") if m.id and not m.string]


def merge(path: str) -> int:
    catalog = load_catalog("es_AR")
    translations = json.loads(Path(path).read_text(encoding="utf-8"))
    merged = 0
    for msgid, text in translations.items():
        message = catalog.get(msgid)
        if message is None or not text:
            continue
        if placeholders(msgid) != placeholders(text):
            print(f"placeholders differ, skipped: {msgid!r}", file=sys.stderr)
            continue
        message.string = text
        message.flags.discard("fuzzy")
        merged += 1
    with catalog_path("es_AR").open("wb") as handle:
        write_po(handle, catalog, width=100, sort_output=True)
    return merged


if __name__ == "__main__":
    if sys.argv[1:2] == ["list"]:
        print(json.dumps(untranslated(), ensure_ascii=False, indent=0))
    elif sys.argv[1:2] == ["merge"]:
        print(f"merged {merge(sys.argv[2])} translations")
    else:
        print("usage: python -m scripts.translations list | merge FILE.json")
