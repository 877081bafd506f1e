"""Churn & Retention: churn tiles, churn by month, retention cohorts, reasons, MRR at risk."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboards import churn_retention as churn
from dashboards.links import TENANT_LINK_TEXT, with_tenant_links
from ui.dashboard_page import (
    DashboardContext,
    FilteredDashboard,
    dashboard_builder,
    dashboard_page,
    filtering_chart,
)
from ui.i18n import _
from ui.render import download_csv, show_figure, show_table, show_tiles

PAGE = "churn"


build = dashboard_builder(
    churn.build_view,
    "revenue_tenant_months",
    "tenants",
    "churn_tenant_reasons",
    "churn_risk_scores",
    always_cpi=True,  # NRR and GRR (12 m) are shown in constant pesos on a nominal page too
)


def draw(ctx: DashboardContext, view: churn.ChurnView) -> None:
    # two rows of three: six in a row truncate "$ 5,2 M" on a laptop screen
    show_tiles(view.tiles or [], per_row=3)
    st.caption(
        _(
            "Changes compare the selected months with as many months just before them. "
            "Click a month to filter the page to it."
        )
    )
    show_tiles(view.retention or [], per_row=4)
    st.caption(view.retention_note)
    filtering_chart(view.rates, page=PAGE, key="churn_rates", dimension="month")

    left, right = st.columns(2)
    with left:
        show_figure(view.logo_heatmap)
    with right:
        show_figure(view.revenue_heatmap)
    st.caption(
        _(
            "Cohorts of the tenants that signed up in the selected months. Logo: share "
            "still paying; revenue: cohort MRR over its MRR in the signup month."
        )
    )

    st.subheader(_("Churned tenants"), divider="gray")
    left, right = st.columns([3, 2])
    churned = view.churned if view.churned is not None else pd.DataFrame()
    with left:
        if churned.empty:
            st.info(_("No churn in these months"), icon=":material/celebration:")
        else:
            show_table(
                with_tenant_links(churned, locale=ctx.locale),
                column_order=[
                    "tenant",
                    "month",
                    "tier",
                    "vertical",
                    "province",
                    "mrr_lost",
                    "reason",
                ],
                column_config={
                    "tenant": st.column_config.LinkColumn(
                        _("Tenant"), display_text=TENANT_LINK_TEXT
                    ),
                    "month": st.column_config.DateColumn(_("Month"), format="MM/YYYY"),
                    "tier": _("Tier"),
                    "vertical": _("Vertical"),
                    "province": _("Province"),
                    "mrr_lost": st.column_config.NumberColumn(_("MRR lost"), format="%.0f"),
                    "reason": _("Reason"),
                },
            )
            download_csv(churned, "churned_tenants.csv", key="churn_csv", bom=False, rerun=True)
    with right:
        show_figure(view.reasons)

    st.subheader(_("MRR at risk"), divider="gray")
    st.caption(view.at_risk_caption)
    at_risk = view.at_risk if view.at_risk is not None else pd.DataFrame()
    if at_risk.empty:
        st.info(_("No paying tenant is at risk by this rule."), icon=":material/verified:")
    else:
        show_table(
            with_tenant_links(at_risk, locale=ctx.locale),
            column_order=[
                "tenant",
                "tier",
                "vertical",
                "province",
                "mrr_ars",
                "probability",
                "drivers",
                "bookings_prev_28d",
                "bookings_28d",
                "bookings_change",
            ],
            column_config={
                "tenant": st.column_config.LinkColumn(_("Tenant"), display_text=TENANT_LINK_TEXT),
                "tier": _("Tier"),
                "vertical": _("Vertical"),
                "province": _("Province"),
                "mrr_ars": st.column_config.NumberColumn(_("MRR"), format="%.0f"),
                "probability": st.column_config.NumberColumn(
                    _("Churn probability"), format="percent"
                ),
                "drivers": _("Main risk drivers"),
                "bookings_prev_28d": _("Bookings, previous 28 d"),
                "bookings_28d": _("Bookings, last 28 d"),
                "bookings_change": st.column_config.NumberColumn(_("Change"), format="percent"),
            },
        )


dashboard_page(_("Churn & Retention"), FilteredDashboard(page=PAGE, build=build, draw=draw))
