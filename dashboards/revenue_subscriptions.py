"""Revenue & Subscriptions: MRR, its movements, NRR/GRR, quick ratio, cohorts.

Pure functions of the ``revenue_tenant_months`` detail frame (one row per tenant per
month with MRR > 0, plus churn months; core/metrics/frames/subscriptions.py) and the
snapshot's ``tenants`` frame. The grain is the month: a month's MRR is taken on its last
day (the as-of day for the current month), and a date range covers every month it
touches. Tier, vertical, province and partner filters select tenants by their current
profile. The figures are core/metrics/revenue_figures.py's, shared with the Churn and
Lifetime Value dashboards.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pandas as pd
import plotly.graph_objects as go

from core import formatting as fmt
from core.i18n import N_, translator
from core.metrics.mrr_months import month_start
from core.metrics.registry import METRICS
from core.metrics.revenue_figures import (
    cohort_shares,
    mrr_at,
    revenue_figures,
    sum_by,
)
from dashboards.filters import Filters
from dashboards.kit import (
    MonthRange,
    Tile,
    definition_tile,
    month_number,
    month_range,
    no_tenant_month_data,
    tenant_months_for,
)
from dashboards.theme import Colors, empty_figure, new_figure


def build_tile(
    key: str, value: float | None, previous: float | None, *, locale: str, note: str = ""
) -> Tile:
    """One KPI tile; its help is the metric's definition plus both values."""
    return definition_tile(METRICS[key], value, previous, locale=locale, note=note)


# ------------------------------------------------------------------ periods and data
REVENUE_TILES = (
    "mrr",
    "arr",
    "arpa",
    "nrr",
    "grr",
    "quick_ratio",
    "gross_mrr_churn",
    "net_mrr_churn",
)


def build_tiles(frame: pd.DataFrame, period: MonthRange, *, locale: str) -> list[Tile]:
    now, before = revenue_figures(frame, period), revenue_figures(frame, period.previous)
    return [build_tile(k, now[k], before[k], locale=locale) for k in REVENUE_TILES]


def monthly_movements(frame: pd.DataFrame, period: MonthRange) -> pd.DataFrame:
    """One row per month of the period: MRR, paying tenants and each movement (signed ARS)."""
    rows = frame[(frame["month_index"] >= period.first) & (frame["month_index"] <= period.last)]
    moves = sum_by(rows, "month_index", "movement", "change_ars")
    paying = rows[rows["mrr_ars"] > 0].groupby("month_index")
    out = pd.DataFrame(index=pd.Index(range(period.first, period.last + 1), name="month_index"))
    out["mrr_ars"] = paying["mrr_ars"].sum()
    out["paying"] = paying["tenant_id"].nunique()
    for name in ("new", "reactivation", "expansion", "contraction", "churn"):
        out[name] = moves.get(name, 0.0)
    out = out.fillna(0.0)
    out["net"] = out[["new", "reactivation", "expansion", "contraction", "churn"]].sum(axis=1)
    out.insert(0, "month", month_start(out.index.to_numpy()))
    return out.reset_index(drop=True)


_MOVEMENT_STYLE = {
    "new": (N_("New"), Colors.PRIMARY),
    "reactivation": (N_("Reactivation"), "#7c3aed"),
    "expansion": (N_("Expansion"), Colors.POSITIVE),
    "contraction": (N_("Contraction"), Colors.ACCENT),
    "churn": (N_("Churn"), Colors.NEGATIVE),
}


def _month_labels(months: pd.Series | pd.DatetimeIndex) -> list[str]:
    return [pd.Timestamp(m).strftime("%Y-%m") for m in months]


def movements_figure(monthly: pd.DataFrame, *, locale: str) -> go.Figure:
    """Stacked movements per month (gains up, losses down) with the net change line."""
    _ = translator(locale)
    title = _("MRR movements by month")
    if monthly.empty or not monthly[list(_MOVEMENT_STYLE)].abs().to_numpy().any():
        return empty_figure(title=title, locale=locale, message=_("No data for these filters"))
    figure = new_figure(title=title, locale=locale)
    for name, (label, colour) in _MOVEMENT_STYLE.items():
        figure.add_bar(
            x=monthly["month"],
            y=monthly[name],
            name=_(label),
            marker={"color": colour},
            hovertemplate="%{y:,.0f}<extra>" + _(label) + "</extra>",
        )
    figure.add_scatter(
        x=monthly["month"],
        y=monthly["net"],
        name=_("Net change"),
        mode="lines+markers",
        line={"color": Colors.TEXT, "width": 2},
        hovertemplate="%{y:,.0f}<extra>" + _("Net change") + "</extra>",
    )
    # six legend entries wrap: below the plot they cannot cover the title
    figure.update_layout(barmode="relative", legend={"y": -0.12, "yanchor": "top"})
    figure.update_xaxes(tickformat="%m/%Y", dtick="M1")
    figure.update_yaxes(tickprefix="$ ", tickformat="~s")
    return figure


