"""Churn & Retention: logo and revenue churn, retention cohorts, reasons, MRR at risk.

Pure functions of the ``revenue_tenant_months`` frame (churn = a tenant's MRR going to
zero), ``churn_tenant_reasons`` (recorded reasons), ``churn_risk_scores`` (the churn
model's newest probabilities, empty until it exists) and the snapshot's ``tenants``.
NRR and GRR are 12-month figures in nominal and constant pesos (dashboards/kit/retention.py,
the same tiles as the Revenue page's).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from core import formatting as fmt
from core.i18n import N_, translator
from core.inflation.deflate import to_constant_ars
from core.metrics.mrr_months import month_start
from core.metrics.registry import METRICS
from core.metrics.revenue_figures import cohort_shares, revenue_figures
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
from dashboards.kit.retention import retention_tiles
from dashboards.theme import Colors, empty_figure, new_figure

HIGH_RISK_PROBABILITY = 0.3  # churn model probability (30 days) from which MRR is "at risk"
# Fallback until the model exists: bookings of the last 28 days at most 70 % of the 28
# before, among tenants with at least 10 bookings then (so 2 -> 1 is not a signal).
BOOKINGS_DROP = 0.3
BOOKINGS_MIN_BASE = 10
REASONS = {
    "closed_business": N_("Closed the business"),
    "competitor": N_("Went to a competitor"),
    "low_usage": N_("Low usage"),
    "payment_failure": N_("Payment failure"),
    "price": N_("Price"),
    "support": N_("Support"),
    "reactivated": N_("Came back later"),
    "unknown": N_("Not recorded"),
}
PAYING_LOGO_CHURN, GROSS_MRR_CHURN = METRICS["paying_logo_churn"], METRICS["gross_mrr_churn"]
CHURN_TILES = (
    "paying_logo_churn",
    "gross_mrr_churn",
    "net_mrr_churn",
    "churned_tenants",
    "churned_mrr",
)


def monthly_churn(frame: pd.DataFrame, period: MonthRange) -> pd.DataFrame:
    """Per month: paying tenants and MRR at its start, churn events, logo and MRR churn."""
    months = pd.RangeIndex(period.first, period.last + 1)
    paying = frame[frame["mrr_ars"] > 0].groupby("month_index")
    start_count = paying.size().reindex(months - 1, fill_value=0).to_numpy()
    start_mrr = paying["mrr_ars"].sum().reindex(months - 1, fill_value=0.0).to_numpy()
    churn = frame[frame["movement"] == "churn"].groupby("month_index").size()
    # churned MRR plus the falls of continuing tenants' parts (as gross MRR churn counts)
    falls = np.minimum(frame["price_update_ars"], 0.0) + np.minimum(frame["plan_seat_ars"], 0.0)
    lost = frame["change_ars"].where(frame["movement"] == "churn", falls)
    losses = -lost.groupby(frame["month_index"]).sum().reindex(months, fill_value=0.0).to_numpy()
    churned = churn.reindex(months, fill_value=0).to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        logo = np.where(start_count > 0, churned / start_count, np.nan)
        revenue = np.where(start_mrr > 0, losses / start_mrr, np.nan)
    return pd.DataFrame(
        {
            "month": month_start(months.to_numpy()),
            "paying_start": start_count,
            "churned": churned,
            "paying_logo_churn": logo,
            "gross_mrr_churn": revenue,
        }
    )


def churn_rate_figure(monthly: pd.DataFrame, *, locale: str) -> go.Figure:
    _ = translator(locale)
    title = _("Logo and revenue churn by month")
    if monthly.empty or not monthly["paying_start"].any():
        return empty_figure(title=title, locale=locale, message=_("No data for these filters"))
    figure = new_figure(title=title, locale=locale)
    figure.add_bar(
        x=monthly["month"],
        y=monthly["paying_logo_churn"],
        name=_(PAYING_LOGO_CHURN.label),
        marker={"color": Colors.PRIMARY_LIGHT},
        hovertemplate="%{y:.1%}<extra></extra>",
    )
    figure.add_scatter(
        x=monthly["month"],
        y=monthly["gross_mrr_churn"],
        name=_(GROSS_MRR_CHURN.label),
        mode="lines+markers",
        line={"color": Colors.NEGATIVE, "width": 2},
        hovertemplate="%{y:.1%}<extra></extra>",
    )
    figure.update_xaxes(tickformat="%m/%Y", dtick="M1")
    figure.update_yaxes(tickformat=".0%", rangemode="tozero")
    return figure


def heatmap_figure(table: pd.DataFrame, *, title: str, locale: str) -> go.Figure:
    """A cohorts × months-since-signup heatmap of retention shares."""
    _ = translator(locale)
    if table.empty:
        return empty_figure(
            title=title, locale=locale, message=_("No tenant signed up in the selected months.")
        )
    ages = [c for c in table.columns if c != "tenants"]
    values = table[ages].to_numpy(dtype=float)
    figure = new_figure(title=title, locale=locale)
    figure.add_trace(
        go.Heatmap(
            z=values,
            x=[str(a) for a in ages],
            y=[f"{c} (n={n})" for c, n in zip(table.index, table["tenants"], strict=True)],
            colorscale="Blues",
            zmin=0,
            zmax=1,
            colorbar={"tickformat": ".0%"},
            text=[[("" if np.isnan(v) else f"{v:.0%}") for v in row] for row in values],
            texttemplate="%{text}",
            hovertemplate="%{y} · +%{x}: %{z:.1%}<extra></extra>",
        )
    )
    figure.update_yaxes(autorange="reversed", type="category")
    figure.update_xaxes(title={"text": _("Months since signup")}, type="category")
    figure.update_layout(height=max(300, 26 * len(table) + 120), hovermode="closest")
    return figure


def churned_tenants(
    frame: pd.DataFrame,
    tenants: pd.DataFrame,
    reasons: pd.DataFrame,
    period: MonthRange,
    *,
    locale: str,
) -> pd.DataFrame:
    """Every churn event of the period: tenant, month, MRR lost, reason."""
    _ = translator(locale)
    rows = frame[
        (frame["month_index"] >= period.first)
        & (frame["month_index"] <= period.last)
        & (frame["movement"] == "churn")
    ]
    out = (
        rows[["tenant_id", "month", "tier", "change_ars"]]
        .assign(mrr_lost=-rows["change_ars"])
        .drop(columns="change_ars")
    )
    later = frame[frame["mrr_ars"] > 0].groupby("tenant_id")["month_index"].max()
    came_back = out["tenant_id"].map(later).to_numpy() > rows["month_index"].to_numpy()
    recorded = out["tenant_id"].map(reasons.set_index("tenant_id")["churn_reason"])
    code = np.where(came_back, "reactivated", recorded.fillna("unknown"))
    out["reason_code"] = code
    out["reason"] = [_(REASONS.get(c, c)) for c in code]
    profile = tenants.set_index("tenant_id")
    for column in ("trade_name", "vertical", "province", "signup_date"):
        out[column] = out["tenant_id"].map(profile[column])
    return out.sort_values(["month", "mrr_lost"], ascending=[False, False]).reset_index(drop=True)


def reasons_figure(churned: pd.DataFrame, *, locale: str) -> go.Figure:
    _ = translator(locale)
    title = _("Churn reasons")
    if churned.empty:
        return empty_figure(title=title, locale=locale, message=_("No churn in these months"))
    counts = (
        churned.groupby("reason")
        .agg(tenants=("tenant_id", "size"), mrr=("mrr_lost", "sum"))
        .sort_values("tenants")
    )
    figure = new_figure(title=title, locale=locale)
    figure.add_bar(
        y=counts.index,
        x=counts["tenants"],
        orientation="h",
        marker={"color": Colors.NEGATIVE},
        customdata=[[fmt.format_money(v, locale=locale)] for v in counts["mrr"]],
        hovertemplate="%{x} · %{customdata[0]}<extra></extra>",
    )
    figure.update_layout(hovermode="closest", showlegend=False)
    figure.update_xaxes(title={"text": _("Churned tenants")}, rangemode="tozero")
    return figure


def mrr_at_risk(
    tenants: pd.DataFrame, scores: pd.DataFrame, filters: Filters, *, locale: str
) -> tuple[pd.DataFrame, str]:
    """Paying tenants at risk (with their MRR), and a caption saying how they were chosen."""
    _ = translator(locale)
    paying = filters.filter_tenants(tenants)
    paying = paying[(paying["status"] == "active") & (paying["mrr_ars"] > 0)]
    columns = ["tenant_id", "trade_name", "tier", "vertical", "province", "mrr_ars"]
    if scores is not None and len(scores):
        probability = paying["tenant_id"].map(scores.set_index("tenant_id")["probability"])
        risky = paying.assign(probability=probability)
        risky = risky[risky["probability"] >= HIGH_RISK_PROBABILITY]
        caption = _(
            "At risk: the churn model's 30-day churn probability is at least {threshold}."
        ).format(threshold=fmt.format_percent(HIGH_RISK_PROBABILITY, locale=locale))
        drivers = paying["tenant_id"].map(scores.set_index("tenant_id").get("drivers", {}))
        risky = risky.assign(drivers=drivers.reindex(risky.index))
        return (
            risky[[*columns, "probability", "drivers"]].sort_values("mrr_ars", ascending=False),
            caption,
        )
    base = paying["bookings_prev_28d"]
    falling = paying[
        (base >= BOOKINGS_MIN_BASE) & (paying["bookings_28d"] <= (1 - BOOKINGS_DROP) * base)
    ]
    falling = falling.assign(
        bookings_change=falling["bookings_28d"] / falling["bookings_prev_28d"] - 1
    )
    caption = _(
        "At risk: bookings of the last 28 days fell by {drop} or more from the 28 days "
        "before (the churn model has no scores yet)."
    ).format(drop=fmt.format_percent(BOOKINGS_DROP, locale=locale))
    return (
        falling[[*columns, "bookings_28d", "bookings_prev_28d", "bookings_change"]].sort_values(
            "mrr_ars", ascending=False
        ),
        caption,
    )


@dataclass
class ChurnView:
    message: str | None = None
    tiles: list[Tile] | None = None
    retention: list[Tile] | None = None
    retention_note: str = ""
    rates: go.Figure | None = None
    logo_heatmap: go.Figure | None = None
    revenue_heatmap: go.Figure | None = None
    churned: pd.DataFrame | None = None
    reasons: go.Figure | None = None
    at_risk: pd.DataFrame | None = None
    at_risk_caption: str = ""


def build_view(
    tenant_months: pd.DataFrame,
    tenants: pd.DataFrame,
    reasons: pd.DataFrame,
    scores: pd.DataFrame,
    filters: Filters,
    *,
    as_of: date,
    locale: str,
    cpi: pd.DataFrame | None = None,
) -> ChurnView:
    """The Churn & Retention page for these filters."""
    _ = translator(locale)
    message = no_tenant_month_data(tenant_months, tenants, filters, as_of=as_of, locale=locale)
    earliest = pd.Timestamp(tenant_months["month"].min()).date() if len(tenant_months) else None
    period = month_range(filters, as_of=as_of, earliest=earliest)
    if message is not None or period is None:
        return ChurnView(message=message or _("No data for these filters"))
    frame = tenant_months_for(tenant_months, tenants, filters, cpi=cpi)
    now, before = revenue_figures(frame, period), revenue_figures(frame, period.previous)
    if not now["paying_start"] and not now["paying"]:
        return ChurnView(message=_("No data for these filters"))
    at_risk, caption = mrr_at_risk(tenants, scores, filters, locale=locale)
    if cpi is not None and filters.constant_ars_month is not None and len(at_risk):
        at_risk = to_constant_ars(
            at_risk.assign(month=pd.Timestamp(as_of)),
            ["mrr_ars"],
            month_column="month",
            base_month=filters.constant_ars_month,
            cpi=cpi,
        ).drop(columns="month")
    tiles = [
        definition_tile(METRICS[k], now[k], before[k], locale=locale, period=period)
        for k in CHURN_TILES
    ]
    tiles.append(
        definition_tile(
            METRICS["mrr_at_risk"],
            float(at_risk["mrr_ars"].sum()),
            None,
            locale=locale,
            note=caption,
        )
    )
    nominal = (
        frame
        if filters.constant_ars_month is None
        else tenant_months_for(tenant_months, tenants, filters.with_(constant_ars_month=None))
    )
    retention, retention_note = retention_tiles(nominal, period.last, cpi=cpi, locale=locale)
    last = month_number(as_of)
    churned = churned_tenants(frame, tenants, reasons, period, locale=locale)
    return ChurnView(
        tiles=tiles,
        retention=retention,
        retention_note=retention_note,
        rates=churn_rate_figure(monthly_churn(frame, period), locale=locale),
        logo_heatmap=heatmap_figure(
            cohort_shares(frame, tenants, period, last_month=last, value="logo"),
            title=_("Logo retention by signup month"),
            locale=locale,
        ),
        revenue_heatmap=heatmap_figure(
            cohort_shares(frame, tenants, period, last_month=last),
            title=_("Revenue retention by signup month"),
            locale=locale,
        ),
        churned=churned,
        reasons=reasons_figure(churned, locale=locale),
        at_risk=at_risk.reset_index(drop=True),
        at_risk_caption=caption,
    )
