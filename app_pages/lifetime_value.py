"""Lifetime Value: LTV tiles, LTV by tier and signup year, revenue per tenant by age."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboards import lifetime_value as ltv
from ui.dashboard_page import (
    DashboardContext,
    FilteredDashboard,
    dashboard_builder,
    dashboard_page,
    filtering_chart,
)
from ui.i18n import _
from ui.live import LiveContext
from ui.render import download_csv, show_figure, show_table, show_tiles

PAGE = "lifetime-value"


def all_days(ctx: LiveContext) -> int:
    """The default period: every day since the first signup (the period picks tenants)."""
    first_signup = pd.to_datetime(ctx.frame("tenants")["signup_date"]).min()
    days = (ctx.at - first_signup).days + 1 if pd.notna(first_signup) else 365
    return max(int(days), 1)


# Narrowed filters refit the sBG per segment (a second or two): cached per filters.
build = dashboard_builder(ltv.build_view, "ltv_segments", "revenue_tenant_months", "tenants")


def draw(_ctx: DashboardContext, view: ltv.LifetimeView) -> None:
    show_tiles(view.tiles or [], per_row=None)
    st.caption(view.note)

    filtering_chart(view.by_segment, page=PAGE, key="ltv_segments", dimension="tier")
    left, right = st.columns(2)
    with left:
        show_figure(view.mean_by_age)
    with right:
        show_figure(view.cumulative_by_age)
    st.caption(
        _(
            "Age 0 is the signup month. A point needs at least 3 tenants observed that "
            "long; cumulative revenue counts churned tenants as paying nothing."
        )
    )

    st.subheader(_("Segments"), divider="gray")
    detail = view.detail if view.detail is not None else pd.DataFrame()
    money = {"format": "%.0f"}
    show_table(
        detail,
        column_order=[
            "tier",
            "cohort",
            "tenants",
            "paying",
            "arpa_ars",
            "method",
            "alpha",
            "beta",
            "lifetime_months",
            "trailing_churn",
            "ltv_ars",
        ],
        column_config={
            "tier": _("Tier"),
            "cohort": _("Signup year"),
            "tenants": _("Tenants"),
            "paying": _("Paying now"),
            "arpa_ars": st.column_config.NumberColumn(_("ARPA"), **money),
            "method": _("Lifetime from"),
            "alpha": st.column_config.NumberColumn("α", format="%.3g"),
            "beta": st.column_config.NumberColumn("β", format="%.3g"),
            "lifetime_months": st.column_config.NumberColumn(_("Lifetime (months)"), format="%.1f"),
            "trailing_churn": st.column_config.NumberColumn(
                _("Monthly churn (6 m)"), format="percent"
            ),
            "ltv_ars": st.column_config.NumberColumn(_("LTV"), **money),
        },
    )
    download_csv(detail, "ltv_segments.csv", key="ltv_csv", bom=False, rerun=True)


dashboard_page(
    _("Lifetime Value"),
    FilteredDashboard(
        page=PAGE,
        build=build,
        draw=draw,
        default_days=all_days,
        whole_weeks=False,  # the period picks tenants by signup, through today
        note=_("The period picks tenants by signup date (default: every tenant)."),
        spinner=_("Fitting retention models…"),
    ),
)
