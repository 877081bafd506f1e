"""Revenue & Subscriptions: MRR tiles, movements, MRR by tier and plan, cohorts, detail."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from dashboards import revenue_subscriptions as revenue
from dashboards.filters import Filters
from dashboards.links import TENANT_LINK_TEXT, with_tenant_links
from ui.filters import cross_filter, filter_bar
from ui.i18n import _
from ui.live import LiveContext, live_page
from ui.render import (
    cpi_for,
    detail_as_of,
    download_csv,
    selectable_figure,
    show_figure,
    show_table,
    show_tiles,
    snapshot_versions,
)

PAGE = "revenue"
st.title(_("Revenue & Subscriptions"))


@st.cache_resource(max_entries=12, show_spinner=False)
def _view(
    versions: tuple[int, int],
    filters: Filters,
    as_of: Any,
    locale: str,
    _months: pd.DataFrame,
    _tenants: pd.DataFrame,
    _cpi: pd.DataFrame | None,
) -> revenue.RevenueView:
    # One view per snapshot versions and filters: reruns within a refresh reuse it.
    return revenue.build_view(_months, _tenants, filters, as_of=as_of, locale=locale, cpi=_cpi)


def chart(figure: Any, key: str, dimension: str) -> None:
    """A chart whose clicked point filters the page (month or tier)."""
    for point in selectable_figure(figure, key=key):
        if dimension == "month" and point.get("x"):
            cross_filter(PAGE, "month", point["x"])
        elif dimension == "tier" and point.get("customdata"):
            cross_filter(PAGE, "tier", point["customdata"][0])


def _shade(value: float) -> str:
    # Deeper blue for more MRR kept; no matplotlib needed.
    if pd.isna(value):
        return ""
    return f"background-color: rgba(37, 99, 235, {min(max(value, 0.0), 1.5) / 1.5 * 0.55:.2f})"


def body(ctx: LiveContext) -> None:
    filters = filter_bar(ctx, page=PAGE)
    months, tenants = ctx.frame("revenue_tenant_months"), ctx.frame("tenants")
    view = _view(
        snapshot_versions(ctx),
        filters,
        detail_as_of(ctx),
        ctx.locale,
        months,
        tenants,
        cpi_for(ctx, filters),
    )
    if view.message:
        st.info(view.message, icon=":material/filter_alt_off:")
        return
    show_tiles(view.tiles or [], per_row=4)
    st.caption(
        _(
            "Changes compare the selected months with as many months just before them. "
            "Click a month or a tier in a chart to filter the page to it."
        )
    )

    left, right = st.columns([3, 2])
    with left:
        chart(view.movements, "revenue_movements", "month")
    with right:
        show_figure(view.waterfall)
    st.caption(view.price_note + " " + _(revenue.DEFINITIONS["movements"].definition))
    left, right = st.columns([3, 2])
    with left:
        chart(view.by_tier, "revenue_by_tier", "tier")
    with right:
        chart(view.by_plan, "revenue_by_plan", "tier")

    st.subheader(_("MRR cohorts: MRR retained by months since signup"), divider="gray")
    cohorts = view.cohorts
    if cohorts is None or cohorts.empty:
        st.info(_("No tenant signed up in the selected months."), icon=":material/info:")
    else:
        ages = [c for c in cohorts.columns if c != "tenants"]
        show_table(
            cohorts.reset_index()
            .style.format("{:.0%}", subset=ages, na_rep="")
            .map(_shade, subset=ages),
            column_config={"cohort": _("Signup month"), "tenants": _("Tenants")},
        )
        st.caption(
            _(
                "Each cell: the cohort's MRR that many months after its signup month, "
                "over its MRR at the end of the signup month (price updates included)."
            )
        )

    st.subheader(_("Tenants in the period"), divider="gray")
    detail = with_tenant_links(view.detail, locale=ctx.locale) if view.detail is not None else None
    if detail is None or detail.empty:
        st.info(_("No data for these filters"), icon=":material/filter_alt_off:")
        return
    money = {
        c: st.column_config.NumberColumn(_(label), format="%.0f")
        for c, label in (
            ("mrr_start", "MRR at start"),
            ("mrr_end", "MRR at end"),
            ("change", "Change"),
            ("new", "New"),
            ("reactivation", "Reactivation"),
            ("expansion", "Expansion"),
            ("contraction", "Contraction"),
            ("churn", "Churn"),
            ("price_updates", "of which price updates"),
        )
    }
    show_table(
        detail,
        column_order=["tenant", "tier", "plan", "vertical", "province", *money],
        column_config={
            "tenant": st.column_config.LinkColumn(_("Tenant"), display_text=TENANT_LINK_TEXT),
            "tier": _("Tier"),
            "plan": _("Plan"),
            "vertical": _("Vertical"),
            "province": _("Province"),
            **money,
        },
    )
    download_csv(view.detail, "revenue_tenants.csv", key="revenue_csv", bom=False, rerun=True)


live_page(body)
