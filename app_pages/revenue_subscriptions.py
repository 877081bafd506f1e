"""Revenue & Subscriptions: MRR tiles, movements, MRR by tier and plan, cohorts, detail."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from core.metrics.registry import METRICS
from dashboards import revenue_subscriptions as revenue
from ui.dashboard_page import (
    Csv,
    DashboardContext,
    FilteredDashboard,
    dashboard_builder,
    dashboard_page,
    filtering_chart,
    tenant_table,
)
from ui.i18n import _
from ui.render import show_figure, show_table, show_tiles

PAGE = "revenue"


# the CPI frame always: NRR and GRR (12 m) are shown in constant pesos on a nominal page too
build = dashboard_builder(revenue.build_view, "revenue_tenant_months", "tenants", always_cpi=True)


def _shade(value: float) -> str:
    # Deeper blue for more MRR kept; no matplotlib needed.
    if pd.isna(value):
        return ""
    return f"background-color: rgba(37, 99, 235, {min(max(value, 0.0), 1.5) / 1.5 * 0.55:.2f})"


def draw(ctx: DashboardContext, view: revenue.RevenueView) -> None:
    show_tiles(view.tiles or [], per_row=3)
    st.caption(
        _(
            "Changes compare the selected months with as many months just before them. "
            "Click a month or a tier in a chart to filter the page to it."
        )
    )
    show_tiles(view.retention or [], per_row=4)
    st.caption(view.retention_note)

    left, right = st.columns([3, 2])
    with left:
        filtering_chart(view.movements, page=PAGE, key="revenue_movements", dimension="month")
    with right:
        show_figure(view.waterfall)
    st.caption(view.price_note + " " + _(METRICS["movements"].definition))
    left, right = st.columns([3, 2])
    with left:
        filtering_chart(view.by_tier, page=PAGE, key="revenue_by_tier", dimension="tier")
    with right:
        filtering_chart(view.by_plan, page=PAGE, key="revenue_by_plan", dimension="tier")

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

    money = {
        c: st.column_config.NumberColumn(_(label), format="%.0f")
        for c, label in (
            ("mrr_start", "MRR at start"),
            ("mrr_end", "MRR at end"),
            ("change", "Change"),
            ("new", "New"),
            ("reactivation", "Reactivation"),
            ("price_update", "List-price updates"),
            ("plan_seat_expansion", "Plan/seat expansion"),
            ("plan_seat_contraction", "Plan/seat contraction"),
            ("churn", "Churn"),
        )
    }
    tenant_table(
        ctx,
        view.detail,
        title=_("Tenants in the period"),
        csv=Csv("revenue_tenants.csv", key="revenue_csv", bom=False, rerun=True),
        column_order=["tenant", "tier", "plan", "vertical", "province", *money],
        column_config={
            "plan": _("Plan"),
            **money,
        },
    )


dashboard_page(_("Revenue & Subscriptions"), FilteredDashboard(page=PAGE, build=build, draw=draw))
