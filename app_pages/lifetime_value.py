"""Lifetime Value: LTV tiles, LTV by tier and signup year, revenue per tenant by age."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from dashboards import lifetime_value as ltv
from dashboards.filters import Filters
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

PAGE = "lifetime-value"
st.title(_("Lifetime Value"))


@st.cache_resource(max_entries=12, show_spinner=_("Fitting retention models…"))
def _view(
    versions: tuple[int, int],
    filters: Filters,
    as_of: Any,
    locale: str,
    _segments: pd.DataFrame,
    _months: pd.DataFrame,
    _tenants: pd.DataFrame,
    _cpi: pd.DataFrame | None,
) -> ltv.LifetimeView:
    # Narrowed filters refit the sBG per segment (a second or two): cached per filters.
    return ltv.build_view(
        _segments, _months, _tenants, filters, as_of=as_of, locale=locale, cpi=_cpi
    )


def body(ctx: LiveContext) -> None:
    tenants = ctx.frame("tenants")
    first_signup = pd.to_datetime(tenants["signup_date"]).min()
    all_days = (ctx.at - first_signup).days + 1 if pd.notna(first_signup) else 365
    filters = filter_bar(ctx, page=PAGE, default_days=max(int(all_days), 1))
    st.caption(_("The period picks tenants by signup date (default: every tenant)."))
    segments, months = ctx.frame("ltv_segments"), ctx.frame("revenue_tenant_months")
    view = _view(
        snapshot_versions(ctx),
        filters,
        detail_as_of(ctx),
        ctx.locale,
        segments,
        months,
        tenants,
        cpi_for(ctx, filters),
    )
    if view.message:
        st.info(view.message, icon=":material/filter_alt_off:")
        return
    show_tiles(view.tiles or [], per_row=None)
    st.caption(view.note)

    for point in selectable_figure(view.by_segment, key="ltv_segments"):
        if point.get("customdata"):
            cross_filter(PAGE, "tier", point["customdata"][0])
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


live_page(body)
