"""Customer Health: band tiles, score distribution, bands over time, components, movers.

Pure functions of the detail frames ``health_latest``, ``health_history`` and
``health_weights`` (see ``core/metrics/frames/health.py``) plus the filters; no
Streamlit, no SQL. "7 days ago" is the stored day 7 days before the newest one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

import pandas as pd
import plotly.graph_objects as go

from core import formatting as fmt
from core.i18n import N_, translator
from core.metrics.registry import METRICS
from core.models.health.definitions import (
    COMPONENT_LABELS,
    COMPONENTS,
    GREEN_FROM,
    RED_BELOW,
    TREND_DAYS,
)
from core.vocabulary import TIERS
from dashboards.filters import Filters
from dashboards.kit import Tile, metric_tile
from dashboards.theme import Colors, empty_figure, new_figure

BANDS = ("green", "yellow", "red")
BAND_LABELS = {"green": N_("Green"), "yellow": N_("Yellow"), "red": N_("Red")}
BAND_COLORS = {"green": Colors.POSITIVE, "yellow": "#eab308", "red": Colors.NEGATIVE}
# Seven components need seven colours; the template's colorway has six.
COMPONENT_COLORS = dict(
    zip(COMPONENTS, [Colors.PRIMARY, Colors.SECONDARY, Colors.ACCENT, "#7c3aed", "#db2777",
                     "#64748b", "#0891b2"], strict=True)
)  # fmt: skip
MOVERS_SHOWN = 10
BIN_WIDTH = 5
TABLE_COLUMNS = (
    "tenant_id", "trade_name", "tier", "vertical", "province", "score", "band", "delta_7d",
    "trend_7d", "weakest", *(f"{c}_score" for c in COMPONENTS), "missing",
)  # fmt: skip


@dataclass
class HealthView:
    """Everything the page shows, or ``message`` when there is nothing to show."""

    message: str | None = None
    # True when the message says no job has stored scores yet (not "no tenant matches"):
    # the page shows the health job's failure or first run in its place when there is one.
    waiting_for_job: bool = False
    day: date | None = None
    tiles: list[Tile] = field(default_factory=list)
    distribution: go.Figure | None = None
    bands_over_time: go.Figure | None = None
    components: go.Figure | None = None
    contributions: go.Figure | None = None
    improved: pd.DataFrame | None = None
    declined: pd.DataFrame | None = None
    table: pd.DataFrame | None = None
    missing_note: str | None = None


# ------------------------------------------------------------------------ numbers
def filter_latest(latest: pd.DataFrame, filters: Filters) -> pd.DataFrame:
    return latest[filters.tenant_mask(latest)].reset_index(drop=True)


def filter_history(history: pd.DataFrame, tenants: pd.DataFrame, filters: Filters) -> pd.DataFrame:
    """History rows of tenants passing the filters (profile from ``tenants``)."""
    if not filters.narrows_tenants:
        return history
    keep = set(filters.filter_tenants(tenants)["tenant_id"].astype(int))
    return history[history["tenant_id"].astype(int).isin(keep)]


def band_counts(history: pd.DataFrame) -> pd.DataFrame:
    """Tenants per band per stored day (columns green, yellow, red), days ascending."""
    counts = history.dropna(subset=["band"]).pivot_table(
        index="day", columns="band", values="tenant_id", aggfunc="count", fill_value=0
    )
    return counts.reindex(columns=list(BANDS), fill_value=0).sort_index()


def week_ago(history: pd.DataFrame, day: date) -> pd.DataFrame:
    """History rows of the day 7 days before ``day`` (empty if that day was not stored)."""
    then = pd.Timestamp(day - timedelta(days=TREND_DAYS))
    return history[pd.to_datetime(history["day"]) == then]


def component_means(latest: pd.DataFrame) -> pd.DataFrame:
    """Mean score of each component (columns) per tier (rows), missing ones left out."""
    columns = [f"{c}_score" for c in COMPONENTS]
    means = latest.groupby("tier", observed=True)[columns].mean()
    means.columns = list(COMPONENTS)
    return means.reindex([t for t in TIERS if t in means.index])


def movers(latest: pd.DataFrame, n: int = MOVERS_SHOWN) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(most improved, most declined) over 7 days: rows with a 7-day delta, by size."""
    columns = ["tenant_id", "trade_name", "tier", "score", "delta_7d", "band", "weakest"]
    moved = latest.dropna(subset=["delta_7d"])
    improved = moved[moved["delta_7d"] > 0].sort_values(
        ["delta_7d", "tenant_id"], ascending=[False, True]
    )
    declined = moved[moved["delta_7d"] < 0].sort_values(["delta_7d", "tenant_id"])
    return (
        improved.head(n)[columns].reset_index(drop=True),
        declined.head(n)[columns].reset_index(drop=True),
    )


