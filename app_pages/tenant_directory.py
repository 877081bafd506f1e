"""Tenant directory: search and filter every tenant, open one in Tenant 360, download CSV."""

import streamlit as st

from core.formatting import format_count
from dashboards import tenant_directory as directory
from dashboards.links import TENANT_LINK_TEXT, with_tenant_links
from ui.i18n import _
from ui.live import LiveContext, live_page
from ui.render import download_csv, in_scope, show_table

st.title(_("Tenant directory"))


def columns() -> dict:
    return {
        "tenant_id": st.column_config.NumberColumn(_("ID"), format="%d", width="small"),
        "tenant": st.column_config.LinkColumn(
            _("Tenant"), display_text=TENANT_LINK_TEXT, help=_("Opens Tenant 360")
        ),
        "vertical": _("Vertical"),
        "tier": _("Tier"),
        "plan": _("Plan"),
        "province": _("Province"),
        "city": _("City"),
        "status": _("Status"),
        "signup_date": _("Signed up"),
        "churned_on": _("Churned"),
        "mrr_ars": _("MRR"),
        "bookings_28d": _("Bookings 28 d"),
        "bookings_prev_28d": _("Prev. 28 d"),
        "gmv_28d": _("GMV 28 d"),
        "no_show_rate_28d": _("No-show 28 d"),
    }


def body(ctx: LiveContext) -> None:
    assert ctx.snapshot is not None
    tenants = ctx.snapshot.frames.get("tenants")
    if tenants is None:
        st.info(_("This snapshot has no tenant table yet."))
        return
    tenants = in_scope(tenants)  # a CS manager's directory is their book
    options = directory.filter_options(tenants)
    search_column, *filter_columns = st.columns([2, 1, 1, 1, 1])
    search = search_column.text_input(
        _("Search"), placeholder=_("Name, city or province"), key="tenants_search"
    )
    allowed = {
        column: box.multiselect(
            _(directory.FILTER_LABELS[column]),
            values,
            key=f"tenants_{column}",
            placeholder=_("All"),
            format_func=(lambda v: _(v)) if column in directory.TRANSLATED_VALUES else str,
        )
        for box, (column, values) in zip(filter_columns, options.items(), strict=False)
    }
    shown = directory.filter_tenants(tenants, directory.TenantFilter(search, allowed))
    left, right = st.columns([3, 1], vertical_alignment="bottom")
    left.caption(
        _("{shown} of {total} tenants · click a name to open Tenant 360").format(
            shown=format_count(len(shown), locale=ctx.locale),
            total=format_count(len(tenants), locale=ctx.locale),
        )
    )
    with right:
        download_csv(shown, f"tenants_v{ctx.snapshot.version}.csv", stretch=True)
    linked = with_tenant_links(shown, locale=ctx.locale)
    order = ["tenant", *[c for c in shown.columns if c != "trade_name"]]
    show_table(
        directory.style_directory(linked, locale=ctx.locale),
        column_config=columns(),
        column_order=order,
        # Grow with the rows up to a screenful, then scroll inside the table.
        height=min(560, 38 + 35 * max(len(shown), 1)),
    )


live_page(body)
