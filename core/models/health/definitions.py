"""The health score's vocabulary: components, bands and trend rules. Pure, no SQL.

Shared by the scoring code (``core.models.health.components`` and ``.score``, which read
the database) and the pure dashboards and pages that label, band and compare scores.
"""

from __future__ import annotations

import numpy as np

from core.i18n import N_

COMPONENTS = (
    "usage",
    "adoption",
    "billing",
    "support",
    "sentiment",
    "relationship",
    "client_base",
)
COMPONENT_LABELS = {
    "usage": N_("Usage trend"),
    "adoption": N_("Adoption"),
    "billing": N_("Billing"),
    "support": N_("Support"),
    "sentiment": N_("Sentiment (NPS)"),
    "relationship": N_("Relationship"),
    "client_base": N_("Client base"),
}

BANDS = ("red", "yellow", "green")
RED_BELOW = 40.0
GREEN_FROM = 70.0
TREND_DAYS = 7
TREND_SLACK_DAYS = 3  # if the day 7 days back is missing, look up to 3 days further back
TREND_TOLERANCE = 3.0  # points; smaller moves are "same"


def band_of(score: float | None) -> str | None:
    """red (< 40), yellow (40 to < 70), green (>= 70); None without a score."""
    if score is None or not np.isfinite(score):
        return None
    if score < RED_BELOW:
        return "red"
    return "yellow" if score < GREEN_FROM else "green"


def trend_of(delta: float | None, tolerance: float = TREND_TOLERANCE) -> str | None:
    """up / down / same for a change in points; None when there is nothing to compare."""
    if delta is None or not np.isfinite(delta):
        return None
    if delta > tolerance:
        return "up"
    return "down" if delta < -tolerance else "same"
