"""Model card of the churn model: pure builders from a stored registry row's backtest results.

Every number comes from ``metrics`` as the retraining job stored it (see
``core.models.churn.registry``); nothing is recomputed here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd
import plotly.graph_objects as go

from core.formatting import format_count, format_date, format_datetime, format_number
from core.i18n import N_, translator
from dashboards.theme import Colors, empty_figure, new_figure

__all__ = [
    "ALGORITHM_NAMES",
    "calibration_figure",
    "comparison_table",
    "decision_text",
    "history_table",
    "importance_figure",
    "lift_figure",
    "metrics_table",
    "origins_table",
]

ALGORITHM_NAMES = {
    "logistic_regression": N_("Logistic regression"),
    "gradient_boosting": N_("Gradient boosting"),
}

_METRIC_ROWS = (
    ("roc_auc", N_("ROC AUC"), N_("Chance a churner is ranked above a tenant who stays")),
    ("pr_auc", N_("PR AUC"), N_("Average precision over the risk ranking")),
    ("brier", N_("Brier score"), N_("Mean squared error of the probabilities (lower is better)")),
    ("brier_baseline", N_("Base-rate Brier score"), N_("Everyone gets the training churn rate")),
    ("top_decile_lift", N_("Top-decile lift"), N_("Churn rate of the riskiest 10% vs overall")),
)

_DECISIONS = {
    "first_model": N_("Promoted: the first model that beats the base rate."),
    "not_worse": N_(
        "Promoted: AUC {auc} is not lower than version {previous}'s {previous_auc} by more "
        "than {tolerance}."
    ),
    "worse_auc": N_(
        "Not promoted: AUC {auc} is lower than version {previous}'s {previous_auc} by more "
        "than {tolerance}."
    ),
    "no_better_than_base_rate": N_(
        "Not promoted: its Brier score {brier} is not below the base rate's {baseline}."
    ),
    "replaces_unusable": N_(
        "Promoted: version {previous} was stored in a format that is no longer loaded "
        "(a pickle), so this model replaces it."
    ),
}


def _num(value: float | None, locale: str, digits: int = 3) -> str:
    return format_number(None if value is None else float(value), digits=digits, locale=locale)


def _ci(entry: Mapping[str, Any] | None, locale: str, digits: int = 3) -> str:
    if not entry or not entry.get("ci"):
        return "—"
    low, high = entry["ci"]
    return f"{_num(low, locale, digits)} – {_num(high, locale, digits)}"


def metrics_table(metrics: Mapping[str, Any], *, locale: str) -> pd.DataFrame:
    """Backtest metrics with their 95% CI and the sample they were measured on."""
    _ = translator(locale)
    sample = _("{n} examples ({churners} with a churn), {tenants} tenants").format(
        n=format_count(metrics["n_test"], locale=locale),
        churners=format_count(metrics["n_test_churners"], locale=locale),
        tenants=format_count(metrics["n_test_tenants"], locale=locale),
    )
    rows = []
    for key, label, meaning in _METRIC_ROWS:
        entry = metrics.get(key)
        digits = 2 if key == "top_decile_lift" else (4 if "brier" in key else 3)
        rows.append(
            {
                "metric": _(label),
                "value": _num(entry["value"] if entry else None, locale, digits),
                "ci": _ci(entry, locale, digits),
                "sample": sample,
                "meaning": _(meaning),
            }
        )
    return pd.DataFrame(rows)


def comparison_table(metrics: Mapping[str, Any], *, locale: str) -> pd.DataFrame:
    """The model's AUC beside the health score's and the oracle's, each on its rows."""
    _ = translator(locale)
    rows = [
        {
            "ranking": _("Churn model"),
            "auc": _num(metrics["roc_auc"]["value"], locale),
            "ci": _ci(metrics["roc_auc"], locale),
            "n": format_count(metrics["n_test"], locale=locale),
            "note": _("All test examples"),
        }
    ]
    health = metrics.get("health_auc")
    if health:
        rows.append(
            {
                "ranking": _("Health score alone"),
                "auc": _num(health["value"], locale),
                "ci": _ci(health, locale),
                "n": format_count(health["n"], locale=locale),
                "note": _("Churn model on these same examples: {auc}").format(
                    auc=_num(health.get("model_auc_same_rows"), locale)
                ),
            }
        )
    oracle = metrics.get("oracle_auc")
    if oracle:
        rows.append(
            {
                "ranking": _("Oracle (the demo generator's true hazard)"),
                "auc": _num(oracle["value"], locale),
                "ci": _ci(oracle, locale),
                "n": format_count(oracle["n"], locale=locale),
                "note": _("The best any model could do on this data"),
            }
        )
    return pd.DataFrame(rows)


def calibration_figure(metrics: Mapping[str, Any], *, locale: str) -> go.Figure:
    """Observed churn rate against the mean predicted probability, by predicted-risk bin."""
    _ = translator(locale)
    title = _("Calibration: predicted vs observed churn")
    table = metrics.get("calibration") or {}
    if not table.get("mean_predicted"):
        return empty_figure(title=title, locale=locale, message=_("No calibration data stored."))
    predicted = [100 * x for x in table["mean_predicted"]]
    observed = [100 * x for x in table["observed_rate"]]
    top = max(max(predicted), max(observed)) * 1.05 or 1
    figure = new_figure(title=title, locale=locale)
    figure.add_scatter(
        x=[0, top],
        y=[0, top],
        mode="lines",
        name=_("Perfect calibration"),
        line={"color": Colors.AXIS, "dash": "dot"},
        hoverinfo="skip",
    )
    figure.add_scatter(
        x=predicted,
        y=observed,
        mode="lines+markers",
        name=_("Churn model"),
        line={"color": Colors.PRIMARY},
        customdata=table["n"],
        hovertemplate=_("Predicted {p}%, observed {o}% ({n} examples)").format(
            p="%{x:.1f}", o="%{y:.1f}", n="%{customdata}"
        )
        + "<extra></extra>",
    )
    figure.update_xaxes(title_text=_("Mean predicted probability (%)"), ticksuffix="%")
    figure.update_yaxes(title_text=_("Observed churn rate (%)"), ticksuffix="%")
    return figure


