"""Regional Performance: provinces and cities by tenants, GMV, growth and churn, on a map.

Pure functions of the ``regions_tenant_day`` and ``regions_cities`` detail frames
(core/metrics/frames/regions.py) and the snapshot's ``tenants`` frame. A tenant counts in
its registered province and city. The map is a plain scatter on longitude/latitude axes
over a bundled outline of the country (core/reference/geo_argentina.py): no tiles, no
CDN, no topojson, so it works offline.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from core import formatting as fmt
from core.i18n import translator
from core.inflation.deflate import to_constant_ars
from core.metrics.registry import METRICS
from core.reference.geo_argentina import LATITUDE_RANGE, LONGITUDE_RANGE, OUTLINE
from dashboards.filters import Filters
from dashboards.kit import (
    NO_DATA,
    DayRange,
    Tile,
    active_on,
    day_range,
)
from dashboards.kit import definition_tile as make_tile
from dashboards.theme import Colors, empty_figure, new_figure

DEFAULT_DAYS = 91  # the default period: GMV of the last 13 weeks vs the 13 before
# Equirectangular look: a degree of longitude is cos(35°) of a degree of latitude at the
# latitude of Buenos Aires and Córdoba, where most tenants are.
ASPECT = 1 / math.cos(math.radians(35))

TILES = (
    "provinces",
    "cities",
    "active_tenants",
    "new_tenants",
    "gmv",
    "growth",
    "logo_churn",
    "top_share",
)
REGION_COLUMNS = [
    "tenants",
    "new_tenants",
    "churned",
    "active_at_start",
    "logo_churn",
    "gmv_ars",
    "gmv_previous_ars",
    "growth",
]


def _growth(now: pd.Series | float, before: pd.Series | float):  # type: ignore[no-untyped-def]
    if isinstance(now, pd.Series):
        return now / before.where(before > 0) - 1
    return None if not before else now / before - 1


def tenant_rows(tenants: pd.DataFrame, gmv_days: pd.DataFrame, period: DayRange) -> pd.DataFrame:
    """One row per tenant: region, flags for the period and GMV now and in the period before."""
    start_eve = period.start - timedelta(days=1)
    churned = pd.to_datetime(tenants["churned_on"])
    in_now = gmv_days[period.mask(gmv_days["day"])].groupby("tenant_id")["gmv_ars"].sum()
    in_before = (
        gmv_days[period.previous.mask(gmv_days["day"])].groupby("tenant_id")["gmv_ars"].sum()
    )
    at_start = active_on(tenants, start_eve)
    ids = tenants["tenant_id"]
    return tenants[["tenant_id", "trade_name", "tier", "vertical", "province", "city"]].assign(
        active=active_on(tenants, period.end).to_numpy(),
        new=period.mask(pd.to_datetime(tenants["signup_date"])).to_numpy(),
        active_at_start=at_start.to_numpy(),
        churned=(
            at_start
            & (churned >= pd.Timestamp(period.start))
            & (churned <= pd.Timestamp(period.end))
        ).to_numpy(),
        gmv_ars=ids.map(in_now).fillna(0.0).to_numpy(dtype=float),
        gmv_previous_ars=ids.map(in_before).fillna(0.0).to_numpy(dtype=float),
    )


def by_region(rows: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Tenants (active at the end), new, churn and GMV growth per region."""
    grouped = rows.groupby(keys)
    out = pd.DataFrame(
        {
            "tenants": grouped["active"].sum(),
            "new_tenants": grouped["new"].sum(),
            "churned": grouped["churned"].sum(),
            "active_at_start": grouped["active_at_start"].sum(),
            "gmv_ars": grouped["gmv_ars"].sum(),
            "gmv_previous_ars": grouped["gmv_previous_ars"].sum(),
        }
    )
    counts = ["tenants", "new_tenants", "churned", "active_at_start"]
    out[counts] = out[counts].astype("int64")
    out["logo_churn"] = out["churned"] / out["active_at_start"].where(out["active_at_start"] > 0)
    out["growth"] = _growth(out["gmv_ars"], out["gmv_previous_ars"])
    out = out[(out["tenants"] > 0) | (out["gmv_ars"] > 0) | (out["churned"] > 0)]
    return out.reset_index().sort_values("gmv_ars", ascending=False)[keys + REGION_COLUMNS]


