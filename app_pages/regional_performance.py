"""Regional Performance: provinces and cities by tenants, GMV, growth and churn, on a map."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from dashboards import regional_performance as regions
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
from ui.render import show_table, show_tiles

PAGE = "regions"
FRAMES = ("regions_tenant_day", "regions_cities")


build = dashboard_builder(regions.build_view, FRAMES, "tenants")


def _province_chart(figure: Any, key: str, column: int) -> None:
    """A chart whose clicked point (city or province) filters the page to its province."""
    filtering_chart(figure, page=PAGE, key=key, dimension="province", column=column)


def _download(frame: pd.DataFrame, name: str) -> None:
    Csv.named(PAGE, name).offer(frame)


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


def draw(ctx: DashboardContext, view: regions.RegionsView) -> None:
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

    tenant_table(
        ctx,
        view.detail,
        title=_("Tenants"),
        csv=Csv.named(PAGE, "region_tenants"),
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
            **_region_columns(),
            "churned": st.column_config.CheckboxColumn(_("Churned in the period")),
        },
    )


dashboard_page(
    _("Regional Performance"),
    FilteredDashboard(page=PAGE, build=build, draw=draw, default_days=regions.DEFAULT_DAYS),
)
