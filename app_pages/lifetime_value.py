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
from ui.render import PLOTLY_CONFIG, show_figure, show_table

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
    cpi = (
        ctx.frame("cpi_monthly")
        if filters.constant_ars_month and ctx.has_frame("cpi_monthly")
        else None
    )
    versions = (
        ctx.snapshot.version if ctx.snapshot else 0,
        ctx.detail.version if ctx.detail else 0,
    )
    as_of = (ctx.detail.as_of if ctx.detail is not None else ctx.at).date()
    view = _view(versions, filters, as_of, ctx.locale, segments, months, tenants, cpi)
    if view.message:
        st.info(view.message, icon=":material/filter_alt_off:")
        return
    cells = st.columns(len(view.tiles or []))
    for cell, tile in zip(cells, view.tiles or [], strict=False):
        cell.metric(
            tile.label,
            tile.value,
            tile.delta,
            delta_color=tile.delta_color,
            help=tile.help,
            border=True,
        )
    st.caption(view.note)

    event = st.plotly_chart(
        view.by_segment,
        theme=None,
        config=PLOTLY_CONFIG,
        on_select="rerun",
        selection_mode="points",
        key="ltv_segments",
    )
    points = getattr(getattr(event, "selection", None), "points", None) or []
    for point in points:
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
    st.download_button(
        _("Download CSV"),
        detail.to_csv(index=False).encode("utf-8"),
        file_name="ltv_segments.csv",
        mime="text/csv",
        icon=":material/download:",
        key="ltv_csv",
    )


live_page(body)
