"""Bookings & Demand: daily bookings and GMV with forecasts, channel and service mix,
weekday x hour, lead time, holiday effect, per-tenant table with CSV."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from dashboards import bookings_demand as bookings
from dashboards.filters import Filters
from dashboards.links import TENANT_LINK_TEXT, with_tenant_links
from ui.filters import cross_filter, filter_bar
from ui.i18n import _
from ui.live import LiveContext, live_page
from ui.render import (
    cpi_for,
    detail_as_of,
    detail_version,
    download_csv,
    selectable_figure,
    show_figure,
    show_table,
    show_tiles,
)

PAGE = "bookings"
st.title(_("Bookings & Demand"))


@st.cache_resource(max_entries=12, show_spinner=False)
def _view(
    database_url: str,
    detail_version: int,
    filters: Filters,
    as_of: Any,
    locale: str,
    _frames: dict[str, pd.DataFrame],
    _tenants: pd.DataFrame,
    _cpi: pd.DataFrame | None,
) -> bookings.BookingsView:
    # Keyed by the detail snapshot only: the 30-second snapshot changes the tenant
    # profiles (names, tiers) rarely, and a rerun per live refresh should cost nothing.
    return bookings.build_view(_frames, _tenants, filters, as_of=as_of, locale=locale, cpi=_cpi)


def month_chart(figure: Any, key: str) -> None:
    """A chart whose clicked month filters the page to that month."""
    for point in selectable_figure(figure, key=key):
        if point.get("x"):
            cross_filter(PAGE, "month", point["x"])


def body(ctx: LiveContext) -> None:
    filters = filter_bar(ctx, page=PAGE)
    frames = {name: ctx.frame(name) for name in bookings.FRAMES}
    frames.update({n: ctx.frame(n) for n in bookings.OPTIONAL_FRAMES if ctx.has_frame(n)})
    view = _view(
        ctx.settings.database_url,
        detail_version(ctx),
        filters,
        detail_as_of(ctx),
        ctx.locale,
        frames,
        ctx.frame("tenants"),
        cpi_for(ctx, filters),
    )
    if view.message:
        st.info(view.message, icon=":material/filter_alt_off:")
        return

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
        month_chart(view.gmv, "bookings_gmv")
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
        if filters.provinces or filters.partners:
            st.caption(
                _(
                    "The heatmap is kept per tier and vertical: the province and partner "
                    "filters do not narrow it."
                )
            )
    with right:
        show_figure(view.lead_time)
        st.caption(_(bookings.DEFINITIONS["lead_time"].definition))

    st.subheader(_("Holiday effect"), divider="gray")
    show_figure(view.holidays)
    st.caption(_(bookings.DEFINITIONS["holiday_effect"].definition))

    st.subheader(_("Tenants in the period"), divider="gray")
    detail = view.detail
    if detail is None or detail.empty:
        st.info(_("No data for these filters"), icon=":material/filter_alt_off:")
        return
    linked = with_tenant_links(detail, locale=ctx.locale)
    show_table(
        linked,
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
            "tenant": st.column_config.LinkColumn(_("Tenant"), display_text=TENANT_LINK_TEXT),
            "tier": _("Tier"),
            "vertical": _("Vertical"),
            "province": _("Province"),
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
    download_csv(detail, "bookings_tenants.csv", key="bookings_csv")


live_page(body)