def lift_figure(metrics: Mapping[str, Any], *, locale: str) -> go.Figure:
    """Lift per risk decile (bars) and the cumulative share of churners caught (line)."""
    _ = translator(locale)
    title = _("Lift by risk decile")
    table = metrics.get("lift") or {}
    if not table.get("decile"):
        return empty_figure(title=title, locale=locale, message=_("No lift data stored."))
    figure = new_figure(title=title, locale=locale)
    figure.add_bar(
        x=table["decile"],
        y=table["lift"],
        name=_("Lift"),
        marker_color=Colors.PRIMARY,
        hovertemplate=_("Decile {d}: lift {l}").format(d="%{x}", l="%{y:.2f}") + "<extra></extra>",
    )
    figure.add_scatter(
        x=table["decile"],
        y=[100 * x for x in table["cumulative_capture"]],
        yaxis="y2",
        mode="lines+markers",
        name=_("Churners caught (cumulative %)"),
        line={"color": Colors.ACCENT},
        hovertemplate="%{y:.0f}%<extra></extra>",
    )
    figure.add_hline(y=1, line={"color": Colors.AXIS, "dash": "dot"})
    figure.update_layout(
        yaxis2={
            "overlaying": "y",
            "side": "right",
            "range": [0, 105],
            "ticksuffix": "%",
            "showgrid": False,
        },
    )
    figure.update_xaxes(title_text=_("Risk decile (1 = riskiest 10%)"), dtick=1)
    figure.update_layout(yaxis_title=_("Lift (x the average churn rate)"))
    return figure


def importance_figure(metrics: Mapping[str, Any], *, locale: str, top: int = 12) -> go.Figure:
    """The strongest drivers overall: standardized logistic coefficients."""
    _ = translator(locale)
    title = _("Top drivers (overall)")
    items = list(metrics.get("importance") or [])[:top]
    if not items:
        return empty_figure(title=title, locale=locale, message=_("No driver data stored."))
    items = items[::-1]  # the largest at the top of a horizontal bar chart
    coefficients = [item["coefficient"] for item in items]
    figure = new_figure(title=title, locale=locale)
    figure.add_bar(
        x=coefficients,
        y=[_(item["label"]) for item in items],
        orientation="h",
        marker_color=[Colors.NEGATIVE if c > 0 else Colors.POSITIVE for c in coefficients],
        hovertemplate="%{y}: %{x:.2f}<extra></extra>",
    )
    figure.update_xaxes(title_text=_("Change in churn log-odds per standard deviation"))
    figure.update_layout(showlegend=False, height=120 + 28 * len(items))
    return figure


def origins_table(metrics: Mapping[str, Any], *, locale: str) -> pd.DataFrame:
    """One row per backtest origin: training window, test size, AUC."""
    rows = []
    for origin in metrics.get("origins") or []:
        rows.append(
            {
                "origin": format_date(pd.Timestamp(origin["origin"]).date(), locale=locale),
                "train": f"{format_date(pd.Timestamp(origin['train_start']).date(), locale=locale)}"
                f" – {format_date(pd.Timestamp(origin['train_end']).date(), locale=locale)}",
                "n_train": format_count(origin["n_train"], locale=locale),
                "n_test": format_count(origin["n_test"], locale=locale),
                "churners": format_count(origin["n_test_churners"], locale=locale),
                "auc": _num(origin.get("roc_auc"), locale),
            }
        )
    return pd.DataFrame(rows)


def decision_text(metrics: Mapping[str, Any], *, locale: str) -> str:
    """Why this version was or was not promoted, from its stored decision."""
    _ = translator(locale)
    decision = metrics.get("promotion") or {}
    template = _DECISIONS.get(str(decision.get("reason")))
    if template is None:
        return ""
    return _(template).format(
        auc=_num(decision.get("roc_auc"), locale),
        previous=decision.get("previous_version", ""),
        previous_auc=_num(decision.get("previous_auc"), locale),
        tolerance=_num(decision.get("tolerance"), locale, 2),
        brier=_num(decision.get("brier"), locale, 4),
        baseline=_num(decision.get("brier_baseline"), locale, 4),
    )


def history_table(history: pd.DataFrame, *, locale: str) -> pd.DataFrame:
    """Every version, newest first, with its data window, AUC and promotion decision."""
    _ = translator(locale)
    rows = []
    for row in history.itertuples():
        rows.append(
            {
                "version": int(row.version),
                "trained_at": format_datetime(row.trained_at, locale=locale),
                "algorithm": _(ALGORITHM_NAMES.get(row.algorithm, row.algorithm)),
                "window": f"{format_date(row.data_start, locale=locale)} – "
                f"{format_date(row.data_end, locale=locale)}",
                "horizon": _("{n} days").format(n=row.horizon_days),
                "auc": _num(row.roc_auc, locale),
                "promoted": _("Current") if row.promoted else "",
                "decision": decision_text(row.metrics or {}, locale=locale),
            }
        )
    return pd.DataFrame(rows)
