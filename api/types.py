"""Field types the API's models share."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import PlainSerializer, WithJsonSchema

from core.clock import ARGENTINA


def timestamp_text(moment: datetime) -> str:
    """``moment`` as every API timestamp is written (RFC 3339 with its offset)."""
    return _with_offset(moment)


def _with_offset(moment: datetime) -> str:
    # The console stores Argentine local time without an offset; a client in another
    # zone must not have to know that, so every timestamp says -03:00 (RFC 3339).
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=ARGENTINA)
    return aware.isoformat()


Timestamp = Annotated[
    datetime,
    PlainSerializer(_with_offset, return_type=str, when_used="json"),
    WithJsonSchema(
        {"type": "string", "format": "date-time", "examples": ["2026-12-07T15:06:20-03:00"]},
        mode="serialization",
    ),
]
