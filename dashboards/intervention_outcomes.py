"""Intervention Outcomes: treated vs holdout churn, as figures, tables and plain verdicts.

Pure builders over ``core.workflows.alerts.outcomes.OutcomesAnalysis`` tables.
"""

from __future__ import annotations

import math

import pandas as pd
import plotly.graph_objects as go

from core import formatting as fmt
from core.i18n import translator
from core.metrics.registry import METRICS
from core.workflows.alerts.definitions import MIN_ARM_N, PLAYBOOK_TITLES
from dashboards.kit import Tile, metric_tile
from dashboards.theme import Colors, empty_figure, new_figure


def p_text(p: float | None, *, locale: str) -> str:
    """A p-value with four decimals; below 0.0001 it says so instead of showing 0."""
    if p is None or pd.isna(p):
        return fmt.MISSING
    if p < 0.0001:
        return "< " + fmt.format_number(0.0001, digits=4, locale=locale)
    return fmt.format_number(p, digits=4, locale=locale)


def outcome_tiles(row: pd.Series, *, locale: str) -> list[Tile]:
    """The tiles of one follow-up horizon's overall row: each arm's churn, the reduction
    (holdout minus treated) and how many alerts were scored."""
    _ = translator(locale)
    of = _("{c} of {n} churned")
    scored = int(row["treated_n"] + row["holdout_n"])
    return [
        metric_tile(
            METRICS["holdout_churn"],
            fmt.format_percent(row["holdout_rate"], locale=locale),
            locale=locale,
            note=of.format(c=row["holdout_churned"], n=row["holdout_n"]),
        ),
        metric_tile(
            METRICS["treated_churn"],
            fmt.format_percent(row["treated_rate"], locale=locale),
            locale=locale,
            note=of.format(c=row["treated_churned"], n=row["treated_n"]),
        ),
        metric_tile(
            METRICS["churn_reduction"],
            fmt.format_signed_points(row["difference"], locale=locale),
            locale=locale,
        ),
        metric_tile(
            METRICS["alerts_scored"], fmt.format_count(scored, locale=locale), locale=locale
        ),
    ]


def playbook_label(key: str, locale: str) -> str:
    return translator(locale)(PLAYBOOK_TITLES.get(key, key))


def verdict(row: pd.Series, *, locale: str) -> tuple[str, str]:
    """(kind, sentence): kind is "small", "effect", "harm" or "none" for the page's notice."""
    _ = translator(locale)
    horizon = int(row["horizon"])
    if not row["enough"]:
        return "small", _(
            "Too few alerts to conclude at {h} days: {t} treated and {n} held out have "
            "completed the follow-up; at least {m} in each group are needed."
        ).format(h=horizon, t=int(row["treated_n"]), n=int(row["holdout_n"]), m=MIN_ARM_N)
    difference = fmt.format_signed_points(abs(row["difference"]), locale=locale).lstrip("+")
    ci = _("95% CI {low} to {high}").format(
        low=fmt.format_signed_points(row["ci_low"], locale=locale),
        high=fmt.format_signed_points(row["ci_high"], locale=locale),
    )
    p = p_text(row["p_value"], locale=locale)
    p = p if p.startswith("<") else f"= {p}"
    if row["ci_low"] > 0:
        return "effect", _("Interventions reduce {h}-day churn by {d} ({ci}, p {p}).").format(
            h=horizon, d=difference, ci=ci, p=p
        )
    if row["ci_high"] < 0:
        return "harm", _(
            "Treated tenants churned more within {h} days, by {d} ({ci}, p {p})."
        ).format(h=horizon, d=difference, ci=ci, p=p)
    return "none", _(
        "No difference detectable at {h} days: the interval includes zero ({ci}, p {p})."
    ).format(h=horizon, ci=ci, p=p)