def waterfall_figure(figures: dict[str, float | None], *, locale: str) -> go.Figure:
    """Start MRR → new, reactivation, expansion, contraction, churn → end MRR."""
    _ = translator(locale)
    title = _("MRR bridge over the period")
    if not figures["mrr_start"] and not figures["mrr"]:
        return empty_figure(title=title, locale=locale, message=_("No data for these filters"))
    steps = ["new", "reactivation", "expansion", "contraction", "churn"]
    labels = [_("Start MRR"), *(_(_MOVEMENT_STYLE[s][0]) for s in steps), _("End MRR")]
    values = [figures["mrr_start"], *(figures[f"move_{s}"] for s in steps), figures["mrr"]]
    figure = new_figure(title=title, locale=locale)
    figure.add_trace(
        go.Waterfall(
            x=labels,
            y=values,
            measure=["absolute", *["relative"] * len(steps), "total"],
            increasing={"marker": {"color": Colors.POSITIVE}},
            decreasing={"marker": {"color": Colors.NEGATIVE}},
            totals={"marker": {"color": Colors.PRIMARY}},
            connector={"line": {"color": Colors.AXIS}},
            text=[fmt.format_money_compact(v, locale=locale) for v in values],
            textposition="outside",
            hoverinfo="skip",
        )
    )
    figure.update_yaxes(tickprefix="$ ", tickformat="~s")
    figure.update_layout(showlegend=False, hovermode=False)
    return figure


def mrr_by_tier(frame: pd.DataFrame, period: MonthRange) -> pd.DataFrame:
    """MRR per month and tier (the tier of each month's subscription)."""
    rows = frame[
        (frame["month_index"] >= period.first)
        & (frame["month_index"] <= period.last)
        & (frame["mrr_ars"] > 0)
    ]
    table = rows.groupby(["month", "tier"], as_index=False)["mrr_ars"].sum()
    return table.sort_values(["month", "tier"]).reset_index(drop=True)


def tier_figure(by_tier: pd.DataFrame, *, locale: str) -> go.Figure:
    _ = translator(locale)
    title = _("MRR by tier")
    if by_tier.empty:
        return empty_figure(title=title, locale=locale, message=_("No data for these filters"))
    figure = new_figure(title=title, locale=locale)
    for tier, rows in by_tier.groupby("tier", sort=True):
        figure.add_bar(
            x=rows["month"],
            y=rows["mrr_ars"],
            name=_(str(tier)),
            customdata=[[tier]] * len(rows),
            hovertemplate="%{y:,.0f}<extra>" + _(str(tier)) + "</extra>",
        )
    figure.update_layout(barmode="stack")
    figure.update_xaxes(tickformat="%m/%Y", dtick="M1")
    figure.update_yaxes(tickprefix="$ ", tickformat="~s")
    return figure


def mrr_by_plan(frame: pd.DataFrame, period: MonthRange) -> pd.DataFrame:
    """MRR and paying tenants per plan and tier in the period's last month."""
    rows = frame[(frame["month_index"] == period.last) & (frame["mrr_ars"] > 0)]
    table = rows.groupby(["tier", "plan"], as_index=False).agg(
        mrr_ars=("mrr_ars", "sum"), tenants=("tenant_id", "nunique")
    )
    return table.sort_values("mrr_ars", ascending=False).reset_index(drop=True)


def plan_figure(by_plan: pd.DataFrame, *, locale: str) -> go.Figure:
    _ = translator(locale)
    title = _("MRR by plan at the end of the period")
    if by_plan.empty:
        return empty_figure(title=title, locale=locale, message=_("No data for these filters"))
    figure = new_figure(title=title, locale=locale)
    for plan, rows in by_plan.groupby("plan", sort=True):
        figure.add_bar(
            x=[_(str(t)) for t in rows["tier"]],
            y=rows["mrr_ars"],
            name=str(plan),
            customdata=[[t] for t in rows["tier"]],
            hovertemplate="%{y:,.0f}<extra>" + str(plan) + "</extra>",
        )
    figure.update_layout(
        barmode="stack", hovermode="closest", legend={"y": -0.12, "yanchor": "top"}
    )
    figure.update_yaxes(tickprefix="$ ", tickformat="~s")
    return figure