def figures(rows: pd.DataFrame) -> dict[str, float | None]:
    provinces = by_region(rows, ["province"]) if len(rows) else pd.DataFrame()
    gmv = float(rows["gmv_ars"].sum())
    at_start = float(rows["active_at_start"].sum())
    top = float(provinces["gmv_ars"].max()) if len(provinces) else 0.0
    active = rows[rows["active"]]
    return {
        "provinces": float(active["province"].nunique()),
        "cities": float(active[["province", "city"]].drop_duplicates().shape[0]),
        "active_tenants": float(len(active)),
        "new_tenants": float(rows["new"].sum()),
        "gmv": gmv,
        "growth": _growth(gmv, float(rows["gmv_previous_ars"].sum())),
        "logo_churn": None if at_start == 0 else float(rows["churned"].sum()) / at_start,
        "top_share": None if gmv == 0 else top / gmv,
    }


# ------------------------------------------------------------------------- charts
def _growth_colour(growth: pd.Series) -> list[str]:
    return [
        Colors.FUTURE
        if pd.isna(g)
        else Colors.POSITIVE
        if g > 0.02
        else Colors.NEGATIVE
        if g < -0.02
        else Colors.ACCENT
        for g in growth
    ]


def map_figure(cities: pd.DataFrame, *, locale: str) -> go.Figure:
    """City points on longitude/latitude axes over the bundled outline of Argentina.

    Point area follows GMV, colour the GMV growth; clicking a point selects its province.
    """
    _ = translator(locale)
    title = _("Cities: GMV (size) and growth (colour)")
    placed = cities.dropna(subset=["latitude", "longitude"])
    if placed.empty:
        return empty_figure(title=title, locale=locale, message=_(NO_DATA))
    figure = new_figure(title=title, locale=locale)
    for polygon in OUTLINE:
        lons, lats = zip(*polygon, strict=True)
        figure.add_scatter(
            x=lons,
            y=lats,
            mode="lines",
            fill="toself",
            fillcolor="rgba(128, 128, 128, 0.08)",
            line={"color": Colors.AXIS, "width": 1},
            hoverinfo="skip",
            showlegend=False,
        )
    biggest = float(placed["gmv_ars"].max()) or 1.0
    sizes = 8 + 42 * np.sqrt(placed["gmv_ars"].clip(lower=0) / biggest)
    growth = [
        fmt.MISSING if pd.isna(g) else fmt.format_signed_percent(g, locale=locale)
        for g in placed["growth"]
    ]
    figure.add_scatter(
        x=placed["longitude"],
        y=placed["latitude"],
        mode="markers",
        marker={
            "size": sizes,
            "color": _growth_colour(placed["growth"]),
            "opacity": 0.75,
            "line": {"color": "white", "width": 1},
        },
        customdata=np.column_stack(
            [
                placed["province"],
                placed["city"],
                [fmt.format_money(v, locale=locale) for v in placed["gmv_ars"]],
                growth,
                placed["tenants"],
            ]
        ),
        hovertemplate="<b>%{customdata[1]}</b>, %{customdata[0]}<br>GMV %{customdata[2]} "
        "(%{customdata[3]})<br>%{customdata[4]} " + _("tenants") + "<extra></extra>",
        showlegend=False,
    )
    figure.update_xaxes(range=list(LONGITUDE_RANGE), visible=False, showgrid=False)
    figure.update_yaxes(
        range=list(LATITUDE_RANGE),
        visible=False,
        showgrid=False,
        scaleanchor="x",
        scaleratio=ASPECT,
    )
    figure.update_layout(height=640, hovermode="closest", dragmode="pan")
    return figure