def rates_figure(overall: pd.DataFrame, *, locale: str) -> go.Figure:
    """Churn rate of each arm per horizon, with 95% Wilson intervals."""
    _ = translator(locale)
    title = _("Churn within 30, 60 and 90 days of the alert")
    if overall.empty or (overall["treated_n"] + overall["holdout_n"]).sum() == 0:
        return empty_figure(title=title, locale=locale, message=_("No alert has been scored yet."))
    figure = new_figure(title=title, locale=locale)
    x = [_("{h} days").format(h=int(h)) for h in overall["horizon"]]
    for arm, color, name in (
        ("treated", Colors.PRIMARY, _("Treated")),
        ("holdout", Colors.ACCENT, _("Holdout (no outreach)")),
    ):
        churned, n = overall[f"{arm}_churned"], overall[f"{arm}_n"]
        rates = [c / k if k else None for c, k in zip(churned, n, strict=True)]
        bounds = [_wilson(int(c), int(k)) for c, k in zip(churned, n, strict=True)]
        figure.add_trace(
            go.Bar(
                x=x,
                y=rates,
                name=name,
                marker_color=color,
                error_y={
                    "type": "data",
                    "symmetric": False,
                    "array": [
                        hi - r if r is not None else 0
                        for r, (_lo, hi) in zip(rates, bounds, strict=True)
                    ],
                    "arrayminus": [
                        r - lo if r is not None else 0
                        for r, (lo, _hi) in zip(rates, bounds, strict=True)
                    ],
                },
                customdata=list(zip(churned, n, strict=True)),
                hovertemplate="%{y:.1%} (%{customdata[0]} / %{customdata[1]})<extra>"
                + name
                + "</extra>",
            )
        )
    figure.update_layout(barmode="group", height=340, yaxis_tickformat=".0%")
    return figure


def _wilson(x: int, n: int, z: float = 1.959963984540054) -> tuple[float, float]:
    if n == 0:
        return 0.0, 0.0
    p = x / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return centre - half, centre + half


def difference_figure(by_playbook: pd.DataFrame, horizon: int, *, locale: str) -> go.Figure:
    """Holdout minus treated churn per playbook at one horizon, with 95% CIs (a forest plot)."""
    _ = translator(locale)
    title = _("Churn reduction by playbook at {h} days (holdout minus treated)").format(h=horizon)
    rows = by_playbook[
        (by_playbook["horizon"] == horizon) & by_playbook["difference"].notna()
    ].sort_values("difference")
    if rows.empty:
        return empty_figure(
            title=title,
            locale=locale,
            message=_("No playbook has both treated and holdout alerts."),
        )
    figure = new_figure(title=title, locale=locale)
    labels = [
        f"{playbook_label(g, locale)} (n = {t} / {h})"
        for g, t, h in zip(rows["group"], rows["treated_n"], rows["holdout_n"], strict=True)
    ]
    colors = [Colors.PRIMARY if e else Colors.FUTURE for e in rows["enough"]]
    figure.add_trace(
        go.Scatter(
            x=rows["difference"],
            y=labels,
            mode="markers",
            marker={"color": colors, "size": 11},
            error_x={
                "type": "data",
                "symmetric": False,
                "array": rows["ci_high"] - rows["difference"],
                "arrayminus": rows["difference"] - rows["ci_low"],
            },
            hovertemplate="%{x:.1%}<extra></extra>",
            showlegend=False,
        )
    )
    figure.add_vline(x=0, line={"color": Colors.AXIS, "dash": "dot"})
    figure.update_layout(height=120 + 50 * len(rows), xaxis_tickformat=".0%")
    return figure


def results_table(table: pd.DataFrame, *, locale: str, group_label: bool = False) -> pd.DataFrame:
    """One readable row per horizon (and group): rates, difference, CI, p, sample sizes."""
    _ = translator(locale)

    def pct(v: float | None) -> str:
        return (
            fmt.format_percent(v, locale=locale) if v is not None and pd.notna(v) else fmt.MISSING
        )

    out = pd.DataFrame(
        {
            "horizon": [_("{h} days").format(h=int(h)) for h in table["horizon"]],
            "treated": [
                f"{pct(r)} ({c}/{n})"
                for r, c, n in zip(
                    table["treated_rate"], table["treated_churned"], table["treated_n"], strict=True
                )
            ],
            "holdout": [
                f"{pct(r)} ({c}/{n})"
                for r, c, n in zip(
                    table["holdout_rate"], table["holdout_churned"], table["holdout_n"], strict=True
                )
            ],
            "difference": [pct(d) for d in table["difference"]],
            "ci": [
                f"{pct(lo)} … {pct(hi)}" if lo is not None and pd.notna(lo) else fmt.MISSING
                for lo, hi in zip(table["ci_low"], table["ci_high"], strict=True)
            ],
            "p_value": [p_text(p, locale=locale) for p in table["p_value"]],
            "enough": [_("yes") if e else _("too few") for e in table["enough"]],
        }
    )
    if group_label:
        out.insert(0, "playbook", [playbook_label(g, locale) for g in table["group"]])
    return out
