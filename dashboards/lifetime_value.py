"""Lifetime Value: LTV by tier and signup cohort, and revenue per tenant by age.

LTV = ARPA × gross margin × discounted expected lifetime (core/models/tenant_ltv.py).
The precomputed ``ltv_segments`` frame covers all tenants; when the filters narrow the
tenants (tier, vertical, province, partner, or signup dates: the date range here picks
tenants by signup date), the segments are refitted on those tenants only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from core import formatting as fmt
from core.i18n import translator
from core.inflation.deflate import to_constant_ars
from core.metrics.mrr_months import month_index, month_start
from core.metrics.registry import METRICS
from core.models.tenant_ltv import (
    ESTIMATE_DELTA_MONTHS,
    GROSS_MARGIN,
    MONTHLY_DISCOUNT_RATE,
    last_complete_month,
    ltv_segments,
)
from dashboards.filters import Filters
from dashboards.kit import MonthRange, Tile, definition_tile, month_number, tenant_months_for
from dashboards.theme import COLORWAY, empty_figure, new_figure

LTV_TILES = (
    ("ltv", "ltv_ars"),
    ("arpa", "arpa_ars"),
    ("lifetime", "lifetime_months"),
    ("trailing_churn", "trailing_churn"),
)
METHOD_LABELS = {
    "sbg": "sBG",
    "trailing_churn": "ARPA / 6-month churn",
    "tier_sbg": "tier sBG",
    "tier_trailing_churn": "tier 6-month churn",
    "none": "not estimable",
}


def selected_tenants(tenants: pd.DataFrame, filters: Filters) -> pd.DataFrame:
    """Tenants passing the profile filters and signed up within the date range."""
    kept = filters.filter_tenants(tenants)
    return kept[filters.day_mask(kept["signup_date"])] if len(kept) else kept


def segments_for(
    segments: pd.DataFrame,
    tenant_months: pd.DataFrame,
    tenants: pd.DataFrame,
    chosen: pd.DataFrame,
    *,
    as_of: date,
) -> pd.DataFrame:
    """The precomputed segments when every tenant is chosen, else refitted on ``chosen``."""
    if len(chosen) == len(tenants):
        return segments
    months = tenant_months[tenant_months["tenant_id"].isin(chosen["tenant_id"])]
    last = last_complete_month(as_of)
    base = chosen[["tenant_id", "tier", "signup_date"]]
    return pd.concat(
        [
            ltv_segments(months, base, m).assign(estimated_at=month_start(m)[0])
            for m in (last, last - ESTIMATE_DELTA_MONTHS)
        ],
        ignore_index=True,
    )


def ltv_figure(current: pd.DataFrame, *, locale: str) -> go.Figure:
    """LTV per signup year, one bar per tier; customdata carries the tier (cross-filter)."""
    _ = translator(locale)
    title = _("LTV by tier and signup year")
    rows = current[(current["tier"] != "all") & (current["cohort"] != "all")]
    rows = rows.dropna(subset=["ltv_ars"])
    if rows.empty:
        return empty_figure(title=title, locale=locale, message=_("No data for these filters"))
    figure = new_figure(title=title, locale=locale)
    for tier, group in rows.groupby("tier", sort=True):
        figure.add_bar(
            x=group["cohort"],
            y=group["ltv_ars"],
            name=_(str(tier)),
            customdata=[
                [tier, METHOD_LABELS.get(m, m), n]
                for m, n in zip(group["method"], group["tenants"], strict=True)
            ],
            hovertemplate="%{y:,.0f} · %{customdata[1]} · n=%{customdata[2]}<extra>"
            + _(str(tier))
            + "</extra>",
        )
    figure.update_layout(barmode="group", hovermode="closest")
    figure.update_xaxes(type="category", title={"text": _("Signup year")})
    figure.update_yaxes(tickprefix="$ ", tickformat="~s")
    return figure


def revenue_by_age(frame: pd.DataFrame, chosen: pd.DataFrame, *, last_month: int) -> pd.DataFrame:
    """Per tier and age (months since signup): mean MRR per paying tenant and cumulative
    revenue per signed-up tenant (over the tenants observed that long)."""
    signup = pd.Series(month_index(chosen["signup_date"]), index=chosen["tenant_id"].to_numpy())
    tier = chosen.set_index("tenant_id")["tier"]
    rows = frame[frame["mrr_ars"] > 0]
    rows = rows.assign(
        age=rows["month_index"] - rows["tenant_id"].map(signup), group=rows["tenant_id"].map(tier)
    )
    rows = rows[(rows["age"] >= 0) & (rows["month_index"] <= last_month)]
    out = []
    for name, group in rows.groupby("group", sort=True):
        members = chosen[chosen["tier"] == name]
        ages = np.arange(0, int(group["age"].max()) + 1) if len(group) else np.arange(0)
        per_age = group.groupby("age")["mrr_ars"].agg(["sum", "mean"]).reindex(ages, fill_value=0)
        observed = pd.Series(
            last_month - month_index(members["signup_date"]), index=members["tenant_id"].to_numpy()
        )
        seen = observed.to_numpy()[:, None] >= ages[None, :]  # tenant observed to that age
        paid = (
            group.groupby(["tenant_id", "age"])["mrr_ars"]
            .sum()
            .unstack(fill_value=0.0)
            .reindex(index=observed.index, columns=ages, fill_value=0.0)
            .to_numpy()
        )
        cohort_size = seen.sum(axis=0)
        # revenue through each age of the tenants observed that long, per such tenant
        cumulative = (np.cumsum(paid, axis=1) * seen).sum(axis=0) / np.maximum(cohort_size, 1)
        out.append(
            pd.DataFrame(
                {
                    "tier": name,
                    "age": ages,
                    "mean_mrr": per_age["mean"].to_numpy(),
                    "cumulative": cumulative,
                    "tenants": cohort_size,
                }
            )
        )
    if not out:
        return pd.DataFrame(columns=["tier", "age", "mean_mrr", "cumulative", "tenants"])
    table = pd.concat(out, ignore_index=True)
    return table[table["tenants"] >= 3].reset_index(drop=True)  # a point needs 3 tenants


def age_figure(table: pd.DataFrame, column: str, *, title: str, locale: str) -> go.Figure:
    _ = translator(locale)
    if table.empty:
        return empty_figure(title=title, locale=locale, message=_("No data for these filters"))
    figure = new_figure(title=title, locale=locale)
    for i, (tier, rows) in enumerate(table.groupby("tier", sort=True)):
        figure.add_scatter(
            x=rows["age"],
            y=rows[column],
            name=_(str(tier)),
            mode="lines",
            line={"color": COLORWAY[i % len(COLORWAY)], "width": 2.5},
            customdata=rows[["tenants"]],
            hovertemplate="%{y:,.0f} · n=%{customdata[0]}<extra>" + _(str(tier)) + "</extra>",
        )
    figure.update_xaxes(title={"text": _("Months since signup")})
    figure.update_yaxes(tickprefix="$ ", tickformat="~s", rangemode="tozero")
    return figure


@dataclass
class LifetimeView:
    message: str | None = None
    tiles: list[Tile] | None = None
    by_segment: go.Figure | None = None
    mean_by_age: go.Figure | None = None
    cumulative_by_age: go.Figure | None = None
    detail: pd.DataFrame | None = None
    note: str = ""


def build_view(
    segments: pd.DataFrame,
    tenant_months: pd.DataFrame,
    tenants: pd.DataFrame,
    filters: Filters,
    *,
    as_of: date,
    locale: str,
    cpi: pd.DataFrame | None = None,
) -> LifetimeView:
    """The Lifetime Value page for these filters."""
    _ = translator(locale)
    problem = filters.problem(today=as_of, locale=locale)
    if problem:
        return LifetimeView(message=problem)
    chosen = selected_tenants(tenants, filters)
    if chosen.empty:
        return LifetimeView(
            message=_(
                "No tenant matches these filters (tier, vertical, province, partner, signup dates)."
            )
        )
    table = segments_for(segments, tenant_months, tenants, chosen, as_of=as_of)
    newest = table["estimated_at"].max()
    if cpi is not None and filters.constant_ars_month is not None:
        table = to_constant_ars(
            table.assign(month=pd.Timestamp(as_of)),
            ["arpa_ars", "ltv_ars"],
            month_column="month",
            base_month=filters.constant_ars_month,
            cpi=cpi,
        ).drop(columns="month")
    current = table[table["estimated_at"] == newest].drop(columns="estimated_at")
    earlier = table[table["estimated_at"] != newest]
    overall = current[(current["tier"] == "all") & (current["cohort"] == "all")].iloc[0]
    before = earlier[(earlier["tier"] == "all") & (earlier["cohort"] == "all")]
    before_row = before.iloc[0] if len(before) else None
    note = _("Change: today's estimate vs the one {months} months earlier.").format(
        months=ESTIMATE_DELTA_MONTHS
    )
    # each estimate uses the months up to its own: named by that month, both on hover
    estimated = month_number(pd.Timestamp(newest).date())
    months = MonthRange(estimated, estimated)
    earlier_month = MonthRange(estimated - ESTIMATE_DELTA_MONTHS, estimated - ESTIMATE_DELTA_MONTHS)
    tiles = [
        definition_tile(
            METRICS[key],
            _num(overall[column]),
            None if before_row is None else _num(before_row[column]),
            locale=locale,
            note=note,
            period=months,
            previous_period=earlier_month,
        )
        for key, column in LTV_TILES
    ]
    frame = tenant_months_for(
        tenant_months[tenant_months["tenant_id"].isin(chosen["tenant_id"])],
        tenants,
        filters,
        cpi=cpi,
    )
    by_age = revenue_by_age(frame, chosen, last_month=last_complete_month(as_of))
    detail = current.assign(method=[_(METHOD_LABELS.get(m, m)) for m in current["method"]])
    return LifetimeView(
        tiles=tiles,
        by_segment=ltv_figure(current, locale=locale),
        mean_by_age=age_figure(
            by_age, "mean_mrr", title=_("MRR per paying tenant by age"), locale=locale
        ),
        cumulative_by_age=age_figure(
            by_age, "cumulative", title=_("Cumulative revenue per tenant by age"), locale=locale
        ),
        detail=detail.reset_index(drop=True),
        note=_(
            "Gross margin {margin}, real discount rate {rate} a month, 10-year horizon. "
            "Segments: current tier × signup year; a segment too small for its own sBG "
            "uses its trailing 6-month churn, then its tier's model."
        ).format(
            margin=fmt.format_percent(GROSS_MARGIN, locale=locale),
            rate=fmt.format_percent(MONTHLY_DISCOUNT_RATE, locale=locale),
        ),
    )


def _num(value: object) -> float | None:
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return None if np.isnan(number) else number
