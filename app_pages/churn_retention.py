"""Churn & Retention: churn tiles, churn by month, retention cohorts, reasons, MRR at risk."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from dashboards import churn_retention as churn
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

PAGE = "churn"
st.title(_("Churn & Retention"))


@st.cache_resource(max_entries=12, show_spinner=False)
def _view(
    versions: tuple[int, int],
    filters: Filters,
    as_of: Any,
    locale: str,
    _months: pd.DataFrame,
    _tenants: pd.DataFrame,
    _reasons: pd.DataFrame,
    _scores: pd.DataFrame,
    _cpi: pd.DataFrame | None,
) -> churn.ChurnView:
    # One view per snapshot versions and filters: reruns within a refresh reuse it.
    return churn.build_view(
        _months, _tenants, _reasons, _scores, filters, as_of=as_of, locale=locale, cpi=_cpi
    )


def body(ctx: LiveContext) -> None:
    filters = filter_bar(ctx, page=PAGE)
    months, tenants = ctx.frame("revenue_tenant_months"), ctx.frame("tenants")
    reasons, scores = ctx.frame("churn_tenant_reasons"), ctx.frame("churn_risk_scores")
    view = _view(
        snapshot_versions(ctx),
        filters,
        detail_as_of(ctx),
        ctx.locale,
        months,
        tenants,
        reasons,
        scores,
        cpi_for(ctx, filters),
    )
    if view.message:
        st.info(view.message, icon=":material/filter_alt_off:")
        return
    # two rows of three: six in a row truncate "$ 5,2 M" on a laptop screen
    show_tiles(view.tiles or [], per_row=3)
    st.caption(
        _(
            "Changes compare the selected months with as many months just before them. "
            "Click a month to filter the page to it."
        )
    )
    for point in selectable_figure(view.rates, key="churn_rates"):
        if point.get("x"):
            cross_filter(PAGE, "month", point["x"])

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
                "bookings_prev_30d",
                "bookings_30d",
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
                "bookings_prev_30d": _("Bookings, previous 30 d"),
                "bookings_30d": _("Bookings, last 30 d"),
                "bookings_change": st.column_config.NumberColumn(_("Change"), format="percent"),
            },
        )


live_page(body)
