"""Revenue & Subscriptions: MRR, its movements, NRR/GRR, quick ratio, cohorts.

Pure functions of the ``revenue_tenant_months`` detail frame (one row per tenant per
month with MRR > 0, plus churn months; core/metrics/frames/subscriptions.py) and the
snapshot's ``tenants`` frame. The grain is the month: a month's MRR is taken on its last
day (the as-of day for the current month), and a date range covers every month it
touches. Tier, vertical, province and partner filters select tenants by their current
profile. The Churn and Lifetime Value dashboards reuse ``prepare`` and ``MonthRange``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from core import formatting as fmt
from core.i18n import N_, translator
from core.inflation import to_constant_ars
from core.metrics.mrr_months import classify_movements, month_index, month_start
from dashboards.filters import Filters
from dashboards.kit import (
    Definition,
    MonthRange,
    Tile,
    definition_tile,
    month_number,
    month_range,
)
from dashboards.theme import Colors, empty_figure, new_figure

_PRICE_NOTE = N_(
    "List-price updates for inflation count as expansion (ChartMogul's convention); in "
    "constant ARS, movements are recomputed from restated MRR, so an update that only "
    "matched inflation is about zero."
)
# Every revenue, churn and LTV figure is declared once here; tiles' help text comes from it.
DEFINITIONS: dict[str, Definition] = {
    d.key: d
    for d in [
        Definition(
            "mrr",
            N_("MRR"),
            "ars",
            N_(
                "Monthly recurring revenue: the monthly plan prices (ARS) of every subscription "
                "period open on the last day of the period's last month (today for this month)."
            ),
        ),
        Definition("arr", N_("ARR"), "ars", N_("Annual recurring revenue: 12 × MRR.")),
        Definition(
            "arpa",
            N_("ARPA"),
            "ars",
            N_(
                "Average revenue per account: MRR divided by the tenants paying at the end of "
                "the period."
            ),
        ),
        Definition(
            "nrr",
            N_("NRR"),
            "ratio",
            N_(
                "Net revenue retention: MRR at the end of the period of the tenants that were "
                "paying at its start, over their MRR at its start (expansion, contraction and "
                "churn count; new tenants do not)."
            ),
        ),
        Definition(
            "grr",
            N_("GRR"),
            "ratio",
            N_(
                "Gross revenue retention: like NRR but each tenant counts at most its starting "
                "MRR, so only contraction and churn move it."
            ),
        ),
        Definition(
            "quick_ratio",
            N_("Quick ratio"),
            "multiple",
            N_(
                "(New + expansion MRR) / (contraction + churned MRR) over the period; above 1 "
                "the business grows. Reactivations are not counted."
            ),
        ),
        Definition(
            "gross_mrr_churn",
            N_("Gross MRR churn"),
            "ratio",
            N_("(Churned + contraction MRR) in the period / MRR at its start."),
            False,
        ),
        Definition(
            "net_mrr_churn",
            N_("Net MRR churn"),
            "ratio",
            N_(
                "(Churned + contraction − expansion MRR) in the period / MRR at its start; "
                "negative when expansion outgrows losses."
            ),
            False,
        ),
        Definition(
            "movements",
            N_("MRR movements"),
            "ars",
            N_(
                "Each tenant's month-over-month MRR change: new (first payment), expansion, "
                "contraction, churn (to zero) and reactivation (back from zero). " + _PRICE_NOTE
            ),
        ),
        Definition(
            "logo_churn",
            N_("Logo churn"),
            "ratio",
            N_(
                "Tenants whose MRR went to zero in the period over the tenants paying at its "
                "start (a tenant that later came back still counts as a churn)."
            ),
            False,
        ),
        Definition(
            "churned_tenants",
            N_("Churned tenants"),
            "count",
            N_("Churn events in the period (MRR from > 0 to 0)."),
            False,
        ),
        Definition(
            "churned_mrr",
            N_("Churned MRR"),
            "ars",
            N_("MRR the churned tenants paid the month before they left."),
            False,
        ),
        Definition(
            "mrr_at_risk",
            N_("MRR at risk"),
            "ars",
            N_(
                "MRR of paying tenants the churn model gives a high probability of churning "
                "(or, until the model exists, whose bookings fell sharply)."
            ),
            False,
        ),
        Definition(
            "ltv",
            N_("LTV"),
            "ars",
            N_(
                "Lifetime value in today's pesos: ARPA × gross margin × discounted expected "
                "lifetime (sBG fitted on monthly survival by tier and signup year; trailing "
                "6-month churn where it cannot be fitted)."
            ),
        ),
        Definition(
            "lifetime",
            N_("Expected lifetime"),
            "months",
            N_("Discounted expected lifetime of a new tenant in months (10-year horizon)."),
        ),
        Definition(
            "trailing_churn",
            N_("Monthly churn (6 m)"),
            "ratio",
            N_(
                "Churn events of the last 6 complete months over the tenants paying at the "
                "start of each month."
            ),
            False,
        ),
    ]
}


def build_tile(
    key: str, value: float | None, previous: float | None, *, locale: str, note: str = ""
) -> Tile:
    """One KPI tile; its help is the metric's definition plus both values."""
    return definition_tile(DEFINITIONS[key], value, previous, locale=locale, note=note)


