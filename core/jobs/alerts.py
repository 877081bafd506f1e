"""The ``alert_rules`` job: the churn-intervention rules, then notification delivery."""

from __future__ import annotations

from typing import cast

from core.jobs.spec import JobContext, JobOutcome
from core.workflows.alerts_job import evaluate_and_notify


def alert_rules_job(context: JobContext) -> JobOutcome:
    """Runs under the ``alert_rules`` lease, so two schedulers never evaluate at once."""
    detail = evaluate_and_notify(context.engine)
    rows = cast(int, detail.pop("rows_touched"))  # evaluate_and_notify puts an int there
    return JobOutcome(rows_touched=rows, detail=detail)