def missing_counts(latest: pd.DataFrame) -> pd.Series:
    """Tenants missing each component (components with none left out)."""
    names = latest["missing"].fillna("").str.split(",").explode()
    counts = names[names != ""].value_counts()
    return counts.reindex([c for c in COMPONENTS if c in counts.index])


# ----------------------------------------------------------------------- figures
def _label(component: str, locale: str) -> str:
    return translator(locale)(COMPONENT_LABELS[component])


def distribution_figure(latest: pd.DataFrame, *, locale: str) -> go.Figure:
    _ = translator(locale)
    title = _("Score distribution")
    scored = latest.dropna(subset=["score"])
    if scored.empty:
        return empty_figure(title=title, locale=locale, message=_("No data for these filters"))
    figure = new_figure(title=title, locale=locale)
    for band in reversed(BANDS):
        part = scored[scored["band"] == band]
        figure.add_histogram(
            x=part["score"],
            xbins={"start": 0, "end": 100 + BIN_WIDTH, "size": BIN_WIDTH},
            name=_(BAND_LABELS[band]),
            marker={"color": BAND_COLORS[band]},
            hovertemplate="%{x}: %{y}<extra>" + _(BAND_LABELS[band]) + "</extra>",
        )
    figure.update_layout(barmode="stack", hovermode="closest")
    figure.update_xaxes(range=[0, 100 + BIN_WIDTH], title={"text": _("Health score")})
    figure.update_yaxes(title={"text": _("Tenants")})
    for edge in (RED_BELOW, GREEN_FROM):
        figure.add_vline(x=edge, line={"color": Colors.AXIS, "dash": "dot", "width": 1})
    return figure


def bands_figure(counts: pd.DataFrame, *, locale: str) -> go.Figure:
    _ = translator(locale)
    title = _("Tenants per band over time")
    if counts.empty:
        return empty_figure(title=title, locale=locale, message=_("No data for these filters"))
    figure = new_figure(title=title, locale=locale)
    for band in reversed(BANDS):
        figure.add_bar(
            x=counts.index,
            y=counts[band],
            name=_(BAND_LABELS[band]),
            marker={"color": BAND_COLORS[band]},
            hovertemplate="%{y}<extra>" + _(BAND_LABELS[band]) + "</extra>",
        )
    figure.update_layout(barmode="stack")
    figure.update_xaxes(tickformat="%d/%m", hoverformat="%d/%m/%Y")
    return figure


def components_figure(means: pd.DataFrame, *, locale: str) -> go.Figure:
    _ = translator(locale)
    title = _("Average component score by tier")
    if means.empty or means.isna().all().all():
        return empty_figure(title=title, locale=locale, message=_("No data for these filters"))
    figure = new_figure(title=title, locale=locale)
    labels = [_label(c, locale) for c in means.columns]
    for tier in means.index:
        figure.add_bar(
            x=labels,
            y=means.loc[tier].to_numpy(),
            name=_(str(tier)),
            hovertemplate="%{x}: %{y:.0f}<extra>" + _(str(tier)) + "</extra>",
        )
    figure.update_layout(barmode="group")
    figure.update_yaxes(range=[0, 100])
    return figure


def contributions_figure(weights: pd.DataFrame, tiers: list[str], *, locale: str) -> go.Figure:
    _ = translator(locale)
    title = _("Weight of each component (% of the score) by tier")
    shown = weights[weights["tier"].isin(tiers)] if tiers else weights
    if shown.empty:
        return empty_figure(title=title, locale=locale, message=_("No data for these filters"))
    figure = new_figure(title=title, locale=locale)
    order = [t for t in TIERS if t in set(shown["tier"])]
    for component in COMPONENTS:
        part = shown[shown["component"] == component].set_index("tier").reindex(order)
        figure.add_bar(
            y=[_(t) for t in order],
            x=part["pct"].to_numpy(),
            orientation="h",
            name=_label(component, locale),
            marker={"color": COMPONENT_COLORS[component]},
            hovertemplate="%{x:.0f}%<extra>" + _label(component, locale) + "</extra>",
        )
    figure.update_layout(
        barmode="stack",
        hovermode="closest",
        legend={"orientation": "h", "y": -0.12, "yanchor": "top", "x": 0, "xanchor": "left"},
        margin={"b": 90},
    )
    figure.update_xaxes(range=[0, 100], ticksuffix="%")
    return figure


