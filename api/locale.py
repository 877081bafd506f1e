"""The reader's locale, from Accept-Language: English by default, Spanish on request."""

from __future__ import annotations

from fastapi import Request

API_DEFAULT_LOCALE = "en"


def locale_of(request: Request) -> str:
    """English unless ``Accept-Language`` prefers Spanish (texts come translated)."""
    first = request.headers.get("accept-language", "").split(",")[0].split(";")[0]
    return "es_AR" if first.strip().lower().startswith("es") else API_DEFAULT_LOCALE
