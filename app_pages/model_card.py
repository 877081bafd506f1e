"""Model card: the promoted churn model's backtest, calibration, lift, drivers and history."""

import streamlit as st

from core.models.churn.registry import model_history, promoted_version
from core.queries.freshness import CHURN_RETRAIN_JOB, Cadence, job_cadence_s
from dashboards import model_card
from ui import db
from ui.i18n import _
from ui.job_notice import notice_for, show_notice
from ui.live import LiveContext, live_page
from ui.render import show_figure, show_table

st.title(_("Model card"))
st.caption(
    _(
        "Churn within {days} days: how well the promoted model did in a rolling-origin "
        "backtest on data it had not seen. Every figure below was stored by the retraining "
        "job; nothing is recomputed here."
    ).format(days=30)
)


def show_summary(row, ctx: LiveContext) -> None:  # type: ignore[no-untyped-def]
    metrics = row.metrics
    name = _(model_card.ALGORITHM_NAMES.get(row.algorithm, row.algorithm))
    st.markdown(
        _(
            "**Version {version}** · {algorithm} · horizon {horizon} days · trained on "
            "as-of dates {start} to {end} ({n} examples, {churners} with a churn, "
            "{tenants} tenants)"
        ).format(
            version=row.version,
            algorithm=name,
            horizon=row.horizon_days,
            start=row.data_start.isoformat(),
            end=row.data_end.isoformat(),
            n=metrics.get("n_train", "—"),
            churners=metrics.get("n_train_churners", "—"),
            tenants=metrics.get("n_train_tenants", "—"),
        )
    )
    note = model_card.decision_text(metrics, locale=ctx.locale)
    if note:
        st.caption(note)


def body(ctx: LiveContext) -> None:
    with db.session() as session:
        row = promoted_version(session=session)
        history = model_history(session=session)
    # The card changes only when the daily retrain promotes a model: say so by the
    # "data as of" line, with when this one was trained.
    trained_at = None if row is None else row.trained_at
    ctx.declare_cadence(
        Cadence(CHURN_RETRAIN_JOB, job_cadence_s(CHURN_RETRAIN_JOB) or 0.0, trained_at)
    )
    # The training failed or runs for the first time: said above the card, with when.
    explained = show_notice(notice_for(CHURN_RETRAIN_JOB, at=ctx.at, locale=ctx.locale))
    if row is None:
        if not explained:
            st.info(
                _(
                    "No churn model has been promoted yet. The daily churn_retrain job trains, "
                    "backtests and promotes one; see Refresh & jobs."
                ),
                icon=":material/hourglass_empty:",
            )
        return
    show_summary(row, ctx)
    metrics = row.metrics

    st.subheader(_("Backtest metrics (95% CI, resampling tenants)"), divider="gray")
    show_table(
        model_card.metrics_table(metrics, locale=ctx.locale),
        column_config={
            "metric": _("Metric"),
            "value": _("Value"),
            "ci": _("95% CI"),
            "sample": _("Test sample"),
            "meaning": _("What it means"),
        },
    )
    st.subheader(_("Compared with the health score and the oracle"), divider="gray")
    show_table(
        model_card.comparison_table(metrics, locale=ctx.locale),
        column_config={
            "ranking": _("Ranking"),
            "auc": _("ROC AUC"),
            "ci": _("95% CI"),
            "n": _("Examples"),
            "note": _("Note"),
        },
    )

    left, right = st.columns(2)
    with left:
        show_figure(model_card.calibration_figure(metrics, locale=ctx.locale))
    with right:
        show_figure(model_card.lift_figure(metrics, locale=ctx.locale))
    show_figure(model_card.importance_figure(metrics, locale=ctx.locale))
    st.caption(
        _(
            "Red bars raise the churn risk when the input is higher, green bars lower it. "
            "Per-tenant drivers are on Tenant 360 and in the triage queue."
        )
    )

    st.subheader(_("Backtest origins"), divider="gray")
    show_table(
        model_card.origins_table(metrics, locale=ctx.locale),
        column_config={
            "origin": _("First test date"),
            "train": _("Training as-of dates"),
            "n_train": _("Training examples"),
            "n_test": _("Test examples"),
            "churners": _("Test churns"),
            "auc": _("ROC AUC"),
        },
    )
    st.subheader(_("Version history"), divider="gray")
    show_table(
        model_card.history_table(history, locale=ctx.locale),
        column_config={
            "version": st.column_config.NumberColumn(_("Version"), format="%d"),
            "trained_at": _("Trained"),
            "algorithm": _("Algorithm"),
            "window": _("Data window"),
            "horizon": _("Horizon"),
            "auc": _("ROC AUC"),
            "promoted": _("Promoted"),
            "decision": st.column_config.TextColumn(_("Promotion decision"), width="large"),
        },
    )


live_page(body, needs_snapshot=False, controls=False)
