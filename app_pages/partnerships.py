"""Partnerships & Attribution: referred tenants, MRR, GMV, payouts, churn vs organic."""

from __future__ import annotations

import streamlit as st

from dashboards import partnerships as partners
from ui.dashboard_page import (
    Csv,
    DashboardContext,
    FilteredDashboard,
    dashboard_builder,
    dashboard_page,
    filtering_chart,
    money_column,
    tenant_table,
)
from ui.i18n import _
from ui.render import show_figure, show_table, show_tiles

PAGE = "partners"
FRAMES = ("partners", "partners_tenant_month", "regions_tenant_day")


build = dashboard_builder(partners.build_view, FRAMES, "tenants")


def draw(ctx: DashboardContext, view: partners.PartnersView) -> None:
    show_tiles(view.tiles or [], per_row=4)
    st.caption(
        _(
            "Attribution: the partner whose claim won (last touch). Changes compare the period "
            "with the one just before it. Click a partner's bar to filter the page to it."
        )
    )

    left, right = st.columns(2)
    with left:
        filtering_chart(view.mrr, page=PAGE, key=f"{PAGE}_mrr", dimension="partner")
    with right:
        show_figure(view.payouts)
    left, right = st.columns([2, 3])
    with left:
        show_figure(view.churn)
    with right:
        st.markdown("**" + _("Is partner churn really different?") + "**")
        st.write(view.churn_text)
        st.caption(
            _(
                "95% interval of the difference by Newcomb's method; bars show each group's "
                "95% Wilson interval. A small difference on few tenants is usually noise."
            )
        )

    st.subheader(_("Partners"), divider="gray")
    table = view.partners
    if table is None or table.empty:
        st.info(_("No partner-referred tenant for these filters."), icon=":material/handshake:")
    else:
        show_table(
            table,
            column_order=[
                "name",
                "kind",
                "revenue_share_pct",
                "tenants",
                "new_tenants",
                "active_tenants",
                "churned",
                "mrr_ars",
                "gmv_ars",
                "collected_ars",
                "payout_ars",
                "assists",
            ],
            column_config={
                "name": _("Partner"),
                "kind": _("Kind"),
                "revenue_share_pct": st.column_config.NumberColumn(_("Share %"), format="%.1f"),
                "tenants": _("Referred"),
                "new_tenants": _("New"),
                "active_tenants": _("Active at end"),
                "churned": _("Churned"),
                "mrr_ars": money_column("MRR at end"),
                "gmv_ars": money_column("GMV"),
                "collected_ars": money_column("Revenue collected"),
                "payout_ars": money_column("Payout"),
                "assists": st.column_config.NumberColumn(
                    _("Assists"),
                    help=_("Earlier first-touch claims on tenants another partner won."),
                ),
            },
        )
        Csv.named(PAGE, "partners").offer(table)

    tenant_table(
        ctx,
        view.detail,
        title=_("Referred tenants"),
        csv=Csv.named(PAGE, "referred_tenants"),
        column_order=[
            "tenant",
            "partner",
            "tier",
            "province",
            "signup_date",
            "churned_on",
            "mrr_ars",
            "gmv_ars",
            "collected_ars",
            "payout_ars",
        ],
        column_config={
            "partner": _("Partner"),
            "signup_date": st.column_config.DateColumn(_("Signed up"), format="DD/MM/YYYY"),
            "churned_on": st.column_config.DateColumn(_("Churned"), format="DD/MM/YYYY"),
            "mrr_ars": money_column("MRR at end"),
            "gmv_ars": money_column("GMV"),
            "collected_ars": money_column("Revenue collected"),
            "payout_ars": money_column("Payout"),
        },
    )


dashboard_page(
    _("Partnerships & Attribution"), FilteredDashboard(page=PAGE, build=build, draw=draw)
)