# -------------------------------------------------------------------------- tiles
# The registry's metric of each band's count.
BAND_METRICS = {"green": "green_tenants", "yellow": "yellow_tenants", "red": "red_tenants"}


def _count_tile(band: str, now: int, before: int | None, total: int, *, locale: str) -> Tile:
    _ = translator(locale)
    share = fmt.format_percent(now / total if total else None, locale=locale)
    note = _("Red below {red}, green from {green}. {share} of the scored tenants.").format(
        red=int(RED_BELOW), green=int(GREEN_FROM), share=share
    )
    return metric_tile(METRICS[BAND_METRICS[band]], now, before, locale=locale, note=note)


def build_tiles(latest: pd.DataFrame, before: pd.DataFrame | None, *, locale: str) -> list[Tile]:
    scored = latest.dropna(subset=["score"])
    counts = scored["band"].value_counts()
    then = None if before is None or before.empty else before["band"].value_counts()
    tiles = [
        _count_tile(
            band,
            int(counts.get(band, 0)),
            None if then is None else int(then.get(band, 0)),
            len(scored),
            locale=locale,
        )
        for band in BANDS
    ]
    mean = float(scored["score"].mean()) if len(scored) else None
    previous = None
    if before is not None and not before.dropna(subset=["score"]).empty:
        previous = float(before["score"].mean())
    tiles.append(metric_tile(METRICS["mean_health_score"], mean, previous, locale=locale))
    return tiles


# ---------------------------------------------------------------------- the view
def detail_table(latest: pd.DataFrame, *, locale: str) -> pd.DataFrame:
    _ = translator(locale)
    table = latest.loc[:, list(TABLE_COLUMNS)].copy()
    table["weakest"] = [
        _label(w, locale) if isinstance(w, str) and w in COMPONENT_LABELS else None
        for w in table["weakest"]
    ]
    table["missing"] = [
        ", ".join(_label(m, locale) for m in str(names).split(",") if m in COMPONENT_LABELS)
        for names in table["missing"].fillna("")
    ]
    for column in ("score", "delta_7d", *(f"{c}_score" for c in COMPONENTS)):
        table[column] = table[column].astype(float).round(1)
    return table.sort_values(["score", "tenant_id"], na_position="first").reset_index(drop=True)


def build_view(
    latest: pd.DataFrame,
    history: pd.DataFrame,
    weights: pd.DataFrame,
    tenants: pd.DataFrame,
    filters: Filters,
    *,
    locale: str,
) -> HealthView:
    """The Customer Health page for these filters."""
    _ = translator(locale)
    if latest.empty:
        return HealthView(
            message=_(
                "No health scores yet: the health_scores job computes them (hourly) and "
                "fills in the history the first time it runs."
            ),
            waiting_for_job=True,
        )
    day = pd.Timestamp(latest["day"].max()).date()
    shown = filter_latest(latest, filters)
    if shown.empty:
        return HealthView(
            message=_("No tenant matches these filters (tier, vertical, province, partner)."),
            day=day,
        )
    past = filter_history(history, tenants if len(tenants) else latest, filters)
    before = week_ago(past, day)
    improved, declined = movers(shown)
    missing = missing_counts(shown)
    note = None
    if len(missing):
        note = _(
            "Missing components are left out of a tenant's score and the others re-weighted: "
            "{items}."
        ).format(
            items="; ".join(
                _("{component} for {n} tenants").format(component=_label(c, locale), n=int(n))
                for c, n in missing.items()
            )
        )
    tiers = sorted(set(shown["tier"].dropna()), key=lambda t: TIERS.index(t) if t in TIERS else 9)
    return HealthView(
        day=day,
        tiles=build_tiles(shown, before if len(before) else None, locale=locale),
        distribution=distribution_figure(shown, locale=locale),
        bands_over_time=bands_figure(band_counts(past), locale=locale),
        components=components_figure(component_means(shown), locale=locale),
        contributions=contributions_figure(weights, tiers, locale=locale),
        improved=improved,
        declined=declined,
        table=detail_table(shown, locale=locale),
        missing_note=note,
    )
