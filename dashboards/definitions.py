"""Metric definitions: every metric the console shows, as the registry declares it.

One row per metric of ``core.metrics.registry`` (the headline, domain and "today so far"
metrics), translated, searchable by label, definition or key. Pure: no SQL, no Streamlit.
"""

from __future__ import annotations

import unicodedata

import pandas as pd

from core.i18n import N_, translator
from core.metrics.registry import KPI_WINDOW_DAYS, METRICS, TODAY_SO_FAR, Metric

COLUMNS = ("label", "definition", "unit", "better", "grain", "key", "source")
UNIT_NAMES = {
    "ars": N_("Pesos (ARS)"),
    "ratio": N_("Percentage"),
    "count": N_("Count"),
    "score": N_("Score (0-100)"),
    "days": N_("Days"),
    "minutes": N_("Minutes"),
    "hours": N_("Hours"),
    "multiple": N_("Multiple"),
    "months": N_("Months"),
    "number": N_("Number"),
    "text": N_("Status"),
}
GRAIN_NAMES = {
    "point": N_("At a moment (the close of the period)"),
    "window": N_("Over the {days} days up to yesterday (headline tiles)"),
    "period": N_("Over the page's period"),
    "today": N_("Today so far, against the same time a week earlier"),
    "status": N_("Now (system status)"),
}


def _fold(text: str) -> str:
    """Lower case without accents, so "configuracion" finds "configuración"."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def all_metrics() -> list[Metric]:
    return [*METRICS.values(), *TODAY_SO_FAR.values()]


def definitions_table(query: str = "", *, locale: str) -> pd.DataFrame:
    """The registry as a table (``COLUMNS``), in the user's language, keeping the rows
    whose label, definition or key contains every word of ``query``."""
    _ = translator(locale)
    better = {True: _("Higher"), False: _("Lower"), None: _("Neither")}
    rows = [
        {
            "label": _(metric.label),
            "definition": _(metric.definition),
            "unit": _(UNIT_NAMES.get(metric.unit, metric.unit)),
            "better": better[metric.higher_is_better],
            "grain": _(GRAIN_NAMES.get(metric.grain, metric.grain)).format(days=KPI_WINDOW_DAYS),
            "key": metric.key,
            "source": metric.source,
        }
        for metric in all_metrics()
    ]
    table = pd.DataFrame(rows, columns=list(COLUMNS))
    words = _fold(query).split()
    if not words:
        return table
    haystack = (table["label"] + " " + table["definition"] + " " + table["key"]).map(_fold)
    keep = haystack.map(lambda text: all(word in text for word in words))
    return table[keep].reset_index(drop=True)
