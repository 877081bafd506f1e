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
    download_csv(frame, f"{name}.csv", key=f"{PAGE}_{name}_csv", bom=False, rerun=True)


def body(ctx: LiveContext) -> None:
    filters = filter_bar(ctx, page=PAGE)
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
            "Attribution: the partner whose claim won (last touch). Changes compare the period "
            "with the one just before it. Click a partner's bar to filter the page to it."
        )
    )

    left, right = st.columns(2)
    with left:
        for point in selectable_figure(view.mrr, key=f"{PAGE}_mrr"):
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
