"""Operational Efficiency: utilization, no-shows, cancellations, rebooking, revenue per
staff hour and client retention by tier and vertical; best and worst tenants; CSV."""

from __future__ import annotations

from typing import Any

import streamlit as st

from core.metrics.registry import METRICS
from dashboards import operational_efficiency as efficiency
from dashboards.links import TENANT_LINK_TEXT, with_tenant_links
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

PAGE = "efficiency"


build = dashboard_builder(efficiency.build_view, efficiency.FRAMES, "tenants")


def clickable(figure: Any, key: str, dimension: str) -> None:
    filtering_chart(figure, page=PAGE, key=key, dimension=dimension)


def columns() -> dict[str, Any]:
    percent = {
        key: st.column_config.NumberColumn(
            _(METRICS[key].label),
            format="percent",
            help=_(METRICS[key].definition),
        )
        for key in (
            "utilization",
            "no_show_rate",
            "cancellation_rate",
            "rebooking_rate",
            "returning_share",
        )
    }
    return {
        "tenant": st.column_config.LinkColumn(_("Tenant"), display_text=TENANT_LINK_TEXT),
        "tier": _("Tier"),
        "vertical": _("Vertical"),
        "province": _("Province"),
        "bookings": st.column_config.NumberColumn(_("Bookings"), format="%d"),
        "revenue_per_staff_hour": st.column_config.NumberColumn(
            _("Revenue per staff hour"),
            format="%.0f",
            help=_(METRICS["revenue_per_staff_hour"].definition),
        ),
        "staff_hours": st.column_config.NumberColumn(_("Staff hours"), format="%.0f"),
        "gmv_ars": st.column_config.NumberColumn(_("GMV"), format="%.0f"),
        **percent,
    }


RANKED_ORDER = ["tenant", "tier", "vertical", "bookings", "utilization", "no_show_rate"]
DETAIL_ORDER = [
    "tenant",
    "tier",
    "vertical",
    "province",
    "bookings",
    *efficiency.TILE_KEYS,
    "staff_hours",
    "gmv_ars",
]


def draw(ctx: DashboardContext, view: efficiency.EfficiencyView) -> None:
    show_tiles(view.tiles, per_row=3)
    st.caption(
        _(
            "Changes compare the period with as many days just before it. Weekly measures "
            "cover the weeks starting in the period; rebooking and clients the months it "
            "touches. Click a tier, a vertical or a month to filter the page to it."
        )
    )
    show_figure(view.trend)
    left, right = st.columns(2)
    with left:
        clickable(view.by_tier, "efficiency_by_tier", "tier")
    with right:
        clickable(view.by_vertical, "efficiency_by_vertical", "vertical")
    left, right = st.columns(2)
    with left:
        show_figure(view.revenue_per_hour)
    with right:
        clickable(view.retention, "efficiency_retention", "month")

    st.subheader(_("Best and worst tenants by utilization"), divider="gray")
    st.caption(
        _("Tenants with at least {n} bookings in the period.").format(n=efficiency.MIN_APPOINTMENTS)
    )
    best, worst = st.columns(2)
    for column, title, frame in (
        (best, _("Highest utilization"), view.best),
        (worst, _("Lowest utilization"), view.worst),
    ):
        with column:
            st.markdown(f"**{title}**")
            if frame is None or frame.empty:
                st.caption(_("No tenant qualifies for these filters."))
            else:
                show_table(
                    with_tenant_links(frame, locale=ctx.locale),
                    column_order=RANKED_ORDER,
                    column_config=columns(),
                )

    tenant_table(
        ctx,
        view.detail,
        title=_("Tenants in the period"),
        csv=Csv("efficiency_tenants.csv", key="efficiency_csv"),
        column_order=DETAIL_ORDER,
        column_config=columns(),
    )


dashboard_page(_("Operational Efficiency"), FilteredDashboard(page=PAGE, build=build, draw=draw))
