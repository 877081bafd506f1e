"""Partnerships & Attribution: referred tenants, MRR, GMV, payouts, churn vs organic."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from dashboards import partnerships as partners
from dashboards.filters import Filters
from dashboards.links import TENANT_LINK_TEXT, with_tenant_links
from ui.filters import cross_filter, filter_bar
from ui.i18n import _
from ui.live import LiveContext, live_page
from ui.render import PLOTLY_CONFIG, show_figure, show_table

PAGE = "partners"
FRAMES = ("partners", "partners_tenant_month", "regions_tenant_day")
st.title(_("Partnerships & Attribution"))


@st.cache_resource(max_entries=12, show_spinner=False)
def _view(
    versions: tuple[int, int],
    filters: Filters,
    as_of: Any,
    locale: str,
    _frames: dict[str, pd.DataFrame],
    _tenants: pd.DataFrame,
    _cpi: pd.DataFrame | None,
) -> partners.PartnersView:
    return partners.build_view(_frames, _tenants, filters, as_of=as_of, locale=locale, cpi=_cpi)


def _money(label: str) -> Any:
    return st.column_config.NumberColumn(_(label), format="%.0f")


def _download(frame: pd.DataFrame, name: str) -> None:
    st.download_button(
        _("Download CSV"),
        frame.drop(columns=["tenant"], errors="ignore").to_csv(index=False).encode("utf-8"),
        file_name=f"{name}.csv",
        mime="text/csv",
        icon=":material/download:",
        key=f"{PAGE}_{name}_csv",
    )


def body(ctx: LiveContext) -> None:
    filters = filter_bar(ctx, page=PAGE)
    frames = {name: ctx.frame(name) for name in FRAMES}
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
    view = _view(versions, filters, as_of, ctx.locale, frames, ctx.frame("tenants"), cpi)
    if view.message:
        st.info(view.message, icon=":material/filter_alt_off:")
        return
    cells = [cell for _row in range(2) for cell in st.columns(4)]
    for cell, tile in zip(cells, view.tiles or [], strict=False):
        cell.metric(
            tile.label,
            tile.value,
            tile.delta,
            delta_color=tile.delta_color,
            help=tile.help,
            border=True,
        )
    st.caption(
        _(
            "Attribution: the partner whose claim won (last touch). Changes compare the period "
            "with the one just before it. Click a partner's bar to filter the page to it."
        )
    )

    left, right = st.columns(2)
    with left:
        event = st.plotly_chart(
            view.mrr,
            theme=None,
            config=PLOTLY_CONFIG,
            on_select="rerun",
            selection_mode="points",
            key=f"{PAGE}_mrr",
        )
        points = getattr(getattr(event, "selection", None), "points", None) or []
        for point in points:
            if point.get("customdata"):
                cross_filter(PAGE, "partner", int(point["customdata"][0]))
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
                "mrr_ars": _money("MRR at end"),
                "gmv_ars": _money("GMV"),
                "collected_ars": _money("Revenue collected"),
                "payout_ars": _money("Payout"),
                "assists": st.column_config.NumberColumn(
                    _("Assists"),
                    help=_("Earlier first-touch claims on tenants another partner won."),
                ),
            },
        )
        _download(table, "partners")

    st.subheader(_("Referred tenants"), divider="gray")
    detail = view.detail
    if detail is None or detail.empty:
        st.info(_("No data for these filters"), icon=":material/filter_alt_off:")
        return
    show_table(
        with_tenant_links(detail, locale=ctx.locale),
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
            "tenant": st.column_config.LinkColumn(_("Tenant"), display_text=TENANT_LINK_TEXT),
            "partner": _("Partner"),
            "tier": _("Tier"),
            "province": _("Province"),
            "signup_date": st.column_config.DateColumn(_("Signed up"), format="DD/MM/YYYY"),
            "churned_on": st.column_config.DateColumn(_("Churned"), format="DD/MM/YYYY"),
            "mrr_ars": _money("MRR at end"),
            "gmv_ars": _money("GMV"),
            "collected_ars": _money("Revenue collected"),
            "payout_ars": _money("Payout"),
        },
    )
    _download(detail, "referred_tenants")


live_page(body)
