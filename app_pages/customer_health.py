"""Customer Health: health-score bands, distribution, components, 7-day movers, weights."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from core.auth.roles import Capability
from core.errors import DomainError
from core.models.health.definitions import COMPONENT_LABELS, COMPONENTS
from core.models.health.weights import SaveHealthWeights, contributions, load_weights
from core.vocabulary import TIERS
from dashboards import customer_health as health
from dashboards.links import TENANT_LINK_TEXT, with_tenant_links
from ui import db
from ui.auth import current_actor, may
from ui.dashboard_page import (
    DashboardContext,
    FilteredDashboard,
    ViewInputs,
    dashboard_page,
)
from ui.errors import error_text
from ui.i18n import _
from ui.live import LiveContext
from ui.render import download_csv, show_figure, show_table, show_tiles

PAGE = "customer-health"


def build(inputs: ViewInputs) -> health.HealthView:
    latest = inputs.frame("health_latest")
    tenants = inputs.frame("tenants") if inputs.has_frame("tenants") else latest
    return health.build_view(
        latest,
        inputs.frame("health_history"),
        inputs.frame("health_weights"),
        tenants,
        inputs.filters,
        locale=inputs.locale,
    )


def _columns() -> dict[str, Any]:
    small = {"width": "small"}
    config: dict[str, Any] = {
        "tenant": st.column_config.LinkColumn(_("Tenant"), display_text=TENANT_LINK_TEXT),
        "tier": st.column_config.Column(_("Tier"), **small),
        "vertical": _("Vertical"),
        "province": _("Province"),
        "score": st.column_config.NumberColumn(_("Score"), format="%.0f", **small),
        "band": st.column_config.Column(_("Band"), **small),
        "delta_7d": st.column_config.NumberColumn(
            _("Change 7 d"), format="%+.1f", help=_("Points gained or lost in 7 days"), **small
        ),
        "trend_7d": st.column_config.Column(_("Trend"), **small),
        "weakest": _("Weakest component"),
        "missing": _("Missing components"),
    }
    for component in COMPONENTS:
        config[f"{component}_score"] = st.column_config.NumberColumn(
            _(COMPONENT_LABELS[component]), format="%.0f", **small
        )
    return config


def _translated(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    for column in ("tier", "band", "trend_7d"):
        if column in out:
            out[column] = [_(str(v)) if isinstance(v, str) else v for v in out[column]]
    if "weakest" in out:
        out["weakest"] = [
            _(COMPONENT_LABELS[w]) if isinstance(w, str) and w in COMPONENT_LABELS else w
            for w in out["weakest"]
        ]
    return out


def _movers(view: health.HealthView, locale: str) -> None:
    st.subheader(_("Biggest changes in the last 7 days"), divider="gray")
    improved, declined = st.columns(2)
    for column, title, frame in (
        (improved, _(":material/trending_up: Improved most"), view.improved),
        (declined, _(":material/trending_down: Declined most"), view.declined),
    ):
        with column:
            st.markdown(f"**{title}**")
            if frame is None or frame.empty:
                st.caption(_("No tenant moved in this direction."))
                continue
            show_table(
                _translated(with_tenant_links(frame, locale=locale)),
                column_order=["tenant", "tier", "score", "delta_7d", "band", "weakest"],
                column_config=_columns(),
            )


def _weights_editor(ctx: LiveContext) -> None:
    """Edit a tier's weights: validated, stored and audit-logged in one transaction."""
    with st.expander(_("Score settings: component weights per tier"), icon=":material/tune:"):
        st.caption(
            _(
                "Weights are relative: each component counts for its weight over the sum of "
                "the weights of the components available for a tenant. Saving re-scores the "
                "newest day of that tier at once; the charts update with the next detail "
                "refresh. Every change is recorded in the audit log."
            )
        )
        tier = st.selectbox(
            _("Tier"), list(TIERS), format_func=lambda t: _(t), key=f"{PAGE}_weights_tier"
        )
        with ctx.session() as session:
            current = load_weights(session=session)[tier]
        shares = contributions(current)
        with st.form(f"{PAGE}_weights_form"):
            cells = st.columns(4)
            values = {}
            for index, component in enumerate(COMPONENTS):
                values[component] = cells[index % 4].number_input(
                    _(COMPONENT_LABELS[component]),
                    min_value=None,
                    value=float(current[component]),
                    step=1.0,
                    key=f"{PAGE}_w_{tier}_{component}",
                    help=_("Now {pct} % of the score").format(pct=f"{shares[component]:.0f}"),
                )
            submitted = st.form_submit_button(
                _("Save weights"),
                icon=":material/save:",
                disabled=not may(Capability.EDIT_SETTINGS),
                help=None
                if may(Capability.EDIT_SETTINGS)
                else _("Only administrators edit weights."),
            )
        if submitted:
            try:
                saved = db.execute(SaveHealthWeights(tier, values), actor=current_actor())
            except DomainError as exc:
                st.error(_("Weights not saved: {error}").format(error=error_text(exc)))
            else:
                pct = contributions(saved)
                st.success(
                    _("Saved. {tier}: {shares}").format(
                        tier=_(tier),
                        shares=", ".join(
                            f"{_(COMPONENT_LABELS[c])} {pct[c]:.0f} %" for c in COMPONENTS
                        ),
                    )
                )


def draw(ctx: DashboardContext, view: health.HealthView) -> None:
    show_tiles(view.tiles, per_row=None)
    st.caption(
        _("Scores as of {day}, from platform data up to the day before.").format(
            day=view.day.strftime("%d/%m/%Y") if view.day else "-"
        )
    )
    if view.missing_note:
        st.info(view.missing_note, icon=":material/help:")
    left, right = st.columns(2)
    with left:
        show_figure(view.distribution)
    with right:
        show_figure(view.bands_over_time)
    left, right = st.columns(2)
    with left:
        show_figure(view.components)
    with right:
        show_figure(view.contributions)
    _movers(view, ctx.locale)

    st.subheader(_("Tenants"), divider="gray")
    table = view.table if view.table is not None else pd.DataFrame()
    show_table(
        _translated(with_tenant_links(table, locale=ctx.locale)),
        column_order=["tenant", "tier", "vertical", "province", "score", "band", "delta_7d",
                      "trend_7d", "weakest", *(f"{c}_score" for c in COMPONENTS), "missing"],
        column_config=_columns(),
    )  # fmt: skip
    download_csv(table, "customer_health.csv", key=f"{PAGE}_csv", bom=False, rerun=True)


dashboard_page(
    _("Customer Health"),
    FilteredDashboard(
        page=PAGE,
        build=build,
        draw=draw,
        dimensions=("tier", "vertical", "province", "partner"),
        money=False,
        after=_weights_editor,  # whatever the filters show
        job="health_scores",
    ),
)