# ------------------------------------------------------------------ periods and data
def period_of(filters: Filters, *, as_of: date, earliest: date | None = None) -> MonthRange | None:
    """The months the filters' range touches, up to the as-of month; None when empty."""
    return month_range(filters, as_of=as_of, earliest=earliest)


def prepare(
    tenant_months: pd.DataFrame,
    tenants: pd.DataFrame,
    filters: Filters,
    *,
    cpi: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The tenant-months of the filtered tenants, with ``month_index``; in constant ARS
    of ``filters.constant_ars_month`` when it is set (MRR restated, movements recomputed)."""
    kept = set(filters.filter_tenants(tenants)["tenant_id"].astype(int))
    frame = tenant_months[tenant_months["tenant_id"].isin(kept)]
    if filters.constant_ars_month is not None and cpi is not None and not frame.empty:
        restated = to_constant_ars(
            frame,
            ["mrr_ars"],
            month_column="month",
            base_month=filters.constant_ars_month,
            cpi=cpi,
        )
        frame = classify_movements(restated)
    return frame.assign(month_index=month_index(frame["month"]) if len(frame) else [])


def _sum_by(rows: pd.DataFrame, index: str, columns: str, values: str) -> pd.DataFrame:
    """A pivot table of sums (groupby + unstack: pivot_table is ~10x slower)."""
    return rows.groupby([index, columns])[values].sum().unstack(fill_value=0.0)


def _at(frame: pd.DataFrame, index: int) -> pd.Series:
    """MRR per tenant in one month (tenants without a row pay 0)."""
    rows = frame[frame["month_index"] == index]
    return rows.groupby("tenant_id")["mrr_ars"].sum()


def movement_totals(frame: pd.DataFrame, period: MonthRange) -> dict[str, float]:
    """Signed ARS of each movement over the period, plus churn events."""
    rows = frame[(frame["month_index"] >= period.first) & (frame["month_index"] <= period.last)]
    sums = rows.groupby("movement")["change_ars"].sum()
    totals = {
        name: float(sums.get(name, 0.0))
        for name in ("new", "expansion", "contraction", "churn", "reactivation")
    }
    totals["churn_events"] = float((rows["movement"] == "churn").sum())
    totals["price_update_expansion"] = float(
        rows.loc[rows["price_update"] & (rows["movement"] == "expansion"), "change_ars"].sum()
    )
    return totals


def _ratio(numerator: float, denominator: float) -> float | None:
    return None if denominator == 0 else numerator / denominator


def revenue_figures(frame: pd.DataFrame, period: MonthRange) -> dict[str, float | None]:
    """Every revenue KPI of one period (see DEFINITIONS)."""
    start, end = _at(frame, period.first - 1), _at(frame, period.last)
    start, end = start[start > 0], end[end > 0]
    mrr_start, mrr_end = float(start.sum()), float(end.sum())
    kept = end.reindex(start.index, fill_value=0.0)
    moves = movement_totals(frame, period)
    losses = 0.0 - (moves["churn"] + moves["contraction"])  # 0.0 - 0.0 is not -0.0
    return {
        "mrr": mrr_end,
        "arr": 12 * mrr_end,
        "arpa": _ratio(mrr_end, len(end)),
        "paying": float(len(end)),
        "mrr_start": mrr_start,
        "paying_start": float(len(start)),
        "nrr": _ratio(float(kept.sum()), mrr_start),
        "grr": _ratio(float(np.minimum(kept, start).sum()), mrr_start),
        "quick_ratio": _ratio(moves["new"] + moves["expansion"], losses),
        "gross_mrr_churn": _ratio(losses, mrr_start),
        "net_mrr_churn": _ratio(losses - moves["expansion"], mrr_start),
        "logo_churn": _ratio(moves["churn_events"], len(start)),
        "churned_tenants": moves["churn_events"],
        "churned_mrr": -moves["churn"],
        **{f"move_{k}": v for k, v in moves.items()},
    }


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
    moves = _sum_by(rows, "month_index", "movement", "change_ars")
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


def cohort_table(
    frame: pd.DataFrame,
    tenants: pd.DataFrame,
    period: MonthRange,
    *,
    last_month: int,
    value: str = "mrr",
) -> pd.DataFrame:
    """Signup-month cohorts of the period (rows) × months since signup (columns).

    ``value="mrr"``: cohort MRR at that age over its MRR in the signup month;
    ``value="logo"``: share of the cohort's tenants paying at that age. Ages after
    ``last_month`` are left empty. A ``tenants`` column gives the cohort size.
    """
    signup = tenants[["tenant_id", "signup_date"]].assign(
        cohort=month_index(tenants["signup_date"]) if len(tenants) else []
    )
    signup = signup[(signup["cohort"] >= period.first) & (signup["cohort"] <= period.last)]
    rows = frame.merge(signup[["tenant_id", "cohort"]], on="tenant_id")
    rows = rows[rows["mrr_ars"] > 0].assign(age=lambda r: r["month_index"] - r["cohort"])
    rows = rows[rows["age"] >= 0]
    if value == "mrr":
        table = _sum_by(rows, "cohort", "age", "mrr_ars")
        base = table.get(0)
    else:
        table = rows.groupby(["cohort", "age"])["tenant_id"].nunique().unstack()
        base = signup.groupby("cohort")["tenant_id"].nunique().reindex(table.index)
    if table.empty or base is None:
        return pd.DataFrame()
    shares = table.fillna(0.0).div(base, axis=0)
    for cohort in shares.index:  # the future is unknown, not zero
        shares.loc[cohort, shares.columns > last_month - cohort] = np.nan
    shares = shares.replace([np.inf, -np.inf], np.nan)
    sizes = signup.groupby("cohort")["tenant_id"].nunique().reindex(table.index)
    shares.insert(0, "tenants", sizes.fillna(0).astype(int).to_numpy())
    shares.index = pd.Index(_month_labels(month_start(shares.index.to_numpy())), name="cohort")
    return shares


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
    start, end = _at(frame, period.first - 1), _at(frame, period.last)
    rows = frame[(frame["month_index"] >= period.first) & (frame["month_index"] <= period.last)]
    moves = _sum_by(rows, "tenant_id", "movement", "change_ars")
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


def no_data_message(
    tenant_months: pd.DataFrame,
    tenants: pd.DataFrame,
    filters: Filters,
    *,
    as_of: date,
    locale: str,
) -> str | None:
    """Why the filters leave nothing to show (bad range, no tenant, no month), or None."""
    _ = translator(locale)
    problem = filters.problem(today=as_of, locale=locale)
    if problem:
        return problem
    if filters.filter_tenants(tenants).empty:
        return _("No tenant matches these filters (tier, vertical, province, partner).")
    if tenant_months.empty:
        return _("No data for these filters")
    return None


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
    message = no_data_message(tenant_months, tenants, filters, as_of=as_of, locale=locale)
    earliest = pd.Timestamp(tenant_months["month"].min()).date() if len(tenant_months) else None
    period = period_of(filters, as_of=as_of, earliest=earliest)
    if message is None and period is None:
        message = _("No data for these filters")
    if message is not None or period is None:
        return RevenueView(message=message)
    frame = prepare(tenant_months, tenants, filters, cpi=cpi)
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
        cohorts=cohort_table(frame, tenants, period, last_month=month_number(as_of)),
        detail=detail_table(frame, tenants, period),
        price_note=price_note,
    )
