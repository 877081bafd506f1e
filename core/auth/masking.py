"""Personal data shown only to roles that need it; masked for everyone else.

Argentina's personal-data law (Ley 25.326) asks for access on a need-to-know basis and a
record of access: roles without ``VIEW_PERSONAL_DATA`` see masked values, and every view
of the clear values is audited (``RecordPersonalDataView``).
"""

from __future__ import annotations

import re
from typing import Any

DOT = "•"
PERSONAL_FIELDS = ("cuit", "email", "phone")


def mask_cuit(value: str | None) -> str | None:
    """20-12345674-1 → 20-•••••••4-1 (the kind prefix and the last digits stay)."""
    if not value:
        return value
    digits = re.sub(r"\D", "", value)
    if len(digits) != 11:
        return DOT * 6
    return f"{digits[:2]}-{DOT * 7}{digits[9]}-{digits[10]}"


def mask_email(value: str | None) -> str | None:
    """ana.gomez@dominio.com.ar → a•••@dominio.com.ar"""
    if not value:
        return value
    local, _at, domain = value.partition("@")
    return f"{local[:1]}{DOT * 3}@{domain}" if domain else DOT * 6


def mask_phone(value: str | None) -> str | None:
    """+54 9 11 5555-1234 → •••• 34 (the last two digits, to tell numbers apart)."""
    if not value:
        return value
    digits = re.sub(r"\D", "", value)
    return f"{DOT * 4} {digits[-2:]}" if len(digits) >= 6 else DOT * 4


_MASKS = {"cuit": mask_cuit, "email": mask_email, "phone": mask_phone}


def masked(record: dict[str, Any]) -> dict[str, Any]:
    """A copy of ``record`` with its personal fields masked."""
    return {key: _MASKS[key](value) if key in _MASKS else value for key, value in record.items()}
