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
from ui.render import PLOTLY_CONFIG, show_figure, show_table

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


def selected(event: Any) -> list[dict]:
    try:
        return list(event.selection.points)
    except AttributeError:
        return []


def chart(figure: Any, key: str, dimension: str) -> None:
    """A chart whose clicked point filters the page (month or tier)."""
    event = st.plotly_chart(
        figure,
        theme=None,
        config=PLOTLY_CONFIG,
        on_select="rerun",
        selection_mode="points",
        key=key,
    )
    for point in selected(event):
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
    cpi = (
        ctx.frame("cpi_monthly")
        if filters.constant_ars_month and ctx.has_frame("cpi_monthly")
        else None
    )
    versions = (
        ctx.snapshot.version if ctx.snapshot else 0,
        ctx.detail.version if ctx.detail else 0,
    )
    # the day the detail tables were computed is the data's "today"
    as_of = (ctx.detail.as_of if ctx.detail is not None else ctx.at).date()
    view = _view(versions, filters, as_of, ctx.locale, months, tenants, cpi)
    if view.message:
        st.info(view.message, icon=":material/filter_alt_off:")
        return
    cells = [cell for _row in range(2) for cell in st.columns(4)]
    for cell, tile in zip(cells, view.tiles or [], strict=False):
        cell.metric(
            tile.label,
            tile.value,
            tile.delta,
            delta_color=tile.delta_color,
            help=tile.help,
            border=True,
        )
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
    st.download_button(
        _("Download CSV"),
        view.detail.to_csv(index=False).encode("utf-8"),
        file_name="revenue_tenants.csv",
        mime="text/csv",
        icon=":material/download:",
        key="revenue_csv",
    )


live_page(body)