DETAIL_COLUMNS = [
    "tenant_id",
    "trade_name",
    "tier",
    "plan",
    "vertical",
    "province",
    "mrr_start",
    "mrr_end",
    "change",
    "new",
    "reactivation",
    "expansion",
    "contraction",
    "churn",
    "price_updates",
]


def detail_table(frame: pd.DataFrame, tenants: pd.DataFrame, period: MonthRange) -> pd.DataFrame:
    """One row per tenant that paid in the period or just before: MRR at start and end,
    and each movement's total (signed ARS)."""
    start, end = mrr_at(frame, period.first - 1), mrr_at(frame, period.last)
    rows = frame[(frame["month_index"] >= period.first) & (frame["month_index"] <= period.last)]
    moves = sum_by(rows, "tenant_id", "movement", "change_ars")
    prices = rows[rows["price_update"]].groupby("tenant_id")["change_ars"].sum()
    plan = rows.sort_values("month_index").groupby("tenant_id")["plan"].last()
    ids = sorted(set(start.index) | set(end.index) | set(moves.index))
    out = pd.DataFrame({"tenant_id": ids})
    out["mrr_start"] = out["tenant_id"].map(start).fillna(0.0)
    out["mrr_end"] = out["tenant_id"].map(end).fillna(0.0)
    out["change"] = out["mrr_end"] - out["mrr_start"]
    for name in ("new", "reactivation", "expansion", "contraction", "churn"):
        out[name] = out["tenant_id"].map(moves[name]).fillna(0.0) if name in moves else 0.0
    out["price_updates"] = out["tenant_id"].map(prices).fillna(0.0)
    out["plan"] = out["tenant_id"].map(plan)
    profile = tenants.set_index("tenant_id")
    for column in ("trade_name", "tier", "vertical", "province"):
        out[column] = out["tenant_id"].map(profile[column]) if column in profile else None
    out = out[(out["mrr_start"] > 0) | (out["mrr_end"] > 0) | (out["change"] != 0)]
    return out[DETAIL_COLUMNS].sort_values("mrr_end", ascending=False).reset_index(drop=True)


# ------------------------------------------------------------------------ the view
@dataclass
class RevenueView:
    """Everything the Revenue page shows, or ``message`` when there is nothing to show."""

    message: str | None = None
    tiles: list[Tile] | None = None
    movements: go.Figure | None = None
    waterfall: go.Figure | None = None
    by_tier: go.Figure | None = None
    by_plan: go.Figure | None = None
    cohorts: pd.DataFrame | None = None
    detail: pd.DataFrame | None = None
    price_note: str = ""


def build_view(
    tenant_months: pd.DataFrame,
    tenants: pd.DataFrame,
    filters: Filters,
    *,
    as_of: date,
    locale: str,
    cpi: pd.DataFrame | None = None,
) -> RevenueView:
    """The Revenue & Subscriptions page for these filters."""
    _ = translator(locale)
    message = no_tenant_month_data(tenant_months, tenants, filters, as_of=as_of, locale=locale)
    earliest = pd.Timestamp(tenant_months["month"].min()).date() if len(tenant_months) else None
    period = month_range(filters, as_of=as_of, earliest=earliest)
    if message is None and period is None:
        message = _("No data for these filters")
    if message is not None or period is None:
        return RevenueView(message=message)
    frame = tenant_months_for(tenant_months, tenants, filters, cpi=cpi)
    figures = revenue_figures(frame, period)
    if not figures["mrr"] and not figures["mrr_start"]:
        return RevenueView(message=_("No data for these filters"))
    previous = revenue_figures(frame, period.previous)
    tiles = [build_tile(k, figures[k], previous[k], locale=locale) for k in REVENUE_TILES]
    expansion = figures["move_expansion"] or 0.0
    price_note = _(
        "Expansion in the period: {total}, of which list-price updates for inflation: {prices}."
    ).format(
        total=fmt.format_money(expansion, locale=locale),
        prices=fmt.format_money(figures["move_price_update_expansion"], locale=locale),
    )
    return RevenueView(
        tiles=tiles,
        movements=movements_figure(monthly_movements(frame, period), locale=locale),
        waterfall=waterfall_figure(figures, locale=locale),
        by_tier=tier_figure(mrr_by_tier(frame, period), locale=locale),
        by_plan=plan_figure(mrr_by_plan(frame, period), locale=locale),
        cohorts=cohort_shares(frame, tenants, period, last_month=month_number(as_of)),
        detail=detail_table(frame, tenants, period),
        price_note=price_note,
    )