def province_figure(provinces: pd.DataFrame, *, locale: str) -> go.Figure:
    """GMV per province, coloured by growth; clicking a bar filters the page to it."""
    _ = translator(locale)
    title = _("GMV by province")
    if provinces.empty or provinces["gmv_ars"].sum() == 0:
        return empty_figure(title=title, locale=locale, message=_(NO_DATA))
    rows = provinces.sort_values("gmv_ars")
    growth = [
        fmt.MISSING if pd.isna(g) else fmt.format_signed_percent(g, locale=locale)
        for g in rows["growth"]
    ]
    figure = new_figure(title=title, locale=locale)
    figure.add_bar(
        x=rows["gmv_ars"],
        y=rows["province"],
        orientation="h",
        marker={"color": _growth_colour(rows["growth"])},
        customdata=np.column_stack([rows["province"], growth, rows["tenants"]]),
        hovertemplate="$ %{x:,.0f} (%{customdata[1]}) · %{customdata[2]} "
        + _("tenants")
        + "<extra></extra>",
    )
    figure.update_xaxes(tickprefix="$ ", tickformat="~s")
    figure.update_layout(showlegend=False, hovermode="closest", height=max(320, 28 * len(rows)))
    return figure


# -------------------------------------------------------------------------- view
@dataclass
class RegionsView:
    message: str | None = None
    tiles: list[Tile] | None = None
    map: go.Figure | None = None
    provinces_chart: go.Figure | None = None
    provinces: pd.DataFrame | None = None
    cities: pd.DataFrame | None = None
    detail: pd.DataFrame | None = None


def build_view(
    frames: dict[str, pd.DataFrame],
    tenants: pd.DataFrame,
    filters: Filters,
    *,
    as_of: date,
    locale: str,
    cpi: pd.DataFrame | None = None,
) -> RegionsView:
    """The Regional Performance page; ``frames``: ``regions_tenant_day``, ``regions_cities``."""
    _ = translator(locale)
    problem = filters.problem(today=as_of, locale=locale)
    if problem:
        return RegionsView(message=problem)
    chosen = filters.filter_tenants(tenants)
    if chosen.empty:
        return RegionsView(
            message=_("No tenant matches these filters (tier, vertical, province, partner).")
        )
    period = day_range(filters, as_of=as_of, earliest=as_of - timedelta(days=DEFAULT_DAYS - 1))
    if period is None:
        return RegionsView(message=_(NO_DATA))
    gmv_days = frames["regions_tenant_day"]
    gmv_days = gmv_days[gmv_days["tenant_id"].isin(chosen["tenant_id"])]
    if filters.constant_ars_month is not None and cpi is not None and not gmv_days.empty:
        gmv_days = to_constant_ars(
            gmv_days.assign(month=gmv_days["day"].dt.to_period("M").dt.to_timestamp()),
            ["gmv_ars"],
            month_column="month",
            base_month=filters.constant_ars_month,
            cpi=cpi,
        )
    rows = tenant_rows(chosen, gmv_days, period)
    if not rows["active"].any() and rows["gmv_ars"].sum() == 0 and not rows["churned"].any():
        return RegionsView(message=_(NO_DATA))
    now, before = figures(rows), figures(tenant_rows(chosen, gmv_days, period.previous))
    provinces = by_region(rows, ["province"])
    cities = by_region(rows, ["province", "city"]).merge(
        frames["regions_cities"][["province", "city", "latitude", "longitude"]],
        on=["province", "city"],
        how="left",
    )
    detail = rows.drop(columns=["active", "new", "active_at_start"]).assign(
        growth=_growth(rows["gmv_ars"], rows["gmv_previous_ars"])
    )
    return RegionsView(
        tiles=[
            make_tile(METRICS[k], now[k], before[k], locale=locale, period=period) for k in TILES
        ],
        map=map_figure(cities, locale=locale),
        provinces_chart=province_figure(provinces, locale=locale),
        provinces=provinces.reset_index(drop=True),
        cities=cities.reset_index(drop=True),
        detail=detail.sort_values("gmv_ars", ascending=False).reset_index(drop=True),
    )
