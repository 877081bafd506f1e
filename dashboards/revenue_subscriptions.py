"""Revenue & Subscriptions: MRR, its movements, NRR/GRR, quick ratio, cohorts.

Pure functions of the ``revenue_tenant_months`` detail frame (one row per tenant per
month with MRR > 0, plus churn months; core/metrics/frames/subscriptions.py) and the
snapshot's ``tenants`` frame. The grain is the month: a month's MRR is taken on its last
day (the as-of day for the current month), and a date range covers every month it
touches. Tier, vertical, province and partner filters select tenants by their current
profile. The figures are core/metrics/revenue_figures.py's, shared with the Churn and
Lifetime Value dashboards.

Movements add up: start MRR + new + reactivation + list-price updates + plan/seat
expansion + plan/seat contraction + churn = end MRR, month by month and over the period.
NRR and GRR are 12-month figures (dashboards/kit/retention.py), whatever the date range.
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
    BRIDGE_STEPS,
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
    level_to_date_note,
    mark_month_to_date,
    month_number,
    month_range,
    no_tenant_month_data,
    tenant_months_for,
)
from dashboards.kit.retention import retention_tiles
from dashboards.theme import Colors, empty_figure, new_figure


def build_tile(
    key: str,
    value: float | None,
    previous: float | None,
    *,
    locale: str,
    note: str = "",
    period: MonthRange | None = None,
) -> Tile:
    """One KPI tile; its help is the metric's definition plus both periods' values."""
    return definition_tile(METRICS[key], value, previous, locale=locale, note=note, period=period)


# ------------------------------------------------------------------ periods and data
# Period figures; NRR and GRR (12 m, nominal and constant) follow in their own row.
REVENUE_TILES = (
    "mrr",
    "arr",
    "arpa",
    "quick_ratio",
    "gross_mrr_churn",
    "net_mrr_churn",
)
# Levels on a day, not volumes over the period: to date, they are the level on its last day.
STOCK_TILES = ("mrr", "arr", "arpa")


def bridge_parts(rows: pd.DataFrame, by: str) -> pd.DataFrame:
    """Signed ARS of each of ``BRIDGE_STEPS`` per value of ``by`` (a row's parts add up
    to its MRR change): new, reactivation and churn by movement, the price-update part
    net, the plan/seat part split by sign month by month."""
    moves = sum_by(rows, by, "movement", "change_ars")
    plan = rows["plan_seat_ars"]
    parts = rows[[by]].assign(
        price_update=rows["price_update_ars"],
        plan_seat_expansion=plan.where(plan > 0, 0.0),
        plan_seat_contraction=plan.where(plan < 0, 0.0),
    )
    out = parts.groupby(by).sum()
    for name in ("new", "reactivation", "churn"):
        out[name] = moves.get(name, 0.0)
    return out.reindex(columns=list(BRIDGE_STEPS)).fillna(0.0)


def monthly_movements(frame: pd.DataFrame, period: MonthRange) -> pd.DataFrame:
    """One row per month of the period: MRR, paying tenants and each step of the MRR
    bridge (signed ARS), with their sum ``net``."""
    rows = frame[(frame["month_index"] >= period.first) & (frame["month_index"] <= period.last)]
    moves = bridge_parts(rows, "month_index")
    paying = rows[rows["mrr_ars"] > 0].groupby("month_index")
    out = pd.DataFrame(index=pd.Index(range(period.first, period.last + 1), name="month_index"))
    out["mrr_ars"] = paying["mrr_ars"].sum()
    out["paying"] = paying["tenant_id"].nunique()
    for name in BRIDGE_STEPS:
        out[name] = moves[name]
    out = out.fillna(0.0)
    out["net"] = out[list(BRIDGE_STEPS)].sum(axis=1)
    out.insert(0, "month", month_start(out.index.to_numpy()))
    return out.reset_index(drop=True)


_MOVEMENT_STYLE = {
    "new": (N_("New"), Colors.PRIMARY),
    "reactivation": (N_("Reactivation"), "#7c3aed"),
    "price_update": (N_("List-price updates"), "#0d9488"),
    "plan_seat_expansion": (N_("Plan/seat expansion"), Colors.POSITIVE),
    "plan_seat_contraction": (N_("Plan/seat contraction"), Colors.ACCENT),
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
    # seven legend entries wrap: below the plot they cannot cover the title
    figure.update_layout(barmode="relative", legend={"y": -0.12, "yanchor": "top"})
    figure.update_xaxes(tickformat="%m/%Y", dtick="M1")
    figure.update_yaxes(tickprefix="$ ", tickformat="~s")
    return figure


def waterfall_figure(figures: dict[str, float | None], *, locale: str) -> go.Figure:
    """Start MRR → new, reactivation, list-price updates, plan/seat expansion and
    contraction, churn → end MRR."""
    _ = translator(locale)
    title = _("MRR bridge over the period")
    if not figures["mrr_start"] and not figures["mrr"]:
        return empty_figure(title=title, locale=locale, message=_("No data for these filters"))
    steps = list(BRIDGE_STEPS)
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
    *BRIDGE_STEPS,
]


def detail_table(frame: pd.DataFrame, tenants: pd.DataFrame, period: MonthRange) -> pd.DataFrame:
    """One row per tenant that paid in the period or just before: MRR at start and end,
    and each step of the MRR bridge (signed ARS; they add up to ``change``)."""
    start, end = mrr_at(frame, period.first - 1), mrr_at(frame, period.last)
    rows = frame[(frame["month_index"] >= period.first) & (frame["month_index"] <= period.last)]
    moves = bridge_parts(rows, "tenant_id")
    plan = rows.sort_values("month_index").groupby("tenant_id")["plan"].last()
    ids = sorted(set(start.index) | set(end.index) | set(moves.index))
    out = pd.DataFrame({"tenant_id": ids})
    out["mrr_start"] = out["tenant_id"].map(start).fillna(0.0)
    out["mrr_end"] = out["tenant_id"].map(end).fillna(0.0)
    out["change"] = out["mrr_end"] - out["mrr_start"]
    for name in BRIDGE_STEPS:
        out[name] = out["tenant_id"].map(moves[name]).fillna(0.0)
    out["plan"] = out["tenant_id"].map(plan)
    profile = tenants.set_index("tenant_id")
    for column in ("trade_name", "tier", "vertical", "province"):
        out[column] = out["tenant_id"].map(profile[column]) if column in profile else None
    out = out[(out["mrr_start"] > 0) | (out["mrr_end"] > 0) | (out["change"] != 0)]
    return out[DETAIL_COLUMNS].sort_values("mrr_end", ascending=False).reset_index(drop=True)


def price_note(figures: dict[str, float | None], *, constant: bool, locale: str) -> str:
    """What "of which list-price updates" covers, with the period's amounts."""
    _ = translator(locale)
    note = _(
        "Expansion in the period: {total}, of which list-price updates: {prices} "
        "(contraction: {fall}, of which list-price updates: {price_fall}). The list-price "
        "part is the whole change of a paying tenant's MRR on the days a new list price "
        "took effect, in every month, also when its plan or seats changed that month; "
        "plan/seat changes are the rest. A price update on the very day of a plan change "
        "is recorded with the plan change."
    ).format(
        total=fmt.format_money(figures["move_expansion"], locale=locale),
        prices=fmt.format_money(figures["move_price_update_expansion"], locale=locale),
        fall=fmt.format_money(figures["move_contraction"], locale=locale),
        price_fall=fmt.format_money(figures["move_price_update_contraction"], locale=locale),
    )
    if constant:
        note += " " + _(
            "In constant pesos plan/seat changes are valued at their month's prices and the "
            "list-price part is the rest of the change: the updates net of the inflation "
            "that eroded the tenant's MRR that month, so updates that only kept up with "
            "inflation add up to about zero and months without one count as contraction."
        )
    return note


