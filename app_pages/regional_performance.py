"""Regional Performance: provinces and cities by tenants, GMV, growth and churn, on a map."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from dashboards import regional_performance as regions
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
    show_table,
    show_tiles,
    snapshot_versions,
)

PAGE = "regions"
FRAMES = ("regions_tenant_day", "regions_cities")
st.title(_("Regional Performance"))


@st.cache_resource(max_entries=12, show_spinner=False)
def _view(
    versions: tuple[int, int],
    filters: Filters,
    as_of: Any,
    locale: str,
    _frames: dict[str, pd.DataFrame],
    _tenants: pd.DataFrame,
    _cpi: pd.DataFrame | None,
) -> regions.RegionsView:
    return regions.build_view(_frames, _tenants, filters, as_of=as_of, locale=locale, cpi=_cpi)


def _province_chart(figure: Any, key: str, column: int) -> None:
    """A chart whose clicked point (city or province) filters the page to its province."""
    for point in selectable_figure(figure, key=key):
        data = point.get("customdata")
        if data:
            cross_filter(PAGE, "province", data[column])


def _download(frame: pd.DataFrame, name: str) -> None:
    download_csv(frame, f"{name}.csv", key=f"{PAGE}_{name}_csv", bom=False, rerun=True)


def _region_columns() -> dict[str, Any]:
    return {
        "province": _("Province"),
        "city": _("City"),
        "tenants": _("Tenants"),
        "new_tenants": _("New"),
        "churned": _("Churned"),
        "active_at_start": _("Active at start"),
        "logo_churn": st.column_config.NumberColumn(_("Logo churn"), format="percent"),
        "gmv_ars": st.column_config.NumberColumn(_("GMV"), format="%.0f"),
        "gmv_previous_ars": st.column_config.NumberColumn(_("GMV, period before"), format="%.0f"),
        "growth": st.column_config.NumberColumn(_("Growth"), format="percent"),
    }


def body(ctx: LiveContext) -> None:
    filters = filter_bar(ctx, page=PAGE, default_days=regions.DEFAULT_DAYS)
    frames = {name: ctx.frame(name) for name in FRAMES}
    view = _view(
        snapshot_versions(ctx),
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
    show_tiles(view.tiles or [], per_row=4)
    st.caption(
        _(
            "Tenants count in their registered province and city. Changes compare the period "
            "with the one of the same length just before it. Click a city or a province to "
            "filter the page to its province."
        )
    )
    left, right = st.columns([3, 2])
    with left:
        _province_chart(view.map, f"{PAGE}_map", 0)
        st.caption(
            _(
                "Green: GMV grew more than 2%; red: fell more than 2%; amber: about flat; "
                "grey: no GMV in the period before. Outline of Argentina simplified by hand, "
                "drawn without any map service."
            )
        )
    with right:
        _province_chart(view.provinces_chart, f"{PAGE}_provinces", 0)

    st.subheader(_("Provinces"), divider="gray")
    show_table(view.provinces, column_config=_region_columns())
    _download(view.provinces, "provinces")
    st.subheader(_("Cities"), divider="gray")
    cities = view.cities.drop(columns=["latitude", "longitude"])
    show_table(cities, column_config=_region_columns())
    _download(cities, "cities")

    st.subheader(_("Tenants"), divider="gray")
    detail = view.detail
    if detail is None or detail.empty:
        st.info(_("No data for these filters"), icon=":material/filter_alt_off:")
        return
    show_table(
        with_tenant_links(detail, locale=ctx.locale),
        column_order=[
            "tenant",
            "tier",
            "vertical",
            "province",
            "city",
            "gmv_ars",
            "gmv_previous_ars",
            "growth",
            "churned",
        ],
        column_config={
            "tenant": st.column_config.LinkColumn(_("Tenant"), display_text=TENANT_LINK_TEXT),
            "tier": _("Tier"),
            "vertical": _("Vertical"),
            **_region_columns(),
            "churned": st.column_config.CheckboxColumn(_("Churned in the period")),
        },
    )
    _download(detail, "region_tenants")


live_page(body)
