"""Tenant directory: filter the snapshot's tenant table and format it for reading."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd
from pandas.io.formats.style import Styler

from core import formatting as fmt
from core.i18n import N_

FILTER_COLUMNS = ("tier", "vertical", "province", "status")
FILTER_LABELS = {
    "tier": N_("Tier"),
    "vertical": N_("Vertical"),
    "province": N_("Province"),
    "status": N_("Status"),
}
# Values translated in the filters (provinces are proper names and stay as they are).
TRANSLATED_VALUES = ("tier", "vertical", "status")
SEARCH_COLUMNS = ("trade_name", "city", "province")
SHOWN_COLUMNS = [
    "trade_name",
    "tenant_id",
    "vertical",
    "tier",
    "plan",
    "province",
    "city",
    "status",
    "signup_date",
    "churned_on",
    "mrr_ars",
    "bookings_28d",
    "bookings_prev_28d",
    "gmv_28d",
    "no_show_rate_28d",
]


@dataclass(frozen=True)
class TenantFilter:
    search: str = ""
    # column -> allowed values; an empty selection means "any".
    allowed: dict[str, list[str]] = field(default_factory=dict)


def filter_options(tenants: pd.DataFrame) -> dict[str, list[str]]:
    """The distinct values of each filterable column, sorted."""
    return {
        column: sorted(str(v) for v in tenants[column].dropna().unique())
        for column in FILTER_COLUMNS
        if column in tenants
    }


def filter_tenants(tenants: pd.DataFrame, selection: TenantFilter) -> pd.DataFrame:
    """Rows matching every chosen filter and containing the search text (case-insensitive)."""
    keep = pd.Series(True, index=tenants.index)
    for column, values in selection.allowed.items():
        if values:
            keep &= tenants[column].astype(str).isin(values)
    needle = selection.search.strip().casefold()
    if needle:
        text = pd.Series("", index=tenants.index)
        for column in SEARCH_COLUMNS:
            if column in tenants:
                text = text + " " + tenants[column].fillna("").astype(str).str.casefold()
        keep &= text.str.contains(needle, regex=False)
    columns = [c for c in SHOWN_COLUMNS if c in tenants]
    return tenants.loc[keep, columns].sort_values("trade_name").reset_index(drop=True)


def style_directory(frame: pd.DataFrame, *, locale: str = fmt.DEFAULT_LOCALE) -> Styler:
    """Locale-formatted money, counts, rates and dates; values stay sortable."""
    money = lambda v: fmt.format_money(v, locale=locale)  # noqa: E731
    count = lambda v: fmt.format_count(v, locale=locale)  # noqa: E731
    day = lambda v: fmt.format_date(v if pd.notna(v) else None, locale=locale)  # noqa: E731
    formats = {
        "mrr_ars": money,
        "gmv_28d": money,
        "bookings_28d": count,
        "bookings_prev_28d": count,
        "no_show_rate_28d": lambda v: fmt.format_percent(v, locale=locale),
        "signup_date": day,
        "churned_on": day,
    }
    return frame.style.format({k: f for k, f in formats.items() if k in frame})