# ------------------------------------------------------------------------ the view
@dataclass
class RevenueView:
    """Everything the Revenue page shows, or ``message`` when there is nothing to show."""

    message: str | None = None
    tiles: list[Tile] | None = None
    retention: list[Tile] | None = None
    retention_note: str = ""
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
    to_date = level_to_date_note(period, locale=locale)
    tiles = [
        build_tile(
            k,
            figures[k],
            previous[k],
            locale=locale,
            period=period,
            note=to_date if k in STOCK_TILES else "",
        )
        for k in REVENUE_TILES
    ]
    partial = {"month": period.month_to_date, "through": period.through, "locale": locale}
    nominal = (
        frame
        if filters.constant_ars_month is None
        else tenant_months_for(tenant_months, tenants, filters.with_(constant_ars_month=None))
    )
    retention, retention_note = retention_tiles(nominal, period.last, cpi=cpi, locale=locale)
    return RevenueView(
        tiles=tiles,
        retention=retention,
        retention_note=retention_note,
        movements=mark_month_to_date(
            movements_figure(monthly_movements(frame, period), locale=locale), **partial
        ),
        waterfall=waterfall_figure(figures, locale=locale),
        by_tier=mark_month_to_date(
            tier_figure(mrr_by_tier(frame, period), locale=locale), **partial
        ),
        by_plan=plan_figure(mrr_by_plan(frame, period), locale=locale),
        cohorts=cohort_shares(frame, tenants, period, last_month=month_number(as_of)),
        detail=detail_table(frame, tenants, period),
        price_note=price_note(
            figures, constant=filters.constant_ars_month is not None, locale=locale
        ),
    )
