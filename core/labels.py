"""How stored codes (verticals, tiers) read in the UI, in the user's language."""

from __future__ import annotations

from core.i18n import N_, gettext

VERTICAL_LABELS = {
    "barbershop": N_("Barbershop"),
    "salon": N_("Hair salon"),
    "spa": N_("Spa"),
    "nails": N_("Nail studio"),
}
TIER_LABELS = {
    "starter": N_("Starter"),
    "pro": N_("Pro"),
    "enterprise": N_("Enterprise"),
}
_ALL = {"vertical": VERTICAL_LABELS, "tier": TIER_LABELS}


def code_label(kind: str, code: object, locale: str) -> str:
    """The translated label of a stored code; the code itself when it has none."""
    label = _ALL.get(kind, {}).get(str(code))
    return gettext(label, locale) if label else str(code)
