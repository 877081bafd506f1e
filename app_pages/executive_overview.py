"""Executive Overview: headline KPIs, MRR and bookings trends, biggest movers."""

import streamlit as st

from dashboards import executive_overview as overview
from ui.live import LiveContext, live_page
from ui.render import show_figure, show_table

st.title("Executive Overview")


def body(ctx: LiveContext) -> None:
    snapshot = ctx.snapshot
    assert snapshot is not None
    tiles = overview.build_tiles(snapshot, locale=ctx.locale)
    # Two rows of three: six in a row truncate "$ 1.387 M" on a laptop screen.
    cells = [cell for _ in range(0, len(tiles), 3) for cell in st.columns(3)]
    for cell, tile in zip(cells, tiles, strict=False):
        cell.metric(
            tile.label,
            tile.value,
            tile.delta,
            delta_color=tile.delta_color,
            delta_arrow=tile.delta_arrow,
            help=tile.help,
            border=True,
        )
    st.caption(overview.DELTA_NOTE)

    left, right = st.columns(2)
    with left:
        show_figure(overview.mrr_figure(snapshot, locale=ctx.locale))
    with right:
        show_figure(overview.bookings_figure(snapshot, locale=ctx.locale))

    st.subheader("Biggest movers", divider="gray")
    st.caption(
        f"Active tenants with at least {overview.MOVER_MIN_BASE} bookings in the previous "
        "30 days, ranked by the relative change of their bookings, last 30 days vs the 30 "
        "days before."
    )
    drops, rises = overview.movers(snapshot)
    falling, rising = st.columns(2)
    for column, title, frame in (
        (falling, ":material/trending_down: Falling: at risk", drops),
        (rising, ":material/trending_up: Rising", rises),
    ):
        with column:
            st.markdown(f"**{title}**")
            if frame.empty:
                st.caption("No tenant qualifies yet.")
            else:
                show_table(
                    overview.style_movers(frame, locale=ctx.locale),
                    column_config=overview_columns(),
                    column_order=["tenant", "previous", "current", "change_pct"],
                )


def overview_columns() -> dict:
    # Narrow number columns leave the room to the tenant's name (often long).
    small = {"width": "small"}
    return {
        "tenant": st.column_config.TextColumn("Tenant"),
        "tier": st.column_config.Column("Tier", **small),
        "vertical": "Vertical",
        "city": "City",
        "previous": st.column_config.Column(
            "Prev. 30 d", help="Bookings, previous 30 days", **small
        ),
        "current": st.column_config.Column("Last 30 d", help="Bookings, last 30 days", **small),
        "change": "Change",
        "change_pct": st.column_config.Column("Change", help="Relative change", **small),
    }


live_page(body)
