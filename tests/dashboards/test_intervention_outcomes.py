"""Intervention Outcomes builders: verdicts say plainly what the numbers allow."""

from __future__ import annotations

import pandas as pd

from core.workflows.alerts.outcomes import compare
from dashboards import intervention_outcomes as view


def row(horizon: int, t: int, tn: int, h: int, hn: int, group: str = "all") -> dict:  # type: ignore[type-arg]
    return {
        "horizon": horizon,
        "group": group,
        "treated_n": tn,
        "treated_churned": t,
        "holdout_n": hn,
        "holdout_churned": h,
        **compare(t, tn, h, hn),
    }


def test_verdicts() -> None:
    kind, text = view.verdict(pd.Series(row(90, 18, 175, 23, 68)), locale="en")
    assert kind == "effect"
    assert text == (
        "Interventions reduce 90-day churn by 23.5 pp (95% CI +12.1 pp to +35.9 pp, p < 0.0001)."
    )
    kind, text = view.verdict(pd.Series(row(30, 3, 10, 2, 8)), locale="en")
    assert kind == "small"
    assert text.startswith("Too few alerts to conclude at 30 days: 10 treated and 8 held out")
    kind, text = view.verdict(pd.Series(row(60, 20, 100, 12, 50)), locale="en")
    assert kind == "none" and "the interval includes zero" in text and "p = " in text
    kind, _ = view.verdict(pd.Series(row(60, 40, 100, 5, 60)), locale="en")
    assert kind == "harm"


def test_results_table_and_figures() -> None:
    overall = pd.DataFrame([row(30, 8, 205, 9, 74), row(90, 18, 175, 23, 68)])
    table = view.results_table(overall, locale="en")
    assert list(table.iloc[1]) == [
        "90 days",
        "10.3% (18/175)",
        "33.8% (23/68)",
        "23.5%",
        "12.1% … 35.9%",
        "< 0.0001",
        "yes",
    ]
    figure = view.rates_figure(overall, locale="en")
    assert [trace.name for trace in figure.data] == ["Treated", "Holdout (no outreach)"]
    assert list(figure.data[1].y) == [9 / 74, 23 / 68]

    by = pd.DataFrame([row(90, 9, 59, 15, 22, "health_review"), row(90, 0, 20, 0, 0, "churn_save")])
    forest = view.difference_figure(by, 90, locale="en")
    assert list(forest.data[0].y) == ["Health review (n = 59 / 22)"]  # no holdout: left out
    empty = view.difference_figure(by.iloc[1:], 90, locale="en")
    assert empty.layout.annotations[0].text == "No playbook has both treated and holdout alerts."
    assert view.rates_figure(overall.iloc[0:0], locale="en").layout.annotations


def test_outcome_tiles_take_labels_and_definitions_from_the_registry() -> None:
    tiles = view.outcome_tiles(pd.Series(row(90, 18, 175, 23, 68)), locale="en")
    assert [(t.key, t.label, t.value) for t in tiles] == [
        ("holdout_churn", "Holdout churn", "33.8%"),
        ("treated_churn", "Treated churn", "10.3%"),
        ("churn_reduction", "Churn reduction", "+23.5 pp"),
        ("alerts_scored", "Alerts scored", "243"),
    ]
    # The definition first, then what only this horizon knows.
    assert tiles[0].help.startswith("Share of the held-out alerts")
    assert tiles[0].help.endswith("\n\n23 of 68 churned")
    assert tiles[1].help.endswith("\n\n18 of 175 churned")
