"""Triage builders: the queue and tenant card tiles come from the metric registry."""

from __future__ import annotations

from dashboards import triage as view


def test_queue_and_card_tiles_read_the_registry() -> None:
    queue = view.queue_tiles(view.QueueSummary(3, 1, 2, 12500.0), locale="en")
    assert [(t.key, t.label, t.value) for t in queue] == [
        ("open_alerts", "Open alerts", "3"),
        ("snoozed_alerts", "Snoozed alerts", "1"),
        ("escalated_alerts", "Escalated alerts", "2"),
        ("priority_in_queue", "Priority in queue", "ARS 12,500"),
    ]
    alert = {
        "priority": 5000.0,
        "mrr_at_risk": 20000.0,
        "churn_probability": 0.25,
        "probability_source": "prior",
        "signal_count": 2,
    }
    card = view.card_tiles(alert, locale="en")
    assert [t.label for t in card] == [
        "Priority",
        "Tenant MRR at risk",
        "Churn probability",
        "Signals",
    ]
    assert card[2].value == "25.0%" and card[2].help.endswith("\n\nprior: holdout churn")
    assert card[0].help == "MRR at risk × churn probability: monthly revenue expected to be lost."
