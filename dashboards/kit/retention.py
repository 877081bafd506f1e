"""Retention tiles: NRR and GRR over 12 months, in nominal and constant pesos side by side.

Shared by the Revenue and Churn & Retention pages, so both show one number. The figures
are ``core.metrics.revenue_figures.retention_figures``'; the labels and definitions are
the registry's (nrr, nrr_constant, grr, grr_constant).
"""

from __future__ import annotations

import pandas as pd

from core.i18n import N_, translator
from core.metrics.registry import METRICS
from core.metrics.revenue_figures import RETENTION_MONTHS, retention_figures
from dashboards.kit.tiles import Tile, definition_tile

RETENTION_TILES = ("nrr", "nrr_constant", "grr", "grr_constant")
NO_CPI = N_("No CPI series is loaded, so there is no constant-peso figure.")


def _month(index: int) -> str:
    return f"{index % 12 + 1:02d}/{index // 12}"  # as month_start(index) formats %m/%Y


def retention_tiles(
    nominal: pd.DataFrame, last: int, *, cpi: pd.DataFrame | None, locale: str
) -> tuple[list[Tile], str]:
    """The four tiles for the 12 months to month ``last`` (compared with the 12 months
    before), and a caption saying which months and tenants they cover.

    ``nominal``: the filtered tenant-months in nominal pesos (with ``month_index``),
    whatever the page's currency; ``cpi``: the CPI frame (None: no constant figures).
    """
    _ = translator(locale)
    now = retention_figures(nominal, last, cpi=cpi)
    before = retention_figures(nominal, last - RETENTION_MONTHS, cpi=cpi)
    months = {
        "start": _month(last - RETENTION_MONTHS),
        "end": _month(last),
        "before": _month(last - 2 * RETENTION_MONTHS),
    }
    caption = _(
        "NRR and GRR (12 m): the {tenants} tenants paying in {start}, their MRR in {end} "
        "over their MRR in {start}, in nominal and in constant pesos; compared with the "
        "same figures from {before} to {start}. They do not depend on the date range."
    ).format(tenants=int(now["base_tenants"] or 0), **months)
    tiles = []
    for key in RETENTION_TILES:
        note = _(NO_CPI) if key.endswith("_constant") and cpi is None else ""
        tiles.append(definition_tile(METRICS[key], now[key], before[key], locale=locale, note=note))
    return tiles, caption
