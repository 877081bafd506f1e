"""Tenant directory: search and filter every tenant, download what you see as CSV."""

import streamlit as st

from core.formatting import format_count
from dashboards import tenant_directory as directory
from ui.live import LiveContext, live_page
from ui.render import show_table

st.title("Tenant directory")

COLUMNS = {
    "tenant_id": st.column_config.NumberColumn("ID", format="%d", width="small"),
    "trade_name": st.column_config.TextColumn("Tenant"),
    "vertical": "Vertical",
    "tier": "Tier",
    "plan": "Plan",
    "province": "Province",
    "city": "City",
    "status": "Status",
    "signup_date": "Signed up",
    "churned_on": "Churned",
    "mrr_ars": "MRR",
    "bookings_30d": "Bookings 30 d",
    "bookings_prev_30d": "Prev. 30 d",
    "gmv_30d": "GMV 30 d",
    "no_show_rate_30d": "No-show 30 d",
}


def body(ctx: LiveContext) -> None:
    assert ctx.snapshot is not None
    tenants = ctx.snapshot.frames.get("tenants")
    if tenants is None:
        st.info("This snapshot has no tenant table yet.")
        return
    options = directory.filter_options(tenants)
    search_column, *filter_columns = st.columns([2, 1, 1, 1, 1])
    search = search_column.text_input(
        "Search", placeholder="Name, city or province", key="tenants_search"
    )
    allowed = {
        column: box.multiselect(column.capitalize(), values, key=f"tenants_{column}")
        for box, (column, values) in zip(filter_columns, options.items(), strict=False)
    }
    shown = directory.filter_tenants(tenants, directory.TenantFilter(search, allowed))
    left, right = st.columns([3, 1], vertical_alignment="bottom")
    left.caption(
        f"{format_count(len(shown), locale=ctx.locale)} of "
        f"{format_count(len(tenants), locale=ctx.locale)} tenants"
    )
    right.download_button(
        "Download CSV",
        directory.to_csv(shown),
        file_name=f"tenants_v{ctx.snapshot.version}.csv",
        mime="text/csv",
        icon=":material/download:",
        on_click="ignore",
        width="stretch",
    )
    show_table(
        directory.style_directory(shown, locale=ctx.locale),
        column_config=COLUMNS,
        # Grow with the rows up to a screenful, then scroll inside the table.
        height=min(560, 38 + 35 * max(len(shown), 1)),
    )


live_page(body)
