"""Intervention outcomes: churn of treated vs randomized-holdout alerts, overall and by playbook."""

from datetime import date

import streamlit as st

from core import formatting as fmt
from core.queries.interventions import ledger_stamp
from core.workflows.alerts.outcomes import HORIZONS, OutcomesAnalysis, analyse
from dashboards import intervention_outcomes as view
from ui import db
from ui.i18n import _, current_locale
from ui.live import LiveContext, live_page
from ui.render import show_figure, show_table, show_tiles

st.title(_("Intervention outcomes"))


@st.cache_data(ttl=300, show_spinner=False, max_entries=8)
def cached_analysis(database_url: str, as_of: str, stamp: str) -> OutcomesAnalysis:
    # ``stamp`` (ledger size and newest change) makes a new alert or outcome a new entry.
    with db.session(database_url) as session:
        return analyse(session=session, as_of=date.fromisoformat(as_of))


def body(ctx: LiveContext) -> None:
    locale = current_locale()
    with db.session() as session:
        count, newest = ledger_stamp(session=session)
    if not count:
        st.info(_("No intervention has been recorded yet."), icon=":material/science:")
        return
    result = cached_analysis(
        ctx.settings.database_url, ctx.at.date().isoformat(), f"{count}:{newest}"
    )
    st.caption(
        _(
            "Every alert is randomly assigned when it fires: treated (worked by CS) or held "
            "out (no outreach). Churn is compared by assignment, whether or not the alert was "
            "worked, so the difference measures what outreach changes. 95% intervals: "
            "Newcomb; p-values: score test. {n} interventions ({live} from live alerts), "
            "{share} held out."
        ).format(
            n=fmt.format_count(result.ledger_n, locale=locale),
            live=fmt.format_count(result.live_n, locale=locale),
            share=fmt.format_percent(result.holdout_share, locale=locale),
        )
    )
    horizon = (
        st.segmented_control(
            _("Follow-up"),
            HORIZONS,
            default=90,
            format_func=lambda h: _("{h} days").format(h=h),
            key="outcomes_horizon",
        )
        or 90
    )
    row = result.row(int(horizon))
    kind, sentence = view.verdict(row, locale=locale)
    notice = {"effect": st.success, "harm": st.error, "none": st.info, "small": st.warning}[kind]
    notice(sentence)
    show_tiles(view.outcome_tiles(row, locale=locale))
    show_figure(view.rates_figure(result.overall, locale=locale))
    show_table(view.results_table(result.overall, locale=locale), column_config=_columns())
    st.subheader(_("By playbook"), anchor=False)
    show_figure(view.difference_figure(result.by_playbook, int(horizon), locale=locale))
    playbooks = result.by_playbook[result.by_playbook["horizon"] == int(horizon)]
    show_table(
        view.results_table(playbooks, locale=locale, group_label=True), column_config=_columns()
    )


def _columns() -> dict[str, str]:
    return {
        "playbook": _("Playbook"),
        "horizon": _("Follow-up"),
        "treated": _("Treated churn"),
        "holdout": _("Holdout churn"),
        "difference": _("Reduction"),
        "ci": _("95% CI"),
        "p_value": _("p-value"),
        "enough": _("Enough data"),
    }


live_page(body, needs_snapshot=False)
