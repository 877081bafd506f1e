"""Executive Overview: headline KPIs, MRR and bookings trends with forecast bands,
tenants at risk, biggest movers."""

import streamlit as st

from dashboards import executive_overview as overview
from dashboards.links import TENANT_LINK_TEXT, with_tenant_links
from ui.dashboard_page import dashboard_page
from ui.i18n import _
from ui.live import LiveContext
from ui.render import in_scope, show_figure, show_table, show_tiles


def optional_frame(ctx: LiveContext, name: str):  # type: ignore[no-untyped-def]
    # Forecasts and risk scores come from the detail job: until it has run (or when a
    # model has nothing yet) the charts simply carry no band; nothing is faked.
    return ctx.frame(name) if ctx.has_frame(name) else None


def body(ctx: LiveContext) -> None:
    snapshot = ctx.snapshot
    assert snapshot is not None
    tiles = overview.build_tiles(snapshot, locale=ctx.locale)
    # Two rows of three: six in a row truncate "$ 1.387 M" on a laptop screen.
    show_tiles(tiles, per_row=3)
    st.caption(overview.delta_note(snapshot.as_of.date(), locale=ctx.locale))
    today = overview.build_today_tiles(snapshot, locale=ctx.locale)
    if today:
        # Moves with every refresh (the 28-day tiles above barely move within a day).
        st.markdown(f"**{_('Today so far')}**")
        show_tiles(today, per_row=3)  # six in a row cut "Reservas hechas hoy" short
        st.caption(overview.today_note(snapshot, locale=ctx.locale))

    accuracy = optional_frame(ctx, "forecast_accuracy")
    monthly = optional_frame(ctx, "forecast_monthly")
    daily = optional_frame(ctx, "forecast_bookings_daily")
    left, right = st.columns(2)
    with left:
        show_figure(overview.mrr_figure(snapshot, locale=ctx.locale, forecast=monthly))
        if monthly is not None and not monthly.empty:
            st.caption(overview.forecast_note(accuracy, "mrr", locale=ctx.locale))
    with right:
        show_figure(overview.bookings_figure(snapshot, locale=ctx.locale, forecast=daily))
        if daily is not None and not daily.empty:
            st.caption(overview.forecast_note(accuracy, "bookings", locale=ctx.locale))

    drops, rises = overview.movers(snapshot)
    at_risk = overview.tenants_at_risk(
        snapshot, optional_frame(ctx, "overview_tenants_at_risk"), locale=ctx.locale
    )
    st.subheader(_("Tenants at risk"), divider="gray")
    if at_risk is not None:
        st.caption(
            _(
                "Active tenants ranked by churn probability (the churn model's newest "
                "scores) times their MRR: the MRR expected to be lost."
            )
        )
        show_table(
            overview.style_at_risk(
                with_tenant_links(
                    in_scope(at_risk), name_column="tenant", link_column="link", locale=ctx.locale
                ),
                locale=ctx.locale,
            ),
            column_order=["link", "tier", "mrr_ars", "churn_probability", "mrr_at_risk", "drivers"],
            column_config={
                "link": st.column_config.LinkColumn(_("Tenant"), display_text=TENANT_LINK_TEXT),
                "tier": _("Tier"),
                "mrr_ars": _("MRR"),
                "churn_probability": _("Churn probability"),
                "mrr_at_risk": _("MRR at risk"),
                "drivers": _("Main risk drivers"),
            },
        )
    else:
        st.caption(
            _(
                "Churn scores are not available yet, so this lists the active tenants whose "
                "bookings fell most (last 28 days vs the 28 before, at least {base} bookings "
                "before, at least {days} days since signup)."
            ).format(base=overview.MOVER_MIN_BASE, days=overview.MOVER_MIN_TENURE_DAYS)
        )
        movers_table(ctx, drops, _("No tenant qualifies yet."))

    st.subheader(_("Biggest movers"), divider="gray")
    st.caption(
        _(
            "Active tenants with at least {base} bookings in the previous 28 days and at "
            "least {days} days since signup, ranked by the relative change of their bookings, "
            "last 28 days vs the 28 days before."
        ).format(base=overview.MOVER_MIN_BASE, days=overview.MOVER_MIN_TENURE_DAYS)
    )
    sides = [(":material/trending_up: " + _("Rising"), rises)]
    if at_risk is not None:
        sides.insert(0, (":material/trending_down: " + _("Falling"), drops))
    for column, (title, frame) in zip(st.columns(2), sides, strict=False):
        with column:
            st.markdown(f"**{title}**")
            movers_table(ctx, frame, _("No tenant qualifies yet."))


def movers_table(ctx: LiveContext, frame, empty_text: str) -> None:  # type: ignore[no-untyped-def]
    frame = in_scope(frame)  # platform-wide lists, cut to the user's book
    if frame.empty:
        st.caption(empty_text)
        return
    linked = with_tenant_links(frame, name_column="tenant", link_column="link", locale=ctx.locale)
    show_table(
        overview.style_movers(linked, locale=ctx.locale),
        column_config=overview_columns(),
        column_order=["link", "previous", "current", "change_pct"],
    )


def overview_columns() -> dict:
    # Narrow number columns leave the room to the tenant's name (often long).
    small = {"width": "small"}
    return {
        "link": st.column_config.LinkColumn(_("Tenant"), display_text=TENANT_LINK_TEXT),
        "tier": st.column_config.Column(_("Tier"), **small),
        "vertical": _("Vertical"),
        "city": _("City"),
        "previous": st.column_config.Column(
            _("Prev. 28 d"), help=_("Bookings, previous 28 days"), **small
        ),
        "current": st.column_config.Column(
            _("Last 28 d"), help=_("Bookings, last 28 days"), **small
        ),
        "change": _("Change"),
        "change_pct": st.column_config.Column(_("Change"), help=_("Relative change"), **small),
    }


dashboard_page(_("Executive Overview"), body)
