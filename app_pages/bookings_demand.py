"""Bookings & Demand: daily bookings and GMV with forecasts, channel and service mix,
weekday x hour, lead time, holiday effect, per-tenant table with CSV."""

from __future__ import annotations

import streamlit as st

from core.metrics.registry import METRICS
from dashboards import bookings_demand as bookings
from ui.dashboard_page import (
    Csv,
    DashboardContext,
    FilteredDashboard,
    ViewInputs,
    dashboard_page,
    filtering_chart,
    tenant_table,
)
from ui.i18n import _
from ui.render import show_figure, show_tiles

PAGE = "bookings"


def build(inputs: ViewInputs) -> bookings.BookingsView:
    frames = inputs.frames(bookings.FRAMES)
    frames.update(inputs.frames([n for n in bookings.OPTIONAL_FRAMES if inputs.has_frame(n)]))
    return bookings.build_view(
        frames,
        inputs.frame("tenants"),
        inputs.filters,
        as_of=inputs.as_of,
        locale=inputs.locale,
        cpi=inputs.cpi,
    )


def draw(ctx: DashboardContext, view: bookings.BookingsView) -> None:
    show_tiles(view.tiles, per_row=None)
    st.caption(
        _(
            "Changes compare the period with as many days just before it. Click a month in "
            "the GMV chart to filter the page to it."
        )
    )
    left, right = st.columns([3, 2])
    with left:
        show_figure(view.daily)
        if view.bookings_accuracy:
            st.caption(view.bookings_accuracy)
    with right:
        filtering_chart(view.gmv, page=PAGE, key="bookings_gmv", dimension="month")
        if view.gmv_accuracy:
            st.caption(view.gmv_accuracy)
    if view.band_note:
        st.caption(view.band_note)

    st.subheader(_("Mix"), divider="gray")
    left, right = st.columns(2)
    with left:
        show_figure(view.channels)
    with right:
        show_figure(view.categories)
    st.caption(
        _("Mix, heatmap and lead time cover every month the period touches (kept per month).")
    )

    st.subheader(_("When clients book"), divider="gray")
    left, right = st.columns([3, 2])
    with left:
        show_figure(view.heatmap)
        if ctx.filters.provinces or ctx.filters.partners:
            st.caption(
                _(
                    "The heatmap is kept per tier and vertical: the province and partner "
                    "filters do not narrow it."
                )
            )
    with right:
        show_figure(view.lead_time)
        st.caption(_(METRICS["lead_time"].definition))

    st.subheader(_("Holiday effect"), divider="gray")
    show_figure(view.holidays)
    st.caption(_(METRICS["holiday_effect"].definition))

    tenant_table(
        ctx,
        view.detail,
        title=_("Tenants in the period"),
        csv=Csv("bookings_tenants.csv", key="bookings_csv"),
        column_order=[
            "tenant",
            "tier",
            "vertical",
            "province",
            "bookings",
            "bookings_previous",
            "change",
            "completed",
            "cancellation_rate",
            "gmv_ars",
            "average_ticket",
        ],
        column_config={
            "bookings": st.column_config.NumberColumn(_("Bookings"), format="%d"),
            "bookings_previous": st.column_config.NumberColumn(_("Previous period"), format="%d"),
            "change": st.column_config.NumberColumn(_("Change"), format="percent"),
            "completed": st.column_config.NumberColumn(_("Completed"), format="%d"),
            "cancellation_rate": st.column_config.NumberColumn(
                _("Cancellation rate"), format="percent"
            ),
            "gmv_ars": st.column_config.NumberColumn(_("GMV"), format="%.0f"),
            "average_ticket": st.column_config.NumberColumn(_("Average ticket"), format="%.0f"),
        },
    )


dashboard_page(_("Bookings & Demand"), FilteredDashboard(page=PAGE, build=build, draw=draw))
