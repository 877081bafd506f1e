"""Partnerships & Attribution: what each partner brought, what it is owed, who stays.

Pure functions of the ``partners`` and ``partners_tenant_month`` detail frames
(core/metrics/frames/partners.py), ``regions_tenant_day`` (GMV per tenant per day) and
the snapshot's ``tenants`` frame. A tenant belongs to the partner in ``partner_id`` (the
winning, last-touch claim); tenants without one are organic. MRR is taken at the end of
the period's last month; payouts and collected revenue cover the months the period
touches; GMV covers its exact days.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from statsmodels.stats.proportion import (
    confint_proportions_2indep,
    proportion_confint,
    test_proportions_2indep,
)

from core import formatting as fmt
from core.i18n import translator
from core.inflation.deflate import to_constant_ars
from core.metrics.registry import METRICS
from dashboards.filters import ORGANIC, Filters
from dashboards.kit import (
    NO_DATA,
    DayRange,
    Tile,
    active_on,
    day_range,
    legend_below,
    level_to_date_note,
    mark_month_to_date,
)
from dashboards.kit import definition_tile as make_tile
from dashboards.theme import Colors, empty_figure, new_figure

CONFIDENCE = 0.95
TILES = (
    "referred_tenants",
    "new_referred",
    "referred_mrr",
    "referred_gmv",
    "payouts",
    "referred_churn",
    "organic_churn",
    "partners_active",
)
# MRR (at the end of the last month) and payouts (per month) have the month's grain.
MONTHLY_TILES = ("referred_mrr", "payouts")


# ------------------------------------------------------------------ tenants
def referred(tenants: pd.DataFrame) -> pd.Series:
    return tenants["partner_id"].fillna(ORGANIC).astype("int64") != ORGANIC


def churn_counts(tenants: pd.DataFrame, period: DayRange) -> tuple[int, int]:
    """(churned during the period, active the day before it) for a set of tenants."""
    at_start = active_on(tenants, period.start - timedelta(days=1))
    churned = pd.to_datetime(tenants["churned_on"])
    during = (churned >= pd.Timestamp(period.start)) & (churned <= pd.Timestamp(period.end))
    return int((at_start & during).sum()), int(at_start.sum())


@dataclass(frozen=True)
class ChurnComparison:
    referred_churned: int
    referred_base: int
    organic_churned: int
    organic_base: int
    difference: float | None  # referred rate - organic rate
    low: float | None  # confidence interval of the difference
    high: float | None
    p_value: float | None

    def rate(self, group: str) -> float | None:
        churned, base = (
            (self.referred_churned, self.referred_base)
            if group == "referred"
            else (self.organic_churned, self.organic_base)
        )
        return churned / base if base else None


def compare_churn(tenants: pd.DataFrame, period: DayRange) -> ChurnComparison:
    """Logo churn of referred vs organic tenants, with a Newcomb CI of the difference.

    The interval (Newcomb's hybrid score, good for small counts) and the score test's
    p-value come from statsmodels; both are None when a group has no tenant at the start.
    """
    is_referred = referred(tenants)
    rc, rn = churn_counts(tenants[is_referred], period)
    oc, on = churn_counts(tenants[~is_referred], period)
    if rn == 0 or on == 0:
        return ChurnComparison(rc, rn, oc, on, None, None, None, None)
    low, high = confint_proportions_2indep(
        rc, rn, oc, on, method="newcomb", compare="diff", alpha=1 - CONFIDENCE
    )
    p_value = None
    if rc + oc > 0 and rc + oc < rn + on:  # the test is undefined when all or none churned
        p_value = float(test_proportions_2indep(rc, rn, oc, on, method="score").pvalue)
    return ChurnComparison(rc, rn, oc, on, rc / rn - oc / on, float(low), float(high), p_value)


def churn_sentence(comparison: ChurnComparison, *, locale: str) -> str:
    """What the comparison supports, in words, so nobody over-reads a small difference."""
    _ = translator(locale)
    if comparison.difference is None:
        return _("Not enough tenants in one of the groups to compare churn.")
    text = _(
        "Referred minus organic churn: {diff} (95% CI {low} to {high}; {rc} of {rn} "
        "referred vs {oc} of {on} organic tenants churned)."
    ).format(
        diff=fmt.format_signed_points(comparison.difference, locale=locale),
        low=fmt.format_signed_points(comparison.low, locale=locale),
        high=fmt.format_signed_points(comparison.high, locale=locale),
        rc=comparison.referred_churned,
        rn=comparison.referred_base,
        oc=comparison.organic_churned,
        on=comparison.organic_base,
    )
    low, high = comparison.low or 0.0, comparison.high or 0.0
    if low <= 0 <= high:
        return text + " " + _("The interval includes zero: the data do not show a real difference.")
    return text + " " + _("The interval excludes zero: the difference is unlikely to be chance.")


def churn_figure(comparison: ChurnComparison, *, locale: str) -> go.Figure:
    """Both churn rates with their own 95% Wilson intervals."""
    _ = translator(locale)
    title = _("Logo churn in the period: referred vs organic")
    groups = [
        (_("Partner-referred"), comparison.referred_churned, comparison.referred_base),
        (_("Organic"), comparison.organic_churned, comparison.organic_base),
    ]
    groups = [g for g in groups if g[2] > 0]
    if not groups:
        return empty_figure(title=title, locale=locale, message=_(NO_DATA))
    rates = [c / n for _label, c, n in groups]
    bounds = [
        proportion_confint(c, n, alpha=1 - CONFIDENCE, method="wilson") for _l, c, n in groups
    ]
    figure = new_figure(title=title, locale=locale)
    figure.add_bar(
        x=[g[0] for g in groups],
        y=rates,
        marker={"color": [Colors.PRIMARY, Colors.FUTURE][: len(groups)]},
        error_y={
            "type": "data",
            "symmetric": False,
            "array": [hi - r for (lo, hi), r in zip(bounds, rates, strict=True)],
            "arrayminus": [r - lo for (lo, hi), r in zip(bounds, rates, strict=True)],
            "color": Colors.TEXT,
        },
        customdata=[[c, n] for _l, c, n in groups],
        hovertemplate="%{y:.1%} · %{customdata[0]} / %{customdata[1]}<extra></extra>",
    )
    figure.update_yaxes(tickformat=".0%", rangemode="tozero")
    figure.update_layout(showlegend=False, hovermode="closest")
    return figure


# ------------------------------------------------------------------ partners
PARTNER_COLUMNS = [
    "partner_id",
    "name",
    "kind",
    "revenue_share_pct",
    "tenants",
    "new_tenants",
    "active_tenants",
    "mrr_ars",
    "gmv_ars",
    "collected_ars",
    "payout_ars",
    "churned",
    "assists",
]


def partner_table(
    partners: pd.DataFrame,
    tenant_month: pd.DataFrame,
    gmv_days: pd.DataFrame,
    tenants: pd.DataFrame,
    period: DayRange,
) -> pd.DataFrame:
    """One row per partner with its referred tenants' figures for the period."""
    chosen = tenants[referred(tenants)].assign(partner_id=lambda t: t["partner_id"].astype("int64"))
    owner = chosen.set_index("tenant_id")["partner_id"]
    months = tenant_month[tenant_month["tenant_id"].isin(owner.index)]
    months = months.assign(partner_id=months["tenant_id"].map(owner))
    in_period = months[months["month"].isin(period.months())]
    last = months[months["month"] == period.months()[-1]]
    gmv = gmv_days[gmv_days["tenant_id"].isin(owner.index) & period.mask(gmv_days["day"])]
    gmv = gmv.assign(partner_id=gmv["tenant_id"].map(owner))
    signup = pd.to_datetime(chosen["signup_date"])
    churned = pd.to_datetime(chosen["churned_on"])
    flags = chosen.assign(
        new=period.mask(signup),
        active=active_on(chosen, period.end),
        churned_now=(churned >= pd.Timestamp(period.start)) & (churned <= pd.Timestamp(period.end)),
    ).groupby("partner_id")
    out = partners.set_index("partner_id")[["name", "kind", "revenue_share_pct", "assists"]].copy()
    out["tenants"] = flags.size()
    out["new_tenants"] = flags["new"].sum()
    out["active_tenants"] = flags["active"].sum()
    out["churned"] = flags["churned_now"].sum()
    out["mrr_ars"] = last.groupby("partner_id")["mrr_ars"].sum()
    out["gmv_ars"] = gmv.groupby("partner_id")["gmv_ars"].sum()
    out["collected_ars"] = in_period.groupby("partner_id")["collected_ars"].sum()
    counts = ["tenants", "new_tenants", "active_tenants", "churned"]
    out[counts] = out[counts].fillna(0).astype("int64")
    money = ["mrr_ars", "gmv_ars", "collected_ars"]
    out[money] = out[money].astype(float).fillna(0.0)
    out["payout_ars"] = out["collected_ars"] * out["revenue_share_pct"] / 100.0
    out = out[out["tenants"] > 0].reset_index()
    return out.sort_values("mrr_ars", ascending=False)[PARTNER_COLUMNS].reset_index(drop=True)


def payouts_by_month(
    partners: pd.DataFrame, tenant_month: pd.DataFrame, tenants: pd.DataFrame, period: DayRange
) -> pd.DataFrame:
    """Payout per partner per month of the period (month, partner_id, name, payout_ars)."""
    chosen = tenants[referred(tenants)]
    owner = chosen.set_index("tenant_id")["partner_id"].astype("int64")
    rows = tenant_month[
        tenant_month["tenant_id"].isin(owner.index) & tenant_month["month"].isin(period.months())
    ]
    rows = rows.assign(partner_id=rows["tenant_id"].map(owner))
    share = partners.set_index("partner_id")["revenue_share_pct"]
    rows = rows.assign(payout_ars=rows["collected_ars"] * rows["partner_id"].map(share) / 100.0)
    out = rows.groupby(["month", "partner_id"], as_index=False)["payout_ars"].sum()
    return out.assign(name=out["partner_id"].map(partners.set_index("partner_id")["name"]))


def mrr_figure(table: pd.DataFrame, *, locale: str) -> go.Figure:
    """Referred MRR per partner; a click on a bar filters the page to that partner."""
    _ = translator(locale)
    title = _("MRR of referred tenants by partner")
    if table.empty or table["mrr_ars"].sum() == 0:
        return empty_figure(title=title, locale=locale, message=_(NO_DATA))
    rows = table.sort_values("mrr_ars")
    figure = new_figure(title=title, locale=locale)
    figure.add_bar(
        x=rows["mrr_ars"],
        y=rows["name"],
        orientation="h",
        marker={"color": Colors.PRIMARY},
        customdata=np.column_stack([rows["partner_id"], rows["active_tenants"]]),
        hovertemplate="$ %{x:,.0f} · %{customdata[1]} " + _("active tenants") + "<extra></extra>",
    )
    figure.update_xaxes(tickprefix="$ ", tickformat="~s")
    figure.update_layout(showlegend=False, hovermode="closest", height=max(300, 40 * len(rows)))
    return figure


def payouts_figure(monthly: pd.DataFrame, *, locale: str) -> go.Figure:
    _ = translator(locale)
    title = _("Revenue-share payouts by month")
    if monthly.empty or monthly["payout_ars"].sum() == 0:
        return empty_figure(title=title, locale=locale, message=_(NO_DATA))
    figure = new_figure(title=title, locale=locale)
    for name, rows in monthly.groupby("name", sort=True):
        figure.add_bar(
            x=rows["month"],
            y=rows["payout_ars"],
            name=str(name),
            hovertemplate="$ %{y:,.0f}<extra>" + str(name) + "</extra>",
        )
    figure.update_layout(barmode="stack", height=460)
    legend_below(figure)
    figure.update_yaxes(tickprefix="$ ", tickformat="~s")
    figure.update_xaxes(tickformat="%m/%Y", dtick="M1")
    return figure


TENANT_COLUMNS = [
    "tenant_id",
    "trade_name",
    "partner",
    "tier",
    "province",
    "signup_date",
    "churned_on",
    "mrr_ars",
    "gmv_ars",
    "collected_ars",
    "payout_ars",
]


def tenant_table(
    partners: pd.DataFrame,
    tenant_month: pd.DataFrame,
    gmv_days: pd.DataFrame,
    tenants: pd.DataFrame,
    period: DayRange,
) -> pd.DataFrame:
    """Referred tenants with their MRR at the end, GMV, collected revenue and payout."""
    chosen = tenants[referred(tenants)].set_index("tenant_id")
    names = partners.set_index("partner_id")
    pid = chosen["partner_id"].astype("int64")
    rows = tenant_month[tenant_month["tenant_id"].isin(chosen.index)]
    last = rows[rows["month"] == period.months()[-1]].groupby("tenant_id")["mrr_ars"].sum()
    collected = (
        rows[rows["month"].isin(period.months())].groupby("tenant_id")["collected_ars"].sum()
    )
    gmv = gmv_days[period.mask(gmv_days["day"])].groupby("tenant_id")["gmv_ars"].sum()
    out = chosen[["trade_name", "tier", "province", "signup_date", "churned_on"]].assign(
        partner=pid.map(names["name"]),
        # reindexed: assigning a Series to an empty frame would adopt the Series' rows
        mrr_ars=last.reindex(chosen.index),
        gmv_ars=gmv.reindex(chosen.index),
        collected_ars=collected.reindex(chosen.index),
    )
    money = ["mrr_ars", "gmv_ars", "collected_ars"]
    out[money] = out[money].astype(float).fillna(0.0)
    out["payout_ars"] = out["collected_ars"] * pid.map(names["revenue_share_pct"]).fillna(0) / 100
    out = out.reset_index()
    return out.sort_values("mrr_ars", ascending=False)[TENANT_COLUMNS].reset_index(drop=True)


@dataclass
class PartnersView:
    message: str | None = None
    tiles: list[Tile] | None = None
    mrr: go.Figure | None = None
    payouts: go.Figure | None = None
    churn: go.Figure | None = None
    churn_text: str = ""
    partners: pd.DataFrame | None = None
    detail: pd.DataFrame | None = None


def _restate(
    frame: pd.DataFrame, columns: list[str], month: str, filters: Filters, cpi: pd.DataFrame | None
) -> pd.DataFrame:
    if filters.constant_ars_month is None or cpi is None or frame.empty:
        return frame
    months = frame.assign(_m=pd.to_datetime(frame[month]).dt.to_period("M").dt.to_timestamp())
    restated = to_constant_ars(
        months, columns, month_column="_m", base_month=filters.constant_ars_month, cpi=cpi
    )
    return restated.drop(columns="_m")


def _figures(table: pd.DataFrame, tenants: pd.DataFrame, period: DayRange) -> dict[str, float]:
    ref = tenants[referred(tenants)]
    comparison = compare_churn(tenants, period)
    return {
        "referred_tenants": float(active_on(ref, period.end).sum()),
        "new_referred": float(period.mask(pd.to_datetime(ref["signup_date"])).sum()),
        "referred_mrr": float(table["mrr_ars"].sum()),
        "referred_gmv": float(table["gmv_ars"].sum()),
        "payouts": float(table["payout_ars"].sum()),
        "referred_churn": comparison.rate("referred"),
        "organic_churn": comparison.rate("organic"),
        "partners_active": float((table["active_tenants"] > 0).sum()),
    }


def build_view(
    frames: dict[str, pd.DataFrame],
    tenants: pd.DataFrame,
    filters: Filters,
    *,
    as_of: date,
    locale: str,
    cpi: pd.DataFrame | None = None,
) -> PartnersView:
    """The Partnerships & Attribution page for these filters.

    ``frames``: ``partners``, ``partners_tenant_month`` and ``regions_tenant_day``.
    """
    _ = translator(locale)
    problem = filters.problem(today=as_of, locale=locale)
    if problem:
        return PartnersView(message=problem)
    chosen = filters.filter_tenants(tenants)
    if chosen.empty:
        return PartnersView(
            message=_("No tenant matches these filters (tier, vertical, province, partner).")
        )
    earliest = pd.Timestamp(tenants["signup_date"].min()).date() if len(tenants) else None
    period = day_range(filters, as_of=as_of, earliest=earliest)
    if period is None:
        return PartnersView(message=_(NO_DATA))
    partners = frames["partners"]
    tenant_month = _restate(
        frames["partners_tenant_month"], ["mrr_ars", "collected_ars"], "month", filters, cpi
    )
    gmv_days = _restate(frames["regions_tenant_day"], ["gmv_ars"], "day", filters, cpi)
    table = partner_table(partners, tenant_month, gmv_days, chosen, period)
    now = _figures(table, chosen, period)
    # Counts, GMV and churn compare with as many days just before; monthly money (MRR,
    # payouts) with as many whole months just before.
    by_days, by_months = period.previous, period.month_range()
    before = _figures(
        partner_table(partners, tenant_month, gmv_days, chosen, by_days), chosen, by_days
    )
    monthly = _figures(
        partner_table(partners, tenant_month, gmv_days, chosen, by_months), chosen, by_months
    )
    before.update(referred_mrr=monthly["referred_mrr"], payouts=monthly["payouts"])
    comparison = compare_churn(chosen, period)
    months = period.month_span()
    tiles = [
        make_tile(
            METRICS[k],
            now[k],
            before[k],
            locale=locale,
            period=months if k in MONTHLY_TILES else period,
            note=level_to_date_note(months, locale=locale) if k == "referred_mrr" else "",
        )
        for k in TILES
    ]
    return PartnersView(
        tiles=tiles,
        mrr=mrr_figure(table, locale=locale),
        payouts=mark_month_to_date(
            payouts_figure(payouts_by_month(partners, tenant_month, chosen, period), locale=locale),
            months.month_to_date,
            through=months.through,
            locale=locale,
        ),
        churn=churn_figure(comparison, locale=locale),
        churn_text=churn_sentence(comparison, locale=locale),
        partners=table,
        detail=tenant_table(partners, tenant_month, gmv_days, chosen, period),
    )
